"""Speed benchmark (numbers for the closing notes / docs/benchmarks.md).

    .venv/bin/python scripts/benchmark.py [--preset default|quick] [--backbone cnn-small]

1. the configuration end to end without cache (train all methods, map, deploy, drift), by stage;
2. HWA + joint-loss training vs plain training, the same network and epochs, interleaved runs;
3. aihwkit tiles: C++ vs torch tile, one deployed evaluation (programming + drift + test set);
4. mapping recomputation from stored statistics: median / p95 over 2000 random thresholds,
   and the wall time of `python -m mhlm_core map`;
5. with --epoch-times: one training epoch (T copies, noise + joint loss) per backbone on the
   dataset, e.g. `--dataset shapes --epoch-times resnet18 vit-tiny`.
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mhlm_core.analog.deploy import drift_evaluate  # noqa: E402
from mhlm_core.config import PRESETS, make_config  # noqa: E402
from mhlm_core.data import load_dataset  # noqa: E402
from mhlm_core.mapping.mhlm_mapping import choose  # noqa: E402
from mhlm_core.mapping.schema import build_mapping  # noqa: E402
from mhlm_core.models.multitask import build_net  # noqa: E402
from mhlm_core.pipeline import run_experiment, save_run  # noqa: E402
from mhlm_core.training.trainer import train  # noqa: E402


def stage_breakdown(timings):
    groups = {"train 4 strategies": ["plain", "noise", "joint", "noise+joint"],
              "similarity + Shapley": ["similarity+importance"]}
    out = {g: sum(timings.get(k, 0) for k in ks) for g, ks in groups.items()}
    out["fine-tune + hard sharing"] = sum(v for k, v in timings.items() if " ft" in k or k == "hard_sharing")
    out["deploy + drift (all methods, all times)"] = sum(v for k, v in timings.items() if k.startswith("deploy"))
    out["total"] = timings["total"]
    return out


def training_ratio(cfg, rounds=3):
    data = load_dataset(cfg["dataset"], seed=cfg["seed"], **cfg["dataset_options"])
    times = {"plain": [], "noise+joint": []}
    for _ in range(rounds):
        for name, sigma, lam in (("plain", 0.0, 0.0), ("noise+joint", cfg["sigma"], cfg["lam"])):
            net = build_net(cfg["backbone"], data.input_shape, data.tasks, seed=cfg["seed"])
            t0 = time.perf_counter()
            train(net, data, cfg["epochs"], lr=cfg["lr"], sigma=sigma, lam=lam, track_jsd=False)
            times[name].append(time.perf_counter() - t0)
    plain, hwa = statistics.median(times["plain"]), statistics.median(times["noise+joint"])
    return {"plain_s": plain, "hwa_joint_s": hwa, "ratio": hwa / plain}


def tile_speed(cfg, exp):
    from mhlm_core.models.multitask import MultiTaskNet  # noqa: F401
    data = load_dataset(cfg["dataset"], seed=cfg["seed"], **cfg["dataset_options"])
    net = build_net(cfg["backbone"], data.input_shape, data.tasks, seed=cfg["seed"])
    net.load_state_dict(exp["deployed"]["ts_hwa"]["state_dict"])
    out = {}
    for tile in ("cpp", "torch"):
        t0 = time.perf_counter()
        drift_evaluate(net, data, times=("1d",), repeats=5, analog_trunk=False, analog_rest=True,
                       analog={**cfg["analog"], "tile": tile})
        out[f"{tile}_s_per_repeat"] = (time.perf_counter() - t0) / 5
    t0 = time.perf_counter()
    drift_evaluate(net, data, times=("1d",), analog_trunk=False, analog_rest=False)
    out["digital_eval_s"] = time.perf_counter() - t0
    return out


def mapping_latency(stats, n=2000):
    rng = np.random.default_rng(0)
    lat = []
    for _ in range(n):
        tau, alpha, beta = rng.uniform(0, 0.3), rng.uniform(0, 1), rng.uniform(0, 3)
        t0 = time.perf_counter()
        choose(stats, tau, alpha, beta)
        build_mapping(stats, tau, alpha, beta)
        lat.append(time.perf_counter() - t0)
    lat = np.array(lat) * 1e3
    return {"median_ms": float(np.median(lat)), "p95_ms": float(np.percentile(lat, 95))}


def epoch_times(cfg, backbones):
    from mhlm_core.pipeline import prepare_data
    out = {}
    for bb in backbones:
        c = make_config(**{**cfg, "backbone": bb})
        data, _ = prepare_data(c)
        net = build_net(bb, data.input_shape, data.tasks, seed=c["seed"])
        t0 = time.perf_counter()
        hist = train(net, data, 1, lr=c["lr"], sigma=c["sigma"], lam=c["lam"], track_jsd=False)
        out[bb] = {"epoch_s": hist[0]["seconds"], "with_validation_s": time.perf_counter() - t0,
                   "train_images": len(data.x["train"])}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="default", choices=sorted(PRESETS))
    ap.add_argument("--backbone", default="cnn-small")
    ap.add_argument("--dataset", default="digits")
    ap.add_argument("--epoch-times", nargs="*", help="backbones to time one training epoch of")
    ap.add_argument("--json", help="also write the numbers to this file")
    a = ap.parse_args()
    cfg = make_config(**{**PRESETS[a.preset], "backbone": a.backbone, "dataset": a.dataset})
    if a.epoch_times:
        text = json.dumps(epoch_times(cfg, a.epoch_times), indent=2)
        print(text)
        if a.json:
            Path(a.json).write_text(text)
        return
    report = {"config": {k: cfg[k] for k in ("dataset", "backbone", "epochs", "ft_epochs", "repeats",
                                             "estimator", "drift_times")}}
    t0 = time.perf_counter()
    exp = run_experiment(cfg, use_cache=False)
    report["end_to_end_s"] = time.perf_counter() - t0
    report["stages_s"] = stage_breakdown(exp["timings"])
    report["training_ratio"] = training_ratio(cfg)
    report["tiles"] = tile_speed(cfg, exp)
    report["mapping"] = mapping_latency(exp["stats"])
    with tempfile.TemporaryDirectory() as d:
        save_run(exp, d)
        walls = []
        for _ in range(5):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "mhlm_core", "map", d, "--tau", "0.1", "--out", f"{d}/m.json"],
                           check=True, capture_output=True, cwd=Path(__file__).resolve().parent.parent)
            walls.append(time.perf_counter() - t0)
    report["mapping"]["cli_map_wall_s_median"] = statistics.median(walls)
    text = json.dumps(report, indent=2)
    print(text)
    if a.json:
        Path(a.json).write_text(text)


if __name__ == "__main__":
    main()
