"""BelgiumTS traffic signs from a local folder -- nothing is downloaded.

Two releases are understood:

(a) the classification release (BelgiumTSC): `path` holds one folder per class, `000NN/`,
    each with a semicolon-separated `GT-000NN.csv` (header
    `Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId`) and `.ppm` images. `path`
    may also be the parent of `Training/` and `Testing/` (the two archives unpacked side by
    side): then `Testing` is the test split and `Training` is cut into train/val. The whole
    image is resized to image_size x image_size; the ROI is read as inclusive pixel
    coordinates, i.e. the box [X1, Y1, X2 + 1, Y2 + 1], scaled by image_size / Width and
    image_size / Height.
(b) the detection release (BelgiumTSD): `path` is an annotation .txt file (or a folder holding
    one or more) with lines `camera/image;x1;y1;x2;y2;class_id;superclass_id;...`, image
    paths relative to the file's folder (a missing `.jp2` is also looked for as .jpg/.png/
    .ppm). Each annotated sign is cropped as a square of side max(w, h) * (1 + 2 * margin)
    centred on it (zero padded beyond the image), then resized.

Tasks: `ss` segmentation (N, H, W) int64, 1 = pixel centre inside a sign box (the ROI
rectangle; in crops every annotated sign of that image is marked), 0 = background;
`sc` classification (N,) int64, the ClassId / class_id mapped to contiguous 0..K-1 in
increasing id order (`info["class_ids"]` holds the original ids). `info["boxes"][split]` is a
float32 (N, 4) array with the sign's scaled box [x1, y1, x2, y2].

Splits keep related images together: in (a) images sharing a track prefix (`01153_00000.ppm`
-> class + `01153`) and in (b) crops of one photo go to the same split.

Errors: a missing folder/file raises MHLMError naming it. A corrupt annotation line is
skipped with a warning (file and line number) in `info["warnings"]`; only when no valid line
remains is it an MHLMError naming the file and line. An unreadable/missing image is skipped
with a warning naming it; no usable image raises MHLMError.
"""
from pathlib import Path

import numpy as np

from .base import MultiTaskData, TaskSpec, split_indices
from .coco import read_image

CSV_FIELDS = ["Filename", "Width", "Height", "Roi.X1", "Roi.Y1", "Roi.X2", "Roi.Y2", "ClassId"]
IMAGE_SUFFIXES = (".jp2", ".jpg", ".jpeg", ".png", ".ppm")


def _error(message):
    from .. import MHLMError
    return MHLMError(message)


def _class_dirs(root):
    return sorted(d for d in root.iterdir() if d.is_dir() and any(d.glob("GT-*.csv")))


def _is_annotation_txt(file):
    try:
        with open(file, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.strip():
                    return len(line.strip().split(";")) >= 6
    except OSError:
        return False
    return False


def box_mask(boxes, size):
    """(size, size) int64: 1 where a pixel centre lies inside any [x1, y1, x2, y2) box."""
    c = np.arange(size, dtype=np.float32) + 0.5
    out = np.zeros((size, size), dtype=bool)
    for x1, y1, x2, y2 in boxes:
        out |= ((c[:, None] >= y1) & (c[:, None] < y2)) & ((c[None, :] >= x1) & (c[None, :] < x2))
    return out.astype(np.int64)


def _parse_csv(csv, rows, bad):
    """Append valid rows (dict) from one GT csv; record (file, line, reason) of bad lines."""
    try:
        lines = csv.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as e:
        bad.append((csv, 0, f"cannot read file ({e})"))
        return
    if not lines:
        bad.append((csv, 1, "empty file"))
        return
    header = [h.strip() for h in lines[0].split(";")]
    missing = [f for f in CSV_FIELDS if f not in header]
    if missing:
        bad.append((csv, 1, f"header lacks {', '.join(missing)}"))
        return
    col = {f: header.index(f) for f in CSV_FIELDS}
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = [v.strip() for v in line.split(";")]
        try:
            name = fields[col["Filename"]]
            vals = {f: int(fields[col[f]]) for f in CSV_FIELDS[1:]}
        except (IndexError, ValueError):
            bad.append((csv, number, f"expected {len(CSV_FIELDS)} ';'-separated fields "
                                     f"({';'.join(CSV_FIELDS)}), got {line.strip()!r}"))
            continue
        if not name or vals["Roi.X2"] < vals["Roi.X1"] or vals["Roi.Y2"] < vals["Roi.Y1"]:
            bad.append((csv, number, f"invalid filename or ROI in {line.strip()!r}"))
            continue
        rows.append({"file": csv.parent / name, "class_id": vals["ClassId"],
                     "box": (vals["Roi.X1"], vals["Roi.Y1"], vals["Roi.X2"] + 1, vals["Roi.Y2"] + 1),
                     "group": (csv.parent.name, name.split("_")[0]), "source": csv})


def _parse_txt(txt, rows, bad):
    try:
        lines = txt.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as e:
        bad.append((txt, 0, f"cannot read file ({e})"))
        return
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        fields = [v.strip() for v in line.strip().split(";")]
        try:
            name = fields[0]
            x1, y1, x2, y2 = (float(v) for v in fields[1:5])
            class_id = int(float(fields[5]))
        except (IndexError, ValueError):
            bad.append((txt, number, "expected 'camera/image;x1;y1;x2;y2;class_id;...', "
                                     f"got {line.strip()!r}"))
            continue
        if not name or x2 <= x1 or y2 <= y1:
            bad.append((txt, number, f"invalid image name or box in {line.strip()!r}"))
            continue
        rows.append({"file": txt.parent / name, "class_id": class_id, "box": (x1, y1, x2, y2),
                     "group": (str(txt), name), "source": txt})


def _bad_line_text(item):
    file, number, reason = item
    return f"{file} line {number}: {reason}" if number else f"{file}: {reason}"


def _find_image(file):
    if file.is_file():
        return file
    for suffix in IMAGE_SUFFIXES:
        alt = file.with_suffix(suffix)
        if alt.is_file():
            return alt
    return None


def _discover(root):
    """('classification' | 'detection', {pool: [annotation files]})."""
    if not root.exists():
        raise _error(f"BelgiumTS path not found: {root}")
    if root.is_file():
        if root.suffix.lower() == ".csv":
            return "classification", {"all": [root]}
        return "detection", {"all": [root]}
    train, test = root / "Training", root / "Testing"
    if train.is_dir() and test.is_dir() and _class_dirs(train) and _class_dirs(test):
        return "classification", {"trainval": [c for d in _class_dirs(train)
                                               for c in sorted(d.glob("GT-*.csv"))],
                                  "test": [c for d in _class_dirs(test)
                                           for c in sorted(d.glob("GT-*.csv"))]}
    csvs = [c for d in _class_dirs(root) for c in sorted(d.glob("GT-*.csv"))]
    csvs += sorted(root.glob("GT-*.csv"))
    if csvs:
        return "classification", {"all": csvs}
    txts = [t for t in sorted(root.glob("*.txt")) if _is_annotation_txt(t)]
    if txts:
        return "detection", {"all": txts}
    raise _error(f"BelgiumTS: {root} holds neither class folders with GT-*.csv (classification "
                 "release) nor an annotation .txt (detection release)")


def _group_split(groups, seed, fractions):
    """Indices per split, cutting the distinct groups (in first-seen order) by `fractions`."""
    uniq = list(dict.fromkeys(groups))
    pos = {g: i for i, g in enumerate(uniq)}
    gidx = split_indices(len(uniq), seed, fractions)
    out = {}
    for split, chosen in gidx.items():
        keep = np.zeros(len(uniq), dtype=bool)
        keep[chosen] = True
        out[split] = np.asarray([i for i, g in enumerate(groups) if keep[pos[g]]], dtype=np.int64)
    return out


def _crop(im, box, margin):
    """Square crop around box with context; returns (PIL crop, (left, top, side))."""
    x1, y1, x2, y2 = box
    side = max(x2 - x1, y2 - y1) * (1 + 2 * margin)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    left, top = int(round(cx - side / 2)), int(round(cy - side / 2))
    side = max(1, int(round(side)))
    return im.crop((left, top, left + side, top + side)), (left, top, side)


def _load_crops(rows, size, margin, warnings):
    """Detection release: one crop per annotated sign."""
    from PIL import Image
    by_image = {}
    for r in rows:
        by_image.setdefault(r["file"], []).append(r)
    out = []
    for file, items in by_image.items():
        found = _find_image(file)
        if found is None:
            warnings.append(f"{file}: image file missing, skipped ({len(items)} signs)")
            continue
        try:
            with Image.open(found) as im:
                im.load()
                rgb = im.convert("RGB")
        except Exception as e:
            warnings.append(f"{found}: unreadable image, skipped ({type(e).__name__}: {e})")
            continue
        for r in items:
            crop, (left, top, side) = _crop(rgb, r["box"], margin)
            arr = np.asarray(crop.resize((size, size), Image.BILINEAR), np.float32) / 255.0
            scale = size / side

            def tr(b):
                return [np.clip((b[0] - left) * scale, 0, size), np.clip((b[1] - top) * scale, 0, size),
                        np.clip((b[2] - left) * scale, 0, size), np.clip((b[3] - top) * scale, 0, size)]
            own = tr(r["box"])
            others = [tr(o["box"]) for o in items]
            out.append((arr.transpose(2, 0, 1), box_mask(others, size), r, own))
    return out


def _load_whole(rows, size, warnings):
    """Classification release: the whole image, ROI scaled."""
    out = []
    for r in rows:
        if not r["file"].is_file():
            warnings.append(f"{r['file']}: image file missing (listed in {r['source']}), skipped")
            continue
        try:
            x, (w, h) = read_image(r["file"], size)
        except Exception as e:
            warnings.append(f"{r['file']}: unreadable image, skipped ({type(e).__name__}: {e})")
            continue
        x1, y1, x2, y2 = r["box"]
        sx, sy = size / w, size / h
        box = [min(x1 * sx, size), min(y1 * sy, size), min(x2 * sx, size), min(y2 * sy, size)]
        out.append((x, box_mask([box], size), r, box))
    return out


def load(path=None, image_size=48, seed=0, margin=0.25, **_):
    """Tasks `ss` (sign vs background, mIoU) and `sc` (sign class); see module docstring."""
    if path is None:
        raise _error("belgiumts: give `path` (a BelgiumTSC class-folder root, or a BelgiumTSD "
                     "annotation .txt or its folder)")
    size = int(image_size)
    root = Path(path)
    release, pools = _discover(root)
    parse = _parse_csv if release == "classification" else _parse_txt
    rows_by_pool, bad = {}, []
    for pool, files in pools.items():
        rows_by_pool[pool] = []
        for f in files:
            parse(f, rows_by_pool[pool], bad)
    if not any(rows_by_pool.values()):
        if bad:
            more = f" (and {len(bad) - 1} more bad lines)" if len(bad) > 1 else ""
            raise _error(f"BelgiumTS: no valid annotation line; {_bad_line_text(bad[0])}{more}")
        raise _error(f"BelgiumTS: no annotation lines in {root}")
    warnings = [f"{_bad_line_text(b)}; skipped" for b in bad]

    samples = {}
    for pool, rows in rows_by_pool.items():
        if release == "classification":
            samples[pool] = _load_whole(rows, size, warnings)
        else:
            samples[pool] = _load_crops(rows, size, float(margin), warnings)
    if not any(samples.values()):
        raise _error(f"BelgiumTS: no usable image in {root}; first problem: {warnings[0]}")

    class_ids = sorted({s[2]["class_id"] for v in samples.values() for s in v})
    cmap = {c: i for i, c in enumerate(class_ids)}

    def arrays(items):
        if not items:
            return (np.zeros((0, 3, size, size), np.float32), np.zeros((0, size, size), np.int64),
                    np.zeros(0, np.int64), np.zeros((0, 4), np.float32))
        return (np.stack([s[0] for s in items]).astype(np.float32),
                np.stack([s[1] for s in items]),
                np.asarray([cmap[s[2]["class_id"]] for s in items], dtype=np.int64),
                np.asarray([s[3] for s in items], dtype=np.float32).reshape(-1, 4))

    parts = {}
    if "test" in samples:  # Training/ + Testing/ layout
        tv = samples["trainval"]
        idx = _group_split([s[2]["group"] for s in tv], seed, (0.75, 0.25, 0.0))
        parts = {"train": [tv[i] for i in idx["train"]], "val": [tv[i] for i in idx["val"]],
                 "test": samples["test"]}
    else:
        items = samples["all"]
        idx = _group_split([s[2]["group"] for s in items], seed, (0.6, 0.2, 0.2))
        parts = {s: [items[i] for i in ix] for s, ix in idx.items()}
    built = {s: arrays(v) for s, v in parts.items()}
    files = {s: [str(it[2]["file"]) for it in v] for s, v in parts.items()}
    return MultiTaskData(
        name="belgiumts",
        tasks=[TaskSpec("ss", n_classes=2, metric="miou", kind="segmentation"),
               TaskSpec("sc", n_classes=len(class_ids), metric="accuracy",
                        kind="classification")],
        input_shape=(3, size, size),
        x={s: b[0] for s, b in built.items()},
        y={s: {"ss": b[1], "sc": b[2]} for s, b in built.items()},
        info={"categories": [f"{c:05d}" for c in class_ids], "class_ids": class_ids,
              "source": f"BelgiumTS {release} release at {root}", "release": release,
              "boxes": {s: b[3] for s, b in built.items()}, "files": files,
              "warnings": warnings},
    )
