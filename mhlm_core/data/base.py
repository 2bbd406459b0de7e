"""The multi-task dataset container every loader returns."""
from dataclasses import dataclass, field

import numpy as np
import torch


@dataclass(frozen=True)
class TaskSpec:
    """One task: a name, its number of classes, its metric (higher is better) and its kind.

    `kind` is "classification" (labels (N,)), "segmentation" (labels (N, H, W), 0 = background)
    or "detection" (a list of (n_i, 5) float32 arrays [x1, y1, x2, y2, category]).
    """

    name: str
    n_classes: int
    metric: str = "accuracy"
    kind: str = "classification"


@dataclass
class MultiTaskData:
    """Inputs plus one integer label vector per task, already split train/val/test.

    `x[split]` is a float32 array of shape (N, *input_shape); `y[split][task]` is int64 (N,).
    The validation split doubles as the calibration split for JSD and Shapley statistics.
    """

    name: str
    tasks: list
    input_shape: tuple
    x: dict
    y: dict
    info: dict = field(default_factory=dict)
    geometry: dict = field(default_factory=dict)
    encoded: dict = field(default_factory=dict)

    def tensors(self, split):
        """(x, [target_t for t in tasks]) as torch tensors: the training targets, i.e. the labels,
        or what the task kind encodes them into (see `encode_targets`)."""
        x = torch.from_numpy(self.x[split])
        ys = [torch.as_tensor(self.encoded.get(split, {}).get(t.name, self.y[split][t.name]))
              if t.kind != "detection" or t.name in self.encoded.get(split, {}) else None
              for t in self.tasks]
        return x, ys

    def encode_targets(self, feature_shape):
        """Fix the geometry (input and feature shape) and encode targets that need it (detection)."""
        from ..tasks import kind_of
        h = feature_shape[1] if len(feature_shape) == 3 else 1
        stride = self.input_shape[1] / h if len(self.input_shape) == 3 else 1
        self.geometry = {"input_shape": tuple(self.input_shape), "feature_shape": tuple(feature_shape),
                         "stride": stride}
        self.encoded = {}
        for split in self.x:
            for t in self.tasks:
                enc = kind_of(t).encode
                if enc is not None:
                    self.encoded.setdefault(split, {})[t.name] = enc(self.y[split][t.name], t, self.geometry)

    def sizes(self):
        return {s: int(len(v)) for s, v in self.x.items()}


def split_indices(n, seed, fractions=(0.6, 0.2, 0.2)):
    """A fixed permutation of range(n) cut into train/val/test by `fractions`."""
    perm = np.random.default_rng(seed).permutation(n)
    n_train = int(round(fractions[0] * n))
    n_val = int(round(fractions[1] * n))
    return {"train": perm[:n_train], "val": perm[n_train:n_train + n_val],
            "test": perm[n_train + n_val:]}


def scene_workload(name, x, mask, boxes, label, categories, seed, info):
    """COCO-style scenes as three tasks over one split: `ss` (semantic segmentation, K + 1
    classes with background 0), `od` (detection, K categories), `ic` (image label)."""
    idx = split_indices(len(x), seed)
    k = len(categories)
    return MultiTaskData(
        name=name,
        tasks=[TaskSpec("ss", n_classes=k + 1, metric="miou", kind="segmentation"),
               TaskSpec("od", n_classes=k, metric="map", kind="detection"),
               TaskSpec("ic", n_classes=k, metric="accuracy", kind="classification")],
        input_shape=tuple(x.shape[1:]),
        x={s: x[i] for s, i in idx.items()},
        y={s: {"ss": mask[i], "od": [boxes[j] for j in i], "ic": label[i]} for s, i in idx.items()},
        info={"categories": list(categories), **info},
    )
