"""The pipeline end to end on a tiny real run, through the core and through the CLI."""
import json
import subprocess
import sys

import pytest

from conftest import ROOT, TINY
from mhlm_core import MHLMError
from mhlm_core.mapping.mhlm_mapping import choose
from mhlm_core.mapping.schema import build_mapping, validate_mapping
from mhlm_core.pipeline import is_cached, rebuild_deployed, run_experiment
from mhlm_core.reporting.results import results_document, table


def cli(*args, env_cache, timeout=600):
    import os
    env = dict(os.environ, MHLM_CACHE=str(env_cache))
    return subprocess.run([sys.executable, "-m", "mhlm_core", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_experiment_contents(tiny_experiment):
    exp = tiny_experiment
    L = len(exp["stats"]["layers"])
    assert L == 4 and exp["tasks"] == ["digit", "rotation", "loops"]
    assert set(exp["histories"]) == {"plain", "noise", "joint", "noise+joint"}
    for hist in exp["histories"].values():
        assert [r["epoch"] for r in hist] == [1, 2] and all(0 <= r["jsd"] <= 1 for r in hist)
    assert len(exp["stats"]["perf_per_task"]) == L + 1
    assert len(exp["stats"]["pair_jsd"][0]) == 3  # 3 task pairs x channels
    for d in exp["deployed"].values():
        assert set(d["drift"]) == {"1s", "1h", "1d", "1w", "1mo", "1y"}
        assert all(0.0 <= d["drift"]["1d"][t]["mean"] <= 1.0 for t in exp["tasks"])
    assert exp["deployed"]["ts_digital"]["drift"]["1d"]["digit"]["std"] == 0.0
    assert len(exp["deployed"]["ts_hwa"]["drift"]["1d"]["digit"]["values"]) == TINY["repeats"]


def test_results_table_and_mapping_agree(tiny_experiment):
    exp = tiny_experiment
    for tau in (0.0, 0.05, 10.0):
        rows = {r["key"]: r for r in table(exp, tau, 0.5, 1.0)}
        k = choose(exp["stats"], tau, 0.5, 1.0)["k"]
        assert rows["mhlm"]["k"] == k
        doc = build_mapping(exp["stats"], tau, 0.5, 1.0)
        assert doc["summary"]["shared_prefix"] == k
        assert rows["mhlm"]["shared %"] == pytest.approx(100 * doc["summary"]["shared_portion"])
    assert choose(exp["stats"], 10.0, 0.5, 1.0)["k"] == 4
    assert rows["ts_hwa"]["analog MAC %"] > 90 and rows["ts_digital"]["analog MAC %"] == 0
    assert rows["hard_sharing"]["param reduction"] > 2
    res = results_document(exp, 0.05, 0.5, 1.0)
    assert set(res["methods"]) == {"ts_digital", "ts_hwa", "hard_sharing", "mhlm"}
    assert "budget" in res and res["methods"]["mhlm"]["one_day"]["digit"]["std"] >= 0


def test_cache_keys(tiny_experiment, cache_dir):
    assert is_cached(TINY, cache_dir)
    assert not is_cached({**TINY, "epochs": 3}, cache_dir)
    assert not is_cached({**TINY, "sigma": 0.1}, cache_dir)


def test_rebuild_from_mapping(tiny_experiment):
    import torch
    exp = tiny_experiment
    doc = validate_mapping(json.loads(json.dumps(build_mapping(exp["stats"], 10.0, 0.5, 1.0))))
    model = rebuild_deployed(exp, doc)
    assert model.k == 4 if hasattr(model, "k") else True
    model.program_analog_weights()
    model.drift_analog_weights(86400.0)
    outs = model(torch.zeros(3, 1, 8, 8))
    assert [o.shape[1] for o in outs] == [10, 4, 2]
    other = dict(doc, backbone="cnn-small")
    with pytest.raises(MHLMError, match="backbone"):
        rebuild_deployed(exp, other)


def test_nan_loss_is_a_clear_error(cache_dir):
    bad = {**TINY, "lr": 1e12}
    with pytest.raises(MHLMError, match="diverged"):
        run_experiment(bad, cache_dir=cache_dir)
    assert not is_cached(bad, cache_dir)


def test_cli_end_to_end(tiny_experiment, cache_dir, tmp_path):
    out = tmp_path / "run"
    r = cli("run", "--backbone", "mlp", "--epochs", 2, "--ft-epochs", 1, "--repeats", 2,
            "--estimator", "permutation", "--out", out, env_cache=cache_dir)
    assert r.returncode == 0, r.stderr
    for name in ("mapping.json", "results.json", "stats.json", "config.json", "weights.pt"):
        assert (out / name).is_file()
    mapping = json.loads((out / "mapping.json").read_text())
    validate_mapping(mapping)
    from mhlm_core.config import DEFAULT_THRESHOLDS as D
    assert mapping["summary"]["shared_prefix"] == choose(tiny_experiment["stats"], D["tau"], D["alpha"], D["beta"])["k"]

    r = cli("map", out, "--tau", 10, "--out", tmp_path / "all.json", env_cache=cache_dir)
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "all.json").read_text())["summary"]["shared_prefix"] == 4
    r = cli("validate", tmp_path / "all.json", env_cache=cache_dir)
    assert r.returncode == 0 and r.stdout.startswith("valid")

    broken = json.loads((tmp_path / "all.json").read_text())
    broken["layers"][2]["placement"] = "quantum"
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    r = cli("validate", tmp_path / "broken.json", env_cache=cache_dir)
    assert r.returncode == 1
    assert r.stderr.strip().count("\n") == 0 and "layers[2].placement" in r.stderr
    assert "Traceback" not in r.stderr

    r = cli("map", out, "--alpha", 1.5, env_cache=cache_dir)
    assert r.returncode == 2 and "alpha" in r.stderr and "Traceback" not in r.stderr
    r = cli("deploy", out, "--mapping", tmp_path / "all.json", "--repeats", 1, env_cache=cache_dir)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["shared_prefix"] == 4


def test_cli_bad_csv(cache_dir, tmp_path):
    r = cli("run", "--dataset", "csv", "--csv", tmp_path / "none.csv", "--targets", "a,b",
            "--backbone", "mlp", "--out", tmp_path / "o", env_cache=cache_dir)
    assert r.returncode == 2 and "file not found" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "o").exists()


def test_cli_bad_outputs(tiny_experiment, cache_dir, tmp_path):
    """A bad --out fails before any training; bad map/deploy arguments are one-line errors."""
    blocker = tmp_path / "a-file"
    blocker.write_text("keep me")
    r = cli("run", "--backbone", "mlp", "--epochs", 2, "--out", blocker, env_cache=cache_dir)
    assert r.returncode == 2 and "cannot use --out" in r.stderr and "training" not in r.stderr
    assert blocker.read_text() == "keep me"
    out = tmp_path / "run"
    assert cli("run", "--backbone", "mlp", "--epochs", 2, "--ft-epochs", 1, "--repeats", 2, "--estimator",
               "permutation", "--out", out, env_cache=cache_dir).returncode == 0
    r = cli("map", out, "--out", tmp_path / "no" / "such" / "dir.json", env_cache=cache_dir)
    assert r.returncode == 2 and "cannot write" in r.stderr and "Traceback" not in r.stderr
    r = cli("deploy", out, "--repeats", 0, env_cache=cache_dir)
    assert r.returncode == 2 and "--repeats" in r.stderr


def test_cli_help():
    r = subprocess.run([sys.executable, "-m", "mhlm_core", "run", "--help"], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 0 and "--sigma" in r.stdout and "--tau" in r.stdout


def test_cli_names_match_registries():
    from mhlm_core.__main__ import BACKBONE_NAMES, DATASET_NAMES
    from mhlm_core.data import DATASETS
    from mhlm_core.models import BACKBONES
    assert sorted(DATASET_NAMES) == sorted(DATASETS) and sorted(BACKBONE_NAMES) == sorted(BACKBONES)


def test_dense_tasks_end_to_end(cache_dir, tmp_path):
    """A tiny `shapes` run through the CLI: segmentation, detection and classification flow
    through training, mapping, deployment, results and the gallery."""
    out = tmp_path / "shapes"
    r = cli("run", "--dataset", "shapes", "--n-images", 120, "--backbone", "cnn-small", "--epochs", 1,
            "--ft-epochs", 1, "--repeats", 1, "--estimator", "permutation", "--drift-times", "1d",
            "--out", out, env_cache=cache_dir)
    assert r.returncode == 0, r.stderr
    res = json.loads((out / "results.json").read_text())
    assert res["tasks"] == ["ss", "od", "ic"] and res["metrics"] == {"ss": "miou", "od": "map", "ic": "accuracy"}
    for method in res["methods"].values():
        assert set(method["drift"]) == {"1d"}
        assert all(0.0 <= method["one_day"][t]["mean"] <= 1.0 for t in res["tasks"])
    stats = json.loads((out / "stats.json").read_text())
    assert len(stats["layers"]) == 4 and len(stats["pairs"]) == 3

    from mhlm_core.pipeline import run_experiment
    from mhlm_core.reporting.gallery import gallery
    exp = run_experiment(json.loads((out / "config.json").read_text()), cache_dir=cache_dir)
    g = gallery(exp, 0.05, 0.5, 1.0, method="ts_hwa", n=2)
    item = g["items"][0]
    assert item["image"].shape == (64, 64, 3) and item["digital"]["ss"].shape == (64, 64)
    assert item["analog"]["od"].shape[1] == 6 and item["truth"]["od"].shape[1] == 5
