"""A user's UCI-style CSV: numeric feature columns plus several target columns (one task each).

Targets may hold any labels (they are coded 0..K-1 in sorted order); features must be numeric and
are standardised with training-split statistics. Every problem is raised as `MHLMError` naming
the file and the column.
"""
from pathlib import Path

import numpy as np
import pandas as pd

from .. import MHLMError
from .base import MultiTaskData, TaskSpec, split_indices


def _parse_columns(targets):
    if isinstance(targets, str):
        targets = [t.strip() for t in targets.split(",")]
    return [t for t in (targets or []) if t]


def load(path=None, targets=None, seed=0, **_):
    targets = _parse_columns(targets)
    if not path:
        raise MHLMError("csv dataset: no file given (set the CSV path)")
    p = Path(path).expanduser()
    if not p.is_file():
        raise MHLMError(f"csv dataset: file not found: {p}")
    if len(set(targets)) != len(targets):
        raise MHLMError(f"csv dataset: a target column is named twice in {targets}")
    if len(targets) < 2:
        raise MHLMError("csv dataset: name at least two target columns (one task each), "
                        f"got {targets or 'none'}")
    try:
        df = pd.read_csv(p)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise MHLMError(f"csv dataset: cannot parse {p}: {str(err).splitlines()[0]}") from None
    if len(df) == 0:
        raise MHLMError(f"csv dataset: {p.name} has a header but no data rows")
    missing = [t for t in targets if t not in df.columns]
    if missing:
        raise MHLMError(f"csv dataset: {p.name} has no column(s) {missing}; "
                        f"columns are {list(df.columns)[:20]}")
    features = [c for c in df.columns if c not in targets]
    if not features:
        raise MHLMError(f"csv dataset: {p.name} has no feature columns besides the targets")
    bad = [c for c in features if not pd.api.types.is_numeric_dtype(df[c])]
    if bad:
        raise MHLMError(f"csv dataset: non-numeric feature column(s) {bad[:5]} in {p.name}")
    if df[features].isna().any().any():
        col = df[features].columns[df[features].isna().any()][0]
        raise MHLMError(f"csv dataset: missing values in feature column '{col}' of {p.name}")
    if len(df) < 20:
        raise MHLMError(f"csv dataset: {p.name} has only {len(df)} rows (need at least 20)")
    tasks, labels = [], {}
    for t in targets:
        if df[t].isna().any():
            raise MHLMError(f"csv dataset: missing values in target column '{t}' of {p.name}")
        col = df[t]
        if pd.api.types.is_float_dtype(col) and not np.allclose(col, np.round(col)):
            raise MHLMError(f"csv dataset: target column '{t}' holds non-integer numbers: it looks like a "
                            "feature (or a regression target); targets must be class labels")
        classes, coded = np.unique(col.astype(str) if col.dtype == object else col, return_inverse=True)
        if len(classes) > max(100, len(df) // 2):
            raise MHLMError(f"csv dataset: target column '{t}' has {len(classes)} distinct values for "
                            f"{len(df)} rows: it does not look like class labels")
        if len(classes) < 2:
            raise MHLMError(f"csv dataset: target column '{t}' has a single class")
        tasks.append(TaskSpec(str(t), int(len(classes))))
        labels[str(t)] = coded.astype(np.int64)
    x = df[features].to_numpy(dtype=np.float32)
    idx = split_indices(len(x), seed)
    mu = x[idx["train"]].mean(0)
    sd = x[idx["train"]].std(0) + 1e-6
    x = ((x - mu) / sd).astype(np.float32)
    return MultiTaskData(
        name=f"csv:{p.name}", tasks=tasks, input_shape=(len(features),),
        x={s: x[i] for s, i in idx.items()},
        y={s: {k: v[i] for k, v in labels.items()} for s, i in idx.items()},
        info={"source": str(p), "features": features},
    )
