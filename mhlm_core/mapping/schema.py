"""`mapping.json`: build, validate (clear message naming the bad field) and load.
The schema is documented in docs/mapping-schema.md; bump SCHEMA_VERSION on any change."""
import datetime
import json
import math
from pathlib import Path

from .. import SCHEMA_VERSION, MHLMError, __version__
from .mhlm_mapping import check_thresholds, choose, pair_layer_jsd

PLACEMENTS = ("analog", "digital")


def build_mapping(stats, tau, alpha, beta, provenance=None):
    """The mapping document for thresholds (tau, alpha, beta) from an experiment's statistics."""
    dec = choose(stats, tau, alpha, beta)
    k = dec["k"]
    plain, weighted = pair_layer_jsd(stats, 0.0).mean(1), pair_layer_jsd(stats, 1.0).mean(1)
    layers = []
    for i, row in enumerate(stats["layers"]):
        shared = i < k
        layers.append({
            "index": i, "name": row["name"],
            "params": int(row["weight_params"] + row["other_params"]),
            "macs": int(row["weight_macs"] + row["other_macs"]),
            "shared": shared, "placement": "analog" if shared else "digital",
            "jsd": float(plain[i]), "importance": float(weighted[i]),
            "retention": float(dec["retention"][i]), "score": float(dec["score"][i]),
        })
    acc = stats["accounting"][k]
    return {
        "schema_version": SCHEMA_VERSION,
        "dataset": stats["dataset"], "backbone": stats["backbone"], "tasks": list(stats["tasks"]),
        "thresholds": {"tau": float(tau), "alpha": float(alpha), "beta": float(beta)},
        "layers": layers,
        "heads": {"placement": "digital", "params": int(sum(h["weight_params"] + h["other_params"] for h in stats["heads"]))},
        "summary": {
            "shared_prefix": k, "shared_portion": acc["shared_portion"],
            "analog_params": acc["analog_params"], "digital_params": acc["digital_params"],
            "analog_mac_pct": acc["analog_mac_pct"], "param_reduction": acc["param_reduction"],
            "predicted_1day_perf": dec["perf"],
            "predicted_1day_per_task": dict(zip(stats["tasks"], map(float, stats["perf_per_task"][k]))),
        },
        "analog": dict(stats["analog"]),
        "provenance": {"mhlm_core": __version__, **(provenance or stats.get("provenance", {})),
                       "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")},
    }


def _need(doc, key, kind, where=""):
    name = f"{where}{key}"
    if not isinstance(doc, dict) or key not in doc:
        raise MHLMError(f"mapping: missing field '{name}'")
    val = doc[key]
    ok = isinstance(val, kind) and not (kind in (int, float, (int, float)) and isinstance(val, bool))
    if not ok:
        want = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise MHLMError(f"mapping: field '{name}' must be {want}, got {type(val).__name__}")
    if isinstance(val, float) and not math.isfinite(val):
        raise MHLMError(f"mapping: field '{name}' must be finite, got {val}")
    return val


def validate_mapping(doc):
    """Raise MHLMError naming the first bad field; return the document when valid."""
    if not isinstance(doc, dict):
        raise MHLMError("mapping: the document must be a JSON object")
    version = _need(doc, "schema_version", str)
    if version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise MHLMError(f"mapping: field 'schema_version' is {version}, this tool reads {SCHEMA_VERSION}")
    _need(doc, "dataset", str)
    _need(doc, "backbone", str)
    tasks = _need(doc, "tasks", list)
    if len(tasks) < 2 or not all(isinstance(t, str) for t in tasks):
        raise MHLMError("mapping: field 'tasks' must list at least two task names")
    th = _need(doc, "thresholds", dict)
    num = (int, float)
    values = [_need(th, k, num, "thresholds.") for k in ("tau", "alpha", "beta")]
    try:
        check_thresholds(*values)
    except MHLMError as err:
        name = next(k for k in ("tau", "alpha", "beta") if f"threshold {k}" in str(err))
        raise MHLMError(f"mapping: field 'thresholds.{name}': {err}") from None
    layers = _need(doc, "layers", list)
    if not layers:
        raise MHLMError("mapping: field 'layers' is empty")
    seen_digital = False
    for i, layer in enumerate(layers):
        w = f"layers[{i}]."
        if _need(layer, "index", int, w) != i:
            raise MHLMError(f"mapping: field '{w}index' must be {i}")
        _need(layer, "name", str, w)
        for key in ("params", "macs"):
            if _need(layer, key, int, w) < 0:
                raise MHLMError(f"mapping: field '{w}{key}' must be >= 0")
        shared = _need(layer, "shared", bool, w)
        placement = _need(layer, "placement", str, w)
        if placement not in PLACEMENTS:
            raise MHLMError(f"mapping: field '{w}placement' must be 'analog' or 'digital', got '{placement}'")
        if (placement == "analog") != shared:
            raise MHLMError(f"mapping: field '{w}placement' is '{placement}' but shared is {shared} "
                            "(shared layers are analog, task-specific ones digital)")
        if shared and seen_digital:
            raise MHLMError(f"mapping: field '{w}shared': only a contiguous prefix from the first layer can be shared")
        seen_digital |= not shared
        for key in ("jsd", "importance", "score"):
            _need(layer, key, num, w)
    heads = _need(doc, "heads", dict)
    if _need(heads, "placement", str, "heads.") != "digital":
        raise MHLMError("mapping: field 'heads.placement' must be 'digital' (task heads are task-specific)")
    summary = _need(doc, "summary", dict)
    k = _need(summary, "shared_prefix", int, "summary.")
    if k != sum(layer["shared"] for layer in layers):
        raise MHLMError(f"mapping: field 'summary.shared_prefix' is {k} but {sum(l['shared'] for l in layers)} layers are shared")
    portion = _need(summary, "shared_portion", num, "summary.")
    if not 0.0 <= portion <= 1.0:
        raise MHLMError(f"mapping: field 'summary.shared_portion' must lie in [0, 1], got {portion}")
    for key in ("analog_params", "digital_params"):
        if _need(summary, key, int, "summary.") < 0:
            raise MHLMError(f"mapping: field 'summary.{key}' must be >= 0")
    pct = _need(summary, "analog_mac_pct", num, "summary.")
    if not 0.0 <= pct <= 100.0:
        raise MHLMError(f"mapping: field 'summary.analog_mac_pct' must lie in [0, 100], got {pct}")
    _need(doc, "analog", dict)
    _need(doc, "provenance", dict)
    return doc


def load_mapping(path):
    """Read and validate a mapping file; every problem is an MHLMError naming file and field."""
    p = Path(path)
    if not p.is_file():
        raise MHLMError(f"mapping: file not found: {p}")
    try:
        doc = json.loads(p.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise MHLMError(f"mapping: {p.name} is not valid JSON ({err})") from None
    return validate_mapping(doc)


def dumps(doc):
    return json.dumps(doc, indent=2, sort_keys=False)
