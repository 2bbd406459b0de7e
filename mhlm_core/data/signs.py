"""Built-in generated workload: BelgiumTS-like road-sign crops (no download).

One sign per image, built from the BelgiumTS superclass shapes -- warning triangle (red border),
yield (inverted triangle), red circle (prohibitory), blue circle (mandatory), red-blue circle
(no parking / no stopping), priority diamond (yellow), stop octagon and blue info rectangle --
each with a simple pictogram (bar, arrow, dot, ring, cross, ...), giving 16 classes. Every
image has a random pose (offset, scale, aspect, small rotation), background clutter (a
textured base plus random rectangles), lighting (gain and gradient), blur and noise.

Tasks: `ss` segmentation (N, H, W) int64, 1 = sign pixel (the sign's outer shape at the pixel
centres, before blur), 0 = background; `sc` classification (N,) int64, the sign class.
Deterministic for a seed; cached with joblib.Memory in the project cache folder.
"""
import numpy as np

from .base import MultiTaskData, TaskSpec, split_indices
from .shapes import memory

RED, WHITE, BLACK = (0.80, 0.10, 0.12), (0.95, 0.95, 0.95), (0.08, 0.08, 0.08)
BLUE, YELLOW = (0.10, 0.30, 0.80), (0.95, 0.78, 0.10)
TRI_C = 1.0 / 6.0  # centroid height of the upright triangle below


# -- outer shapes (radius ~1 in sign coordinates, v points down) --
def _tri(u, v):
    return (v <= 0.75) & (np.abs(u) <= (v + 1.0) * 0.577)


def _tri_in(u, v):
    return _tri(u / 0.62, (v - TRI_C) / 0.62 + TRI_C)


def _itri(u, v):
    return _tri(u, -v)


def _itri_in(u, v):
    return _tri_in(u, -v)


def _circle(u, v):
    return u * u + v * v <= 1.0


def _circle_in(u, v):
    return u * u + v * v <= 0.76 ** 2


def _octagon(u, v):
    au, av = np.abs(u), np.abs(v)
    return np.maximum(np.maximum(au, av), (au + av) / np.sqrt(2.0) * 1.08) <= 0.95


def _diamond(u, v):
    return np.abs(u) + np.abs(v) <= 1.0


def _diamond_in(u, v):
    return np.abs(u) + np.abs(v) <= 0.68


def _rect(u, v):
    return np.maximum(np.abs(u), np.abs(v)) <= 0.85


def _rect_in(u, v):
    return np.maximum(np.abs(u), np.abs(v)) <= 0.77


# -- pictograms --
def _bar_h(u, v):
    return (np.abs(v) <= 0.17) & (np.abs(u) <= 0.62)


def _excl(u, v):
    v = v - TRI_C
    return (((np.abs(u) <= 0.08) & (v >= -0.42) & (v <= 0.12))
            | (u * u + (v - 0.28) ** 2 <= 0.1 ** 2))


def _arrow_up(u, v):
    shaft = (np.abs(u) <= 0.1) & (v >= -0.15) & (v <= 0.55)
    head = (v >= -0.6) & (v <= -0.12) & (np.abs(u) <= (v + 0.6) * 0.8)
    return shaft | head


def _arrow_right(u, v):
    return _arrow_up(v, -u)


def _arrow_left(u, v):
    return _arrow_up(v, u)


def _small(fn, scale=0.6, dv=TRI_C):
    return lambda u, v: fn(u / scale, (v - dv) / scale)


def _plus(u, v):
    au, av = np.abs(u), np.abs(v)
    return ((au <= 0.08) & (av <= 0.55)) | ((av <= 0.08) & (au <= 0.55))


def _ring(u, v):
    r2 = u * u + v * v
    return (r2 <= 0.5 ** 2) & (r2 >= 0.3 ** 2)


def _two_bars(u, v):
    return ((np.abs(np.abs(u) - 0.22) <= 0.1)) & (np.abs(v) <= 0.42)


def _diag(u, v):
    return (np.abs(u - v) / np.sqrt(2.0) <= 0.12) & (u * u + v * v <= 0.8 ** 2)


def _x(u, v):
    return _diag(u, v) | _diag(u, -v)


def _p(u, v):
    stem = (np.abs(u + 0.22) <= 0.09) & (np.abs(v) <= 0.5)
    r2 = (u + 0.05) ** 2 + (v + 0.22) ** 2
    return stem | ((r2 <= 0.3 ** 2) & (r2 >= 0.13 ** 2) & (u >= -0.2))


# name -> layers (mask function, colour); the first layer is the sign's outer shape
CLASSES = {
    "warning_danger": [(_tri, RED), (_tri_in, WHITE), (_excl, BLACK)],
    "warning_curve_left": [(_tri, RED), (_tri_in, WHITE), (_small(_arrow_left), BLACK)],
    "warning_crossroads": [(_tri, RED), (_tri_in, WHITE), (_small(_plus, 0.75), BLACK)],
    "yield": [(_itri, RED), (_itri_in, WHITE)],
    "no_entry": [(_circle, RED), (_bar_h, WHITE)],
    "no_left_turn": [(_circle, RED), (_circle_in, WHITE), (_small(_arrow_left, 0.8, 0), BLACK)],
    "speed_limit": [(_circle, RED), (_circle_in, WHITE), (_two_bars, BLACK)],
    "ahead_only": [(_circle, BLUE), (_arrow_up, WHITE)],
    "turn_right": [(_circle, BLUE), (_arrow_right, WHITE)],
    "roundabout": [(_circle, BLUE), (_ring, WHITE)],
    "no_parking": [(_circle, RED), (_circle_in, BLUE), (_diag, RED)],
    "no_stopping": [(_circle, RED), (_circle_in, BLUE), (_x, RED)],
    "priority_road": [(_diamond, WHITE), (_diamond_in, YELLOW)],
    "stop": [(_octagon, RED), (_small(_bar_h, 0.8, 0), WHITE)],
    "one_way": [(_rect, WHITE), (_rect_in, BLUE), (_arrow_up, WHITE)],
    "parking": [(_rect, WHITE), (_rect_in, BLUE), (_p, WHITE)],
}
CATEGORIES = list(CLASSES)


def _box_blur(img):
    """3x3 box blur over the last two axes (edge padded)."""
    p = np.pad(img, [(0, 0)] * (img.ndim - 2) + [(1, 1), (1, 1)], mode="edge")
    h, w = img.shape[-2:]
    out = sum(p[..., i:i + h, j:j + w] for i in range(3) for j in range(3))
    return out / 9.0


def generate(seed=0, n_images=2000, image_size=48):
    """Uncached generation: (x (N,3,S,S) float32, sign mask (N,S,S) int64, label (N,) int64)."""
    rng = np.random.default_rng(seed)
    n, s = int(n_images), int(image_size)
    grid = np.arange(s, dtype=np.float32) + 0.5
    yy, xx = grid[:, None], grid[None, :]

    # background: vertical gradient between two colours, plus clutter rectangles
    top = rng.uniform(0.1, 0.8, (n, 3, 1, 1)).astype(np.float32)
    bottom = rng.uniform(0.05, 0.6, (n, 3, 1, 1)).astype(np.float32)
    img = top + (bottom - top) * (yy / s)[None, None]
    img = np.broadcast_to(img, (n, 3, s, s)).copy()
    for _ in range(3):
        x0, y0 = rng.uniform(-0.2, 1.0, (2, n, 1, 1)) * s
        w, h = rng.uniform(0.1, 0.6, (2, n, 1, 1)) * s
        col = rng.uniform(0.0, 0.9, (n, 3, 1, 1)).astype(np.float32)
        inside = (xx >= x0) & (xx < x0 + w) & (yy >= y0) & (yy < y0 + h)
        img = np.where(inside[:, None], col, img)

    label = rng.integers(0, len(CATEGORIES), n).astype(np.int64)
    cx = (0.5 + rng.uniform(-0.08, 0.08, n)) * s
    cy = (0.5 + rng.uniform(-0.08, 0.08, n)) * s
    radius = rng.uniform(0.30, 0.42, n) * s
    aspect = rng.uniform(0.85, 1.12, n)
    angle = np.deg2rad(rng.uniform(-12, 12, n))
    tint = rng.uniform(-0.06, 0.06, (n, 3)).astype(np.float32)
    mask = np.zeros((n, s, s), dtype=np.int64)
    for c, layers in enumerate(CLASSES.values()):
        ids = np.nonzero(label == c)[0]
        if len(ids) == 0:
            continue
        dx = xx[None] - cx[ids, None, None].astype(np.float32)
        dy = yy[None] - cy[ids, None, None].astype(np.float32)
        cos = np.cos(angle[ids])[:, None, None].astype(np.float32)
        sin = np.sin(angle[ids])[:, None, None].astype(np.float32)
        r = radius[ids, None, None].astype(np.float32)
        a = aspect[ids, None, None].astype(np.float32)
        u, v = (dx * cos + dy * sin) / (r * a), (dy * cos - dx * sin) / r
        sub = img[ids]
        for j, (fn, colour) in enumerate(layers):
            inside = fn(u, v)
            if j == 0:
                mask[ids] = inside
            col = np.clip(np.asarray(colour, np.float32) + tint[ids], 0, 1)[:, :, None, None]
            sub = np.where(inside[:, None], col, sub)
        img[ids] = sub

    # lighting (gain + horizontal gradient), blur of random strength, sensor noise
    gain = rng.uniform(0.45, 1.25, (n, 1, 1, 1)).astype(np.float32)
    slope = rng.uniform(-0.2, 0.2, (n, 1, 1, 1)).astype(np.float32)
    img = img * gain + slope * (xx / s - 0.5)[None, None]
    blur = rng.uniform(0.0, 1.0, (n, 1, 1, 1)).astype(np.float32)
    once = _box_blur(img)
    img = img * (1 - blur) + once * blur
    img += rng.normal(0, 1, img.shape).astype(np.float32) * rng.uniform(
        0.01, 0.05, (n, 1, 1, 1)).astype(np.float32)
    return np.clip(img, 0, 1).astype(np.float32), mask, label


def load(seed=0, n_images=2000, image_size=48, **_):
    """Tasks `ss` (sign vs background, mIoU) and `sc` (sign class, accuracy); cached."""
    x, mask, label = memory().cache(generate)(int(seed), int(n_images), int(image_size))
    idx = split_indices(len(x), seed)
    return MultiTaskData(
        name="signs",
        tasks=[TaskSpec("ss", n_classes=2, metric="miou", kind="segmentation"),
               TaskSpec("sc", n_classes=len(CATEGORIES), metric="accuracy",
                        kind="classification")],
        input_shape=(3, int(image_size), int(image_size)),
        x={sp: x[i] for sp, i in idx.items()},
        y={sp: {"ss": mask[i], "sc": label[i]} for sp, i in idx.items()},
        info={"categories": list(CATEGORIES),
              "source": f"generated BelgiumTS-like sign crops (seed {seed}, {n_images} "
                        f"images, {image_size}x{image_size})"},
    )
