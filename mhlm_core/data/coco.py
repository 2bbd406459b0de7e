"""COCO (instances) from a local folder -- nothing is downloaded.

`load(path=...)` takes a COCO root holding `annotations/instances_<split>.json` and an image
folder (`<split>/`, e.g. `train2017/`, or `images/`); when several annotation files exist, the
first (sorted) one whose image folder exists is used. Or give `annotations` (the json file) and
`images` (the folder) explicitly. Annotations are read with pycocotools.

Categories: the (non-contiguous) COCO category ids, sorted, map to contiguous 0..K-1; the
optional `categories` subset (names or ids, a list or a comma-separated string) keeps only
those. Images are resized to image_size x image_size (PIL bilinear), masks with nearest
neighbour, boxes scaled by image_size / width and image_size / height of the annotated size.

Tasks (same as `shapes`):
- `ss` segmentation (N, H, W) int64, 0 = background, 1..K = category + 1. Masks come from
  polygons and RLE (pycocotools annToMask). Objects are painted largest first, so a smaller
  object lying over a larger one stays visible.
- `od` detection: list of (n_i, 5) float32 [x1, y1, x2, y2, category] from the COCO `bbox`
  ([x, y, w, h] -> [x, y, x + w, y + h], scaled and clipped to the image).
- `ic` classification (N,) int64: category of the largest (annotated `area`) non-crowd object.

Crowd annotations (iscrowd=1) are ignored as COCO evaluation ignores them: they give no box,
are not painted into the mask (their pixels stay background, 0, unless a non-crowd object
covers them) and never decide `ic`. `info["n_crowd_ignored"]` counts them. Images without
any non-crowd object of the kept categories are dropped (`info["n_images_without_objects"]`).

Errors: a missing folder/file or a corrupt JSON raises MHLMError naming it; an unreadable or
missing image is skipped with a warning in `info["warnings"]`; no usable image raises MHLMError.
`max_images` stops after that many usable images (in image id order). The split is
`split_indices(n, seed)` (one annotation file has no split of its own).
"""
import contextlib
import io
import json
import warnings as warnings_module
from pathlib import Path

import numpy as np

from .base import scene_workload, split_indices


def _error(message):
    from .. import MHLMError
    return MHLMError(message)


def read_image(file, size):
    """(float32 (3, size, size) in [0, 1], (width, height)) or raises OSError/ValueError."""
    from PIL import Image
    with Image.open(file) as im:
        im.load()
        rgb = im.convert("RGB")
    width, height = rgb.size
    arr = np.asarray(rgb.resize((size, size), Image.BILINEAR), dtype=np.float32) / 255.0
    return np.ascontiguousarray(arr.transpose(2, 0, 1)), (width, height)


def resize_labels(labels, size):
    """Nearest-neighbour resize of an integer label map to (size, size), int64."""
    from PIL import Image
    im = Image.fromarray(np.asarray(labels, dtype=np.int32))
    return np.asarray(im.resize((size, size), Image.NEAREST), dtype=np.int64)


def _resolve(path, annotations, images):
    if annotations is not None:
        ann = Path(annotations)
        if not ann.is_file():
            raise _error(f"COCO annotation file not found: {ann}")
        root = ann.parent.parent if ann.parent.name == "annotations" else ann.parent
    elif path is not None:
        root = Path(path)
        if not root.exists():
            raise _error(f"COCO folder not found: {root}")
        if root.is_file():
            ann = root
            root = ann.parent.parent if ann.parent.name == "annotations" else ann.parent
        else:
            cands = (sorted((root / "annotations").glob("instances_*.json"))
                     or sorted(root.glob("instances_*.json")))
            if not cands:
                raise _error(f"no annotations/instances_*.json in COCO folder {root}")
            with_images = [c for c in cands if (root / c.stem[len("instances_"):]).is_dir()]
            ann = (with_images or cands)[0]
    else:
        raise _error("coco: give `path` (a COCO root folder) or `annotations` and `images`")

    if images is not None:
        img_dir = Path(images)
        if not img_dir.is_dir():
            raise _error(f"COCO image folder not found: {img_dir}")
    else:
        split = ann.stem[len("instances_"):] if ann.stem.startswith("instances_") else None
        cands = ([root / split, root / "images" / split] if split else []) + [root / "images"]
        img_dir = next((c for c in cands if c.is_dir()), root)
    return ann, img_dir


def _read_coco(ann):
    from pycocotools.coco import COCO
    try:
        with open(ann, encoding="utf-8") as f:
            data = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise _error(f"corrupt COCO annotation file {ann}: {e}") from None
    except OSError as e:
        raise _error(f"cannot read COCO annotation file {ann}: {e}") from None
    if not isinstance(data, dict) or not all(
            isinstance(data.get(k), list) for k in ("images", "annotations", "categories")):
        raise _error(f"{ann} is not a COCO instances file "
                     "(needs lists 'images', 'annotations' and 'categories')")
    coco = COCO()
    coco.dataset = data
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            coco.createIndex()
    except (KeyError, TypeError) as e:
        raise _error(f"malformed COCO annotation file {ann}: bad or missing field {e}") from None
    return coco, data


def _category_ids(data, categories, ann):
    try:
        cats = sorted(data["categories"], key=lambda c: int(c["id"]))
        by_name = {str(c["name"]): int(c["id"]) for c in cats}
        names = {int(c["id"]): str(c["name"]) for c in cats}
    except (KeyError, TypeError, ValueError):
        raise _error(f"malformed COCO annotation file {ann}: bad 'categories'") from None
    ids = [int(c["id"]) for c in cats]
    if categories is None:
        return ids, names
    if isinstance(categories, (str, int, np.integer)):
        categories = [c.strip() for c in str(categories).split(",") if c.strip()]
    wanted = set()
    for c in categories:
        if isinstance(c, str) and c in by_name:
            wanted.add(by_name[c])
        elif str(c).strip().lstrip("-").isdigit() and int(c) in ids:
            wanted.add(int(c))
        else:
            raise _error(f"unknown COCO category '{c}' in {ann}; available: "
                         + ", ".join(f"{n} ({i})" for n, i in by_name.items()))
    return sorted(wanted), names


def load(path=None, annotations=None, images=None, categories=None, image_size=64,
         max_images=None, seed=0, **_):
    """Tasks `ss`, `od`, `ic` from local COCO instances annotations (see module docstring)."""
    from pycocotools import mask as mask_utils

    size = int(image_size)
    ann_file, img_dir = _resolve(path, annotations, images)
    coco, data = _read_coco(ann_file)
    kept_ids, names = _category_ids(data, categories, ann_file)
    cmap = {cid: i for i, cid in enumerate(kept_ids)}

    xs, masks, boxes, labels, image_ids, warnings = [], [], [], [], [], []
    n_crowd, n_empty = 0, 0
    for img_id in sorted(coco.imgs):
        if max_images is not None and len(xs) >= int(max_images):
            break
        meta = coco.imgs[img_id]
        anns = [a for a in coco.imgToAnns.get(img_id, []) if a.get("category_id") in cmap]
        crowd = [a for a in anns if a.get("iscrowd", 0)]
        objects = [a for a in anns if not a.get("iscrowd", 0)]
        n_crowd += len(crowd)
        if not objects:
            n_empty += 1
            continue
        file = img_dir / str(meta.get("file_name", ""))
        if not file.is_file():
            warnings.append(f"{file}: image file missing, skipped")
            continue
        try:
            x, (width, height) = read_image(file, size)
        except Exception as e:  # PIL raises OSError, ValueError, SyntaxError, ...
            warnings.append(f"{file}: unreadable image, skipped ({type(e).__name__}: {e})")
            continue
        h = int(meta.get("height") or height)
        w = int(meta.get("width") or width)
        meta["height"], meta["width"] = h, w  # annToMask reads them
        sx, sy = size / w, size / h

        sem = np.zeros((h, w), dtype=np.int32)
        rows, areas = [], []
        painted = []
        for a in objects:
            k = cmap[a["category_id"]]
            m = None
            try:
                with warnings_module.catch_warnings():  # pycocotools' numpy-2 copy= notice
                    warnings_module.simplefilter("ignore", DeprecationWarning)
                    m = coco.annToMask(a)
            except Exception as e:  # missing/invalid segmentation: keep the box only
                warnings.append(f"{ann_file}: annotation {a.get('id')} (image {img_id}) has an "
                                f"invalid segmentation, mask ignored ({type(e).__name__}: {e})")
            area = float(a.get("area") or (m.sum() if m is not None else 0.0))
            bbox = a.get("bbox")
            if bbox is None and m is not None and m.any():
                bbox = mask_utils.toBbox(mask_utils.encode(np.asfortranarray(m))).tolist()
            if bbox is not None and len(bbox) == 4:
                bx, by, bw, bh = (float(v) for v in bbox)
                x1, x2 = np.clip([bx * sx, (bx + bw) * sx], 0, size)
                y1, y2 = np.clip([by * sy, (by + bh) * sy], 0, size)
                if x2 > x1 and y2 > y1:
                    rows.append([x1, y1, x2, y2, k])
            areas.append((area, k))
            if m is not None:
                painted.append((area, k, m))
        for _, k, m in sorted(painted, key=lambda t: -t[0]):
            sem[m > 0] = k + 1
        xs.append(x)
        masks.append(resize_labels(sem, size))
        boxes.append(np.asarray(rows, dtype=np.float32).reshape(-1, 5))
        labels.append(max(areas, key=lambda t: t[0])[1])
        image_ids.append(int(img_id))

    if not xs:
        detail = f"; first problem: {warnings[0]}" if warnings else ""
        raise _error(f"no usable COCO image: {ann_file} with images in {img_dir} "
                     f"({n_empty} images without objects of the chosen categories){detail}")

    x = np.stack(xs).astype(np.float32)
    mask = np.stack(masks)
    label = np.asarray(labels, dtype=np.int64)
    ids = np.asarray(image_ids, dtype=np.int64)
    data = scene_workload("coco", x, mask, boxes, label, [names[c] for c in kept_ids], seed, {
        "category_ids": list(kept_ids), "source": f"COCO annotations {ann_file}, images {img_dir}",
        "n_crowd_ignored": n_crowd, "n_images_without_objects": n_empty, "warnings": warnings})
    data.info["image_ids"] = {s: ids[i].tolist() for s, i in split_indices(len(x), seed).items()}
    return data
