"""Streamlit AppTest checks of every page, with and without a (tiny) experiment."""
import json
import os
from pathlib import Path

os.environ.setdefault("MHLM_THREADS", "1")  # before torch loads: no thread oversubscription on a shared box

import numpy as np
import pytest
import streamlit.testing.v1.app_test as app_test_module
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

import mhlm_core.pipeline as pipeline
from mhlm_core.mapping.mhlm_mapping import choose
from mhlm_core.mapping.schema import build_mapping, dumps, validate_mapping

PAGES = ["app.py", "pages/1_Training.py", "pages/2_Mapping.py", "pages/3_Results.py", "pages/4_Gallery.py"]
TINY = {"backbone": "mlp", "epochs": 2, "ft_epochs": 1, "repeats": 2, "estimator": "permutation"}
TINY_IMAGES = {"dataset": "shapes", "dataset_options": {"n_images": 120}, "backbone": "cnn-small", "epochs": 1,
               "ft_epochs": 1, "repeats": 1, "estimator": "permutation", "drift_times": ["1d"]}
TIMEOUT = 60
APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A private cache directory for the experiments of this module."""
    mp = pytest.MonkeyPatch()
    cache = tmp_path_factory.mktemp("mhlm_cache")
    mp.setenv("MHLM_CACHE", str(cache))  # read at call time by the core
    if hasattr(pipeline, "CACHE_DIR"):  # older core: read once at import
        mp.setattr(pipeline, "CACHE_DIR", cache)
    yield cache
    mp.undo()


def _run(overrides):
    cfg = pipeline.make_config(**overrides)
    exp = pipeline.run_experiment(cfg)
    assert pipeline.is_cached(cfg)
    return cfg, exp


@pytest.fixture(scope="module")
def tiny(cache):
    """A tiny digits experiment run once through the core."""
    return _run(TINY)


@pytest.fixture(scope="module")
def tiny_images(cache):
    """A tiny shapes experiment (segmentation, detection, classification), one drift time."""
    return _run(TINY_IMAGES)


def page(path, cfg=None):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if cfg is not None:
        at.session_state["cfg"] = cfg
    at.run()
    if path != "app.py":
        at.switch_page(path).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown_prefix(at):
    return next(m.value for m in at.metric if m.label == "Shared prefix k*")


class RecordingStorage(MemoryMediaFileStorage):
    """AppTest's in-memory media store, remembered so a test can read a download's bytes."""
    last = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        RecordingStorage.last = self


@pytest.fixture(autouse=True)
def _record_media(monkeypatch):
    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", RecordingStorage)


def download_text(at, key="download"):
    """The data behind the download button `key` of the last run."""
    btn = next(b for b in at.download_button if b.key == key)
    return RecordingStorage.last.get_file(btn.proto.url.rsplit("/", 1)[-1]).content.decode()


def strip_created(text):
    doc = json.loads(text)
    doc["provenance"].pop("created", None)
    return doc


@pytest.mark.parametrize("path", PAGES)
def test_pages_without_experiment(path):
    at = page(path)
    if path != "app.py":
        assert any("Run an experiment on the Experiment page first" in i.value for i in at.info)


@pytest.mark.parametrize("path", PAGES)
def test_pages_with_experiment(tiny, path):
    cfg, exp = tiny
    at = page(path, cfg)
    assert not at.error, [e.value for e in at.error]
    if path == "app.py":
        assert any("Backbone" == m.label and m.value == "mlp" for m in at.metric)


@pytest.mark.parametrize("path", PAGES)
def test_pages_with_image_experiment(tiny_images, path):
    cfg, exp = tiny_images
    at = page(path, cfg)
    assert not at.error, [e.value for e in at.error]
    if path == "pages/3_Results.py":
        cols = list(at.dataframe[0].value.columns)
        for want in ("ss mIoU", "od mAP", "ic accuracy"):
            assert want in cols, cols
    if path == "pages/4_Gallery.py":
        assert len(at.image) >= 2, "no gallery images"
        assert any("ic: " in c.caption for im in at.image for c in im.proto.imgs)


def test_gallery_methods_and_analog(tiny_images):
    """An analog method draws a third image per row; an all-digital one says so."""
    cfg, exp = tiny_images
    at = page("pages/4_Gallery.py", cfg)
    at.number_input(key="gallery_n").set_value(2).run()
    at.selectbox(key="gallery_method").set_value("ts_digital").run()
    assert not at.exception
    assert len(at.image) == 4 and any("nothing to drift" in i.value for i in at.info)
    at.selectbox(key="gallery_method").set_value("hard_sharing").run()
    assert not at.exception and len(at.image) == 6
    at.slider(key="gallery_score").set_value(0.0).run()
    assert not at.exception and len(at.image) == 6


def test_image_dataset_options_reach_config(monkeypatch):
    """Only changed or required dataset options enter the configuration (default cache keys stay)."""
    from mhlm_core import MHLMError
    seen = []

    def fake_run(cfg, progress=None):
        seen.append(cfg)
        raise MHLMError("stopped by the test")

    monkeypatch.setattr(pipeline, "run_experiment", fake_run)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.button(key="run").click().run()
    assert seen[-1] == pipeline.make_config()  # untouched widgets: exactly the defaults
    at.radio(key="dataset").set_value("shapes").run()
    at.button(key="run").click().run()
    assert seen[-1]["dataset"] == "shapes" and seen[-1]["dataset_options"] == {}
    at.number_input(key="shapes_n_images").set_value(300).run()
    at.radio(key="backbone").set_value("resnet18").run()
    at.text_input(key="backbone_weights").input("/nowhere/r18.pth")
    at.button(key="run").click().run()
    assert not at.exception and any("stopped by the test" in e.value for e in at.error)
    assert seen[-1]["dataset_options"] == {"n_images": 300}
    assert seen[-1]["backbone_weights"] == "/nowhere/r18.pth"
    at.radio(key="backbone").set_value("vit-tiny").run()
    assert any("slow on a CPU" in c.value for c in at.caption)


def test_bad_coco_path_shows_error(tmp_path):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.radio(key="dataset").set_value("coco").run()
    at.text_input(key="coco_path").input(str(tmp_path / "no_coco"))
    at.button(key="run").click().run()
    assert not at.exception
    assert any("COCO" in e.value and "not found" in e.value for e in at.error), [e.value for e in at.error]
    assert "cfg" not in at.session_state


def test_mapping_slider_follows_core(tiny):
    cfg, exp = tiny
    stats = exp["stats"]
    at = page("pages/2_Mapping.py", cfg)
    alpha, beta = at.slider(key="alpha").value, at.slider(key="beta").value
    tau0 = at.slider(key="tau").value
    assert shown_prefix(at) == f"{choose(stats, tau0, alpha, beta)['k']} / {len(stats['layers'])}"

    # a tau just above the second layer score shares at least two layers (scores rise with depth)
    score = choose(stats, 0.0, alpha, beta)["score"]
    step = at.slider(key="tau").proto.step
    candidates = [round(np.ceil(s / step) * step, 10) for s in score]
    tau1 = next(t for t in candidates if choose(stats, t, alpha, beta)["k"] != choose(stats, tau0, alpha, beta)["k"])
    at.slider(key="tau").set_value(tau1).run()
    assert not at.exception
    want = choose(stats, tau1, alpha, beta)
    assert shown_prefix(at) == f"{want['k']} / {len(stats['layers'])}"
    portion = build_mapping(stats, tau1, alpha, beta)["summary"]["shared_portion"]
    assert next(m.value for m in at.metric if m.label == "Shared") == f"{100 * portion:.1f} %"

    got = download_text(at)
    validate_mapping(json.loads(got))
    assert strip_created(got) == strip_created(dumps(build_mapping(stats, tau1, alpha, beta)))

    # the Results page uses the thresholds chosen on the Mapping page
    at.switch_page("pages/3_Results.py").run()
    assert not at.exception
    assert any(f"k\\* = {want['k']}" in md.value for md in at.markdown)


def test_bad_csv_shows_error(tmp_path):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.radio(key="dataset").set_value("csv").run()
    at.text_input(key="csv_path").input(str(tmp_path / "missing.csv"))
    at.text_input(key="csv_targets").input("a,b")
    at.button(key="run").click().run()
    assert not at.exception
    assert any("file not found" in e.value for e in at.error)
    assert "cfg" not in at.session_state


def test_mapping_upload_validates(tiny):
    cfg, exp = tiny
    at = page("pages/2_Mapping.py", cfg)
    bad = build_mapping(exp["stats"], 0.05, 0.5, 1.0)
    bad["summary"]["shared_prefix"] = 99
    at.file_uploader(key="upload").set_value(("bad.json", dumps(bad).encode(), "application/json")).run()
    assert not at.exception
    assert any("summary.shared_prefix" in e.value for e in at.error)
    at.file_uploader(key="upload").set_value(("junk.json", b"{not json", "application/json")).run()
    assert any("not valid JSON" in e.value for e in at.error)
    good = dumps(build_mapping(exp["stats"], 0.05, 0.5, 1.0)).encode()
    at.file_uploader(key="upload").set_value(("good.json", good, "application/json")).run()
    assert not at.error and any("is a valid mapping" in s.value for s in at.success)
