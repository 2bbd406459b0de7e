"""Image datasets: generated shapes/signs and the local COCO / BelgiumTS loaders."""
import json

import numpy as np
import pytest
from PIL import Image

from mhlm_core import MHLMError
from mhlm_core.data import DATASETS, belgiumts, coco, load_dataset, shapes, signs


def _noise(w, h, seed=0):
    return Image.fromarray(np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8))


def _bbox(pixels):
    ys, xs = np.nonzero(pixels)
    return [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]


# ---------------------------------------------------------------- generated workloads

def test_registry_has_image_datasets():
    assert {"shapes", "signs", "coco", "belgiumts"} <= set(DATASETS)


def test_shapes_deterministic_and_formats(cache_dir):
    a = shapes.generate(seed=3, n_images=80, image_size=48)
    b = shapes.generate(seed=3, n_images=80, image_size=48)
    c = shapes.generate(seed=4, n_images=80, image_size=48)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert all(np.array_equal(p, q) for p, q in zip(a[2], b[2])) and np.array_equal(a[3], b[3])
    assert not np.array_equal(a[0], c[0])

    d = load_dataset("shapes", seed=3, n_images=80, image_size=48)
    assert [t.name for t in d.tasks] == ["ss", "od", "ic"]
    assert [t.kind for t in d.tasks] == ["segmentation", "detection", "classification"]
    assert [t.n_classes for t in d.tasks] == [9, 8, 8] and d.input_shape == (3, 48, 48)
    assert d.sizes() == {"train": 48, "val": 16, "test": 16}
    assert len(d.info["categories"]) == 8
    for split in ("train", "val", "test"):
        x, y = d.x[split], d.y[split]
        assert x.dtype == np.float32 and x.shape[1:] == (3, 48, 48)
        assert 0.0 <= x.min() and x.max() <= 1.0
        assert y["ss"].dtype == np.int64 and y["ss"].shape == (len(x), 48, 48)
        assert y["ic"].dtype == np.int64 and y["ic"].shape == (len(x),)
        assert len(y["od"]) == len(x)
        assert all(b.dtype == np.float32 and b.ndim == 2 and b.shape[1] == 5 for b in y["od"])
    # cached reload gives the same arrays
    again = shapes.load(seed=3, n_images=80, image_size=48)
    assert np.array_equal(again.x["train"], d.x["train"])


def test_shapes_boxes_match_masks():
    x, mask, boxes, label = shapes.generate(seed=0, n_images=300, image_size=64)
    single = 0
    for i in range(len(x)):
        cats_in_mask = set(np.unique(mask[i])) - {0}
        rows = boxes[i]
        assert len(rows) >= 1
        assert label[i] in set(rows[:, 4].astype(int))  # ic = a visible (boxed) object
        for r in rows:
            pix = mask[i] == int(r[4]) + 1
            assert pix.any()
            ex = _bbox(pix)  # the box lies inside the bbox of its category's pixels
            assert ex[0] <= r[0] and ex[1] <= r[1] and r[2] <= ex[2] and r[3] <= ex[3]
        if len(rows) == 1 and len(cats_in_mask) == 1:
            single += 1
            assert rows[0, :4].tolist() == _bbox(mask[i] > 0)
            assert int(rows[0, 4]) + 1 == next(iter(cats_in_mask)) == label[i] + 1
    assert single > 30
    assert set(label.tolist()) == set(range(8))


def test_signs_deterministic_and_formats(cache_dir):
    a = signs.generate(seed=5, n_images=200, image_size=40)
    b = signs.generate(seed=5, n_images=200, image_size=40)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not np.array_equal(a[0], signs.generate(seed=6, n_images=200, image_size=40)[0])
    x, mask, label = a
    assert set(np.unique(mask).tolist()) == {0, 1}
    frac = mask.mean(axis=(1, 2))
    assert frac.min() > 0.1 and frac.max() < 0.8  # one sign per crop, background around it
    assert len(set(label.tolist())) == len(signs.CATEGORIES) >= 12

    d = load_dataset("signs", seed=5, n_images=200, image_size=40)
    assert [(t.name, t.n_classes, t.metric, t.kind) for t in d.tasks] == [
        ("ss", 2, "miou", "segmentation"), ("sc", 16, "accuracy", "classification")]
    assert d.x["train"].shape == (120, 3, 40, 40) and d.x["train"].dtype == np.float32
    assert d.y["test"]["ss"].shape == (40, 40, 40) and d.y["test"]["sc"].dtype == np.int64


# ---------------------------------------------------------------- COCO

def _rle(m):
    from pycocotools import mask as mask_utils
    r = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
    r["counts"] = r["counts"].decode()
    return r


TRIANGLE = [10, 10, 90, 10, 50, 70]


def _shoelace(p):
    xs, ys = np.asarray(p[0::2], float), np.asarray(p[1::2], float)
    return 0.5 * abs(np.dot(xs, np.roll(ys, 1)) - np.dot(ys, np.roll(xs, 1)))


@pytest.fixture
def coco_root(tmp_path):
    root = tmp_path / "coco"
    (root / "annotations").mkdir(parents=True)
    (root / "train2017").mkdir()
    for i, (name, (w, h)) in enumerate({"a.png": (100, 80), "b.png": (60, 60),
                                        "c.png": (50, 50)}.items()):
        _noise(w, h, i).save(root / "train2017" / name)
    (root / "train2017" / "bad.png").write_bytes(b"this is not a png")
    crowd = np.zeros((80, 100)); crowd[60:80, 0:30] = 1
    bird = np.zeros((60, 60)); bird[20:40, 10:50] = 1
    square = [0, 0, 10, 0, 10, 10, 0, 10]
    data = {
        "images": [{"id": 1, "file_name": "a.png", "width": 100, "height": 80},
                   {"id": 2, "file_name": "b.png", "width": 60, "height": 60},
                   {"id": 3, "file_name": "c.png", "width": 50, "height": 50},
                   {"id": 4, "file_name": "missing.png", "width": 50, "height": 50},
                   {"id": 5, "file_name": "bad.png", "width": 50, "height": 50}],
        "categories": [{"id": 12, "name": "bird"}, {"id": 3, "name": "cat"},
                       {"id": 7, "name": "dog"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 7, "iscrowd": 0, "area": 2400.0,
             "bbox": [10, 10, 80, 60], "segmentation": [TRIANGLE]},
            {"id": 2, "image_id": 1, "category_id": 3, "iscrowd": 1, "area": 600.0,
             "bbox": [0, 60, 30, 20], "segmentation": _rle(crowd)},
            {"id": 3, "image_id": 2, "category_id": 12, "iscrowd": 0, "area": 800.0,
             "bbox": [10, 20, 40, 20], "segmentation": _rle(bird)},
            {"id": 4, "image_id": 2, "category_id": 3, "iscrowd": 0, "area": 100.0,
             "bbox": [0, 0, 10, 10], "segmentation": [square]},
            {"id": 5, "image_id": 3, "category_id": 3, "iscrowd": 1, "area": 100.0,
             "bbox": [0, 0, 10, 10], "segmentation": [square]},
            {"id": 6, "image_id": 4, "category_id": 3, "iscrowd": 0, "area": 100.0,
             "bbox": [0, 0, 10, 10], "segmentation": [square]},
            {"id": 7, "image_id": 5, "category_id": 3, "iscrowd": 0, "area": 100.0,
             "bbox": [0, 0, 10, 10], "segmentation": [square]},
        ]}
    (root / "annotations" / "instances_train2017.json").write_text(json.dumps(data))
    return root


def _by_image(d, task):
    out = {}
    for s in d.x:
        for j, img_id in enumerate(d.info["image_ids"][s]):
            out[img_id] = d.y[s][task][j]
    return out


def test_coco_loader(coco_root):
    d = load_dataset("coco", path=coco_root, image_size=64)
    assert d.info["category_ids"] == [3, 7, 12]
    assert d.info["categories"] == ["cat", "dog", "bird"]
    assert [(t.name, t.n_classes, t.kind) for t in d.tasks] == [
        ("ss", 4, "segmentation"), ("od", 3, "detection"), ("ic", 3, "classification")]
    assert sum(d.sizes().values()) == 2 and d.info["n_images_without_objects"] == 1
    assert d.info["n_crowd_ignored"] == 2
    warn = "\n".join(d.info["warnings"])
    assert "missing.png" in warn and "bad.png" in warn and len(d.info["warnings"]) == 2

    ss, od, ic = _by_image(d, "ss"), _by_image(d, "od"), _by_image(d, "ic")
    # image 1 (100x80 -> 64x64): polygon dog -> class 1, mask area ~ shoelace area scaled
    scale = (64 / 100) * (64 / 80)
    area = (ss[1] == 2).sum()
    assert area == pytest.approx(_shoelace(TRIANGLE) * scale, rel=0.05)
    assert ic[1] == 1
    # the crowd cat gives no box and its pixels stay background
    np.testing.assert_allclose(od[1], [[6.4, 8.0, 57.6, 56.0, 1]], atol=1e-4)
    assert (ss[1][48:, :19] == 0).all() and not (ss[1] == 1).any()
    # image 2 (60x60): RLE bird (class 2) is the largest -> ic; boxes scaled by 64/60
    assert ic[2] == 2
    assert (ss[2] == 3).sum() == pytest.approx(800 * (64 / 60) ** 2, rel=0.05)
    k = 64 / 60
    np.testing.assert_allclose(od[2], [[10 * k, 20 * k, 50 * k, 40 * k, 2],
                                       [0, 0, 10 * k, 10 * k, 0]], atol=1e-4)
    assert _bbox(ss[2] == 3) == [11, 21, 53, 43]
    x = np.concatenate([d.x[s] for s in d.x])
    assert x.shape == (2, 3, 64, 64) and x.dtype == np.float32 and x.max() <= 1.0


def test_coco_category_subset_and_explicit_paths(coco_root):
    d = coco.load(annotations=coco_root / "annotations" / "instances_train2017.json",
                  images=coco_root / "train2017", categories=["bird", 3], image_size=32)
    assert d.info["category_ids"] == [3, 12] and d.tasks[1].n_classes == 2
    od = _by_image(d, "od")
    assert sorted(od) == [2]  # image 1 holds only a dog (and a crowd cat)
    assert sorted(od[2][:, 4].tolist()) == [0, 1]
    only = coco.load(path=coco_root, categories="bird")
    assert only.info["categories"] == ["bird"] and sum(only.sizes().values()) == 1
    with pytest.raises(MHLMError, match="unknown COCO category 'horse'"):
        coco.load(path=coco_root, categories=["horse"])


def test_coco_errors(coco_root, tmp_path):
    with pytest.raises(MHLMError, match="nowhere"):
        coco.load(path=tmp_path / "nowhere")
    with pytest.raises(MHLMError, match="instances"):
        coco.load(path=tmp_path)  # no annotations/instances_*.json
    bad = coco_root / "annotations" / "instances_broken.json"
    bad.write_text('{"images": [')
    with pytest.raises(MHLMError, match="corrupt COCO annotation file .*instances_broken.json"):
        coco.load(annotations=bad, images=coco_root / "train2017")
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    with pytest.raises(MHLMError, match="no usable COCO image"):
        coco.load(annotations=coco_root / "annotations" / "instances_train2017.json",
                  images=empty_dir)


# ---------------------------------------------------------------- BelgiumTS

HEADER = "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId"


@pytest.fixture
def btsc_root(tmp_path):
    root = tmp_path / "Training"
    c3, c10 = root / "00003", root / "00010"
    c3.mkdir(parents=True)
    c10.mkdir()
    _noise(40, 30, 1).save(c3 / "00010_00000.ppm")
    _noise(50, 50, 2).save(c3 / "00010_00001.ppm")
    (c3 / "00011_00000.ppm").write_bytes(b"P6 garbage")
    (c3 / "GT-00003.csv").write_text("\n".join([
        HEADER, "00010_00000.ppm;40;30;4;3;35;26;3", "00010_00001.ppm;50;50;5;5;44;44;3",
        "this;line;is;broken", "00011_00000.ppm;40;40;2;2;37;37;3"]) + "\n")
    _noise(32, 32, 3).save(c10 / "00020_00000.ppm")
    _noise(32, 32, 4).save(c10 / "00021_00000.ppm")
    (c10 / "GT-00010.csv").write_text("\n".join([
        HEADER, "00020_00000.ppm;32;32;0;0;31;31;10", "00021_00000.ppm;32;32;8;8;23;23;10"]))
    return root


def _all(d, key):
    return [v for s in d.x for v in (d.y[s][key] if key in d.y[s] else d.info[key][s])]


def test_belgiumts_classification_release(btsc_root):
    d = load_dataset("belgiumts", path=btsc_root, image_size=48)
    assert d.info["release"] == "classification"
    assert d.info["class_ids"] == [3, 10] and d.tasks[1].n_classes == 2
    assert [(t.name, t.kind, t.metric) for t in d.tasks] == [
        ("ss", "segmentation", "miou"), ("sc", "classification", "accuracy")]
    assert sum(d.sizes().values()) == 4
    warn = d.info["warnings"]
    assert len(warn) == 2
    assert any("GT-00003.csv line 4" in w for w in warn)
    assert any("00011_00000.ppm" in w and "unreadable" in w for w in warn)

    files = [f.split("/")[-1] for s in d.x for f in d.info["files"][s]]
    boxes = dict(zip(files, [b for s in d.x for b in d.info["boxes"][s]]))
    masks = dict(zip(files, _all(d, "ss")))
    labels = dict(zip(files, _all(d, "sc")))
    # 40x30 image, ROI (4, 3)-(35, 26) inclusive -> [4, 3, 36, 27] * (48/40, 48/30)
    np.testing.assert_allclose(boxes["00010_00000.ppm"], [4.8, 4.8, 43.2, 43.2], atol=1e-4)
    assert _bbox(masks["00010_00000.ppm"]) == [5, 5, 43, 43]
    assert masks["00010_00000.ppm"].sum() == 38 * 38
    # 32x32 image, ROI (8, 8)-(23, 23) -> [12, 12, 36, 36]
    np.testing.assert_allclose(boxes["00021_00000.ppm"], [12, 12, 36, 36], atol=1e-4)
    assert masks["00021_00000.ppm"].sum() == 24 * 24
    assert labels["00010_00001.ppm"] == 0 and labels["00020_00000.ppm"] == 1
    # the two images of track 00010 share a split
    split_of = {f.split("/")[-1]: s for s in d.x for f in d.info["files"][s]}
    assert split_of["00010_00000.ppm"] == split_of["00010_00001.ppm"]
    x = np.concatenate([d.x[s] for s in d.x])
    assert x.shape == (4, 3, 48, 48) and x.dtype == np.float32


def test_belgiumts_errors(btsc_root, tmp_path):
    with pytest.raises(MHLMError, match="not found: .*nothere"):
        belgiumts.load(path=tmp_path / "nothere")
    broken = tmp_path / "broken" / "00005"
    broken.mkdir(parents=True)
    (broken / "GT-00005.csv").write_text(HEADER + "\nnot;a;valid;row\n")
    with pytest.raises(MHLMError, match=r"GT-00005\.csv line 2"):
        belgiumts.load(path=tmp_path / "broken")
    noimg = tmp_path / "noimg" / "00001"
    noimg.mkdir(parents=True)
    (noimg / "GT-00001.csv").write_text(HEADER + "\ngone.ppm;10;10;1;1;8;8;1\n")
    with pytest.raises(MHLMError, match="no usable image.*gone.ppm"):
        belgiumts.load(path=tmp_path / "noimg")
    with pytest.raises(MHLMError, match="neither"):
        belgiumts.load(path=_empty(tmp_path))


def _empty(tmp_path):
    p = tmp_path / "nothing_here"
    p.mkdir()
    return p


def test_belgiumts_detection_release(tmp_path):
    root = tmp_path / "btsd"
    (root / "01").mkdir(parents=True)
    img = _noise(200, 100, 7)
    img.save(root / "01" / "image.000001.png")  # listed as .jp2, found as .png
    (root / "BTSD_training_GT.txt").write_text("\n".join([
        "01/image.000001.jp2;50;20;90;60;7;2;1;",
        "01/image.000001.jp2;120;30;140;50;13;1;0;",
        "01/broken line",
        "02/image.000002.jp2;10;10;20;20;7;2;1;"]) + "\n")
    for path in (root, root / "BTSD_training_GT.txt"):
        d = belgiumts.load(path=path, image_size=48)
        assert d.info["release"] == "detection" and d.info["class_ids"] == [7, 13]
        assert sum(d.sizes().values()) == 2
        warn = "\n".join(d.info["warnings"])
        assert "BTSD_training_GT.txt line 3" in warn and "image.000002.jp2" in warn
        by_class = {int(c): (x, m, b) for s in d.x for x, m, c, b in zip(
            d.x[s], d.y[s]["ss"], d.y[s]["sc"], d.info["boxes"][s])}
        # sign 1: 40x40 box, margin 0.25 -> 60 px square crop at (40, 10), scale 48/60
        x, m, b = by_class[0]
        np.testing.assert_allclose(b, [8, 8, 40, 40], atol=1e-4)
        assert _bbox(m) == [8, 8, 40, 40] and m.sum() == 32 * 32
        expect = np.asarray(img.crop((40, 10, 100, 70)).resize((48, 48), Image.BILINEAR),
                            np.float32).transpose(2, 0, 1) / 255
        np.testing.assert_allclose(x, expect, atol=1e-6)
        # sign 2: 20x20 box -> 30 px crop; sign 1 is outside that crop
        x, m, b = by_class[1]
        np.testing.assert_allclose(b, [8, 8, 40, 40], atol=1e-4)
        assert m.sum() == 32 * 32
