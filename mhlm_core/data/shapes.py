"""Built-in generated workload: COCO-like scenes of coloured shapes (no download).

Each RGB image holds 1-4 objects drawn from 8 categories that differ in shape AND colour
(circle/red, square/green, triangle/blue, diamond/yellow, cross/magenta, ring/cyan,
star/orange, ellipse/white), at a random scale, position and rotation, over a textured noisy
background. Later objects are drawn over earlier ones (partial occlusion).

Ground truth, all occlusion-aware (computed from the visible pixels):
- `ss` segmentation (N, H, W) int64: 0 = background, 1..8 = category + 1. Every visible object
  pixel is labelled, including objects too small to get a box.
- `od` detection: list of (n_i, 5) float32 rows [x1, y1, x2, y2, category] in pixel coordinates,
  one per object with at least `min_visible` visible pixels (20 at 64x64, scaled with the
  image area). A box covers its visible pixels: x1 = first column, x2 = last column + 1
  (continuous coordinates, so x2 - x1 is the width in pixels), same for y.
- `ic` classification (N,) int64: category of the object with the largest visible area.

Drawing is vectorised over the whole batch with numpy coordinate grids; results are cached
with joblib.Memory in the project cache folder and are deterministic for a seed.
"""
import os
from pathlib import Path

import numpy as np

from .base import scene_workload

CATEGORIES = ["circle", "square", "triangle", "diamond", "cross", "ring", "star", "ellipse"]
COLOURS = np.array([
    [0.90, 0.15, 0.15],   # circle: red
    [0.15, 0.75, 0.20],   # square: green
    [0.15, 0.30, 0.95],   # triangle: blue
    [0.95, 0.90, 0.15],   # diamond: yellow
    [0.85, 0.20, 0.85],   # cross: magenta
    [0.15, 0.85, 0.90],   # ring: cyan
    [1.00, 0.55, 0.05],   # star: orange
    [0.95, 0.95, 0.95],   # ellipse: white
], dtype=np.float32)
MAX_OBJECTS = 4


def cache_dir():
    """The project's cache folder ($MHLM_CACHE or <project>/cache), as the pipeline uses it."""
    try:
        from ..pipeline import cache_location
        return Path(cache_location())
    except ImportError:  # pragma: no cover - pipeline without cache_location
        return Path(os.environ.get("MHLM_CACHE")
                    or Path(__file__).resolve().parents[2] / "cache")


def memory():
    import joblib
    return joblib.Memory(str(cache_dir() / "datasets"), verbose=0)


def _shape(cat, u, v):
    """Inside-mask of category `cat` in object coordinates (u, v), radius ~1."""
    if cat == 0:
        return u * u + v * v <= 1.0
    if cat == 1:
        return np.maximum(np.abs(u), np.abs(v)) <= 0.8
    if cat == 2:  # apex up at v = -0.95, base at v = 0.65
        return (v <= 0.65) & (np.abs(u) <= (v + 0.95) * 0.6)
    if cat == 3:
        return np.abs(u) + np.abs(v) <= 1.0
    if cat == 4:
        au, av = np.abs(u), np.abs(v)
        return ((au <= 0.3) & (av <= 0.95)) | ((av <= 0.3) & (au <= 0.95))
    if cat == 5:
        r2 = u * u + v * v
        return (r2 <= 1.0) & (r2 >= 0.55 ** 2)
    if cat == 6:
        r = np.sqrt(u * u + v * v)
        theta = np.arctan2(v, u)
        return r <= 0.42 + 0.58 * ((np.cos(5 * theta) + 1) / 2) ** 2
    if cat == 7:
        return u * u + (v / 0.55) ** 2 <= 1.0
    raise ValueError(cat)


def min_visible_pixels(image_size):
    return max(4, int(round(20 * (image_size / 64) ** 2)))


def _boxes(inst, k, size):
    """Visible area and [x1, y1, x2, y2] (x2, y2 exclusive) of instance slot k per image."""
    vis = inst == k
    area = vis.sum(axis=(1, 2))
    rows, cols = vis.any(axis=2), vis.any(axis=1)
    y1, x1 = rows.argmax(1), cols.argmax(1)
    y2, x2 = size - rows[:, ::-1].argmax(1), size - cols[:, ::-1].argmax(1)
    return area, np.stack([x1, y1, x2, y2], axis=1)


def generate(seed=0, n_images=2000, image_size=64):
    """Uncached generation: (x (N,3,S,S) float32, mask (N,S,S) int64, boxes list, label (N,))."""
    rng = np.random.default_rng(seed)
    n, s = int(n_images), int(image_size)
    grid = np.arange(s, dtype=np.float32) + 0.5
    yy, xx = grid[:, None], grid[None, :]

    # textured background: two dull colours mixed by a random sinusoidal pattern, plus noise
    c1 = rng.uniform(0.05, 0.45, (n, 3, 1, 1)).astype(np.float32)
    c2 = rng.uniform(0.05, 0.45, (n, 3, 1, 1)).astype(np.float32)
    freq = rng.uniform(0.05, 0.5, (n, 2, 1, 1)).astype(np.float32)
    phase = rng.uniform(0, 2 * np.pi, (n, 1, 1)).astype(np.float32)
    pattern = 0.5 + 0.5 * np.sin(freq[:, 0] * xx + freq[:, 1] * yy + phase)
    img = c1 + (c2 - c1) * pattern[:, None]

    inst = np.full((n, s, s), -1, dtype=np.int8)
    n_obj = rng.integers(1, MAX_OBJECTS + 1, n)
    cats = rng.integers(0, len(CATEGORIES), (n, MAX_OBJECTS))
    radius = rng.uniform(0.12, 0.28, (n, MAX_OBJECTS)) * s
    cx = rng.uniform(0, 1, (n, MAX_OBJECTS)) * (s - radius) + radius / 2
    cy = rng.uniform(0, 1, (n, MAX_OBJECTS)) * (s - radius) + radius / 2
    angle = rng.uniform(0, 2 * np.pi, (n, MAX_OBJECTS))
    jitter = rng.uniform(-0.08, 0.08, (n, MAX_OBJECTS, 3))
    colour = np.clip(COLOURS[cats] + jitter, 0, 1).astype(np.float32)

    for k in range(MAX_OBJECTS):
        active = np.nonzero(n_obj > k)[0]
        for c in range(len(CATEGORIES)):
            ids = active[cats[active, k] == c]
            if len(ids) == 0:
                continue
            dx = xx[None] - cx[ids, k, None, None].astype(np.float32)
            dy = yy[None] - cy[ids, k, None, None].astype(np.float32)
            cos = np.cos(angle[ids, k])[:, None, None].astype(np.float32)
            sin = np.sin(angle[ids, k])[:, None, None].astype(np.float32)
            r = radius[ids, k, None, None].astype(np.float32)
            u, v = (dx * cos + dy * sin) / r, (dy * cos - dx * sin) / r
            inside = _shape(c, u, v)
            sub = inst[ids]
            sub[inside] = k
            inst[ids] = sub
            img[ids] = np.where(inside[:, None], colour[ids, k, :, None, None], img[ids])

    img += rng.normal(0, 0.04, img.shape).astype(np.float32)
    x = np.clip(img, 0, 1).astype(np.float32)

    min_vis = min_visible_pixels(s)
    areas = np.zeros((n, MAX_OBJECTS), dtype=np.int64)
    boxes_k = np.zeros((n, MAX_OBJECTS, 4), dtype=np.int64)
    for k in range(MAX_OBJECTS):
        areas[:, k], boxes_k[:, k] = _boxes(inst, k, s)
    largest = areas.argmax(1)
    keep = areas >= min_vis
    keep[np.arange(n), largest] |= areas[np.arange(n), largest] > 0  # never leave an image empty
    label = cats[np.arange(n), largest].astype(np.int64)

    slot = np.clip(inst, 0, None).astype(np.int64).reshape(n, -1)
    mask = np.take_along_axis((cats + 1).astype(np.int64), slot, axis=1).reshape(n, s, s)
    mask[inst < 0] = 0

    boxes = []
    for i in range(n):
        ks = np.nonzero(keep[i])[0]
        rows = np.concatenate([boxes_k[i, ks], cats[i, ks, None]], axis=1)
        boxes.append(rows.astype(np.float32).reshape(-1, 5))
    return x, mask, boxes, label


def _generate_packed(seed, n_images, image_size):
    """`generate` in a cache-friendly form: uint8 mask, boxes as one array plus counts."""
    x, mask, boxes, label = generate(seed, n_images, image_size)
    counts = np.asarray([len(b) for b in boxes], dtype=np.int64)
    return x, mask.astype(np.uint8), np.concatenate(boxes), counts, label


def load(seed=0, n_images=2000, image_size=64, **_):
    """Tasks `ss` (segmentation), `od` (detection), `ic` (classification); cached per options."""
    x, mask, flat, counts, label = memory().cache(_generate_packed)(
        int(seed), int(n_images), int(image_size))
    mask = mask.astype(np.int64)
    boxes = np.split(flat, np.cumsum(counts)[:-1])
    return scene_workload("shapes", x, mask, boxes, label, CATEGORIES, seed, {
        "source": f"generated COCO-like shape scenes (seed {seed}, {n_images} images, {image_size}x{image_size})",
        "min_visible_pixels": min_visible_pixels(int(image_size))})
