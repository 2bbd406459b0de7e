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

    def tensors(self, split):
        """(x, [y_t for t in tasks]) as torch tensors for one split."""
        x = torch.from_numpy(self.x[split])
        ys = [torch.from_numpy(self.y[split][t.name]) for t in self.tasks]
        return x, ys

    def sizes(self):
        return {s: int(len(v)) for s, v in self.x.items()}


def split_indices(n, seed, fractions=(0.6, 0.2, 0.2)):
    """A fixed permutation of range(n) cut into train/val/test by `fractions`."""
    perm = np.random.default_rng(seed).permutation(n)
    n_train = int(round(fractions[0] * n))
    n_val = int(round(fractions[1] * n))
    return {"train": perm[:n_train], "val": perm[n_train:n_train + n_val],
            "test": perm[n_train + n_val:]}
