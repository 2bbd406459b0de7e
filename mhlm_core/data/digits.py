"""Built-in default: UCI optical digits (shipped by scikit-learn) made multi-task.

Each 8x8 image is rotated by a random multiple of 90 degrees (seeded). Tasks:
`digit` (10 classes), `rotation` (4 classes), `loops` (digit has a closed loop: 0, 4, 6, 8, 9).
The tasks share stroke features but need different deep features, so mapping has a real choice.
"""
import numpy as np
from sklearn.datasets import load_digits

from .base import MultiTaskData, TaskSpec, split_indices

LOOP_DIGITS = (0, 4, 6, 8, 9)


def load(seed=0, **_):
    """Deterministic for `seed` (rotations and split)."""
    raw = load_digits()
    images = raw.images.astype(np.float32) / 16.0
    digit = raw.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    rotation = rng.integers(0, 4, size=len(images)).astype(np.int64)
    rotated = np.stack([np.rot90(img, k) for img, k in zip(images, rotation)])
    x = np.ascontiguousarray(rotated[:, None, :, :])
    labels = {"digit": digit, "rotation": rotation,
              "loops": np.isin(digit, LOOP_DIGITS).astype(np.int64)}
    idx = split_indices(len(x), seed)
    return MultiTaskData(
        name="digits",
        tasks=[TaskSpec("digit", 10), TaskSpec("rotation", 4), TaskSpec("loops", 2)],
        input_shape=(1, 8, 8),
        x={s: x[i] for s, i in idx.items()},
        y={s: {k: v[i] for k, v in labels.items()} for s, i in idx.items()},
        info={"source": "sklearn.datasets.load_digits (UCI optdigits, 1797 images)"},
    )
