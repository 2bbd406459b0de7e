"""The whole MHLM experiment: train the four strategies and the baselines, collect per-layer
statistics, build and deploy every candidate prefix, and return plain data (numbers, lists and
CPU state dicts) that the mapping, the reports, the CLI and the app read without retraining.

`run_experiment` is cached with joblib.Memory under `cache/`, keyed on the plain configuration
plus a fingerprint of any user data file.
"""
import json
import os
import pickle
import platform
import time
from pathlib import Path

import joblib
import numpy as np
import torch

from . import MHLMError, __version__, torch_setup  # noqa: F401
from .analog.deploy import drift_evaluate, has_analog
from .baselines import RUNNERS
from .config import make_config
from .data import load_dataset
from .models.accounting import deployed_accounting, layer_table
from .models.multitask import build_net, feature_shapes
from .similarity.jsd import layer_distributions, pairwise_channel_jsd, task_pairs
from .similarity.shapley import layer_importance
from .tasks import kind_of
from .training.trainer import train

DEFAULT_CACHE = Path(__file__).resolve().parent.parent / "cache"


def cache_location():
    """$MHLM_CACHE if set (read at call time), else `cache/` at the project root."""
    return Path(os.environ.get("MHLM_CACHE") or DEFAULT_CACHE)


STRATEGIES = {"plain": (False, False), "noise": (True, False), "joint": (False, True),
              "noise+joint": (True, True)}


class Progress:
    """Weighted progress over the run's units (epochs and deployed-model evaluations)."""

    def __init__(self, total, callback=None):
        self.total, self.done, self.callback, self.t0 = total, 0.0, callback, time.perf_counter()

    def step(self, units, message, **info):
        self.done = min(self.total, self.done + units)
        if self.callback:
            elapsed = time.perf_counter() - self.t0
            frac = self.done / self.total
            eta = elapsed * (1 - frac) / frac if frac > 0 else None
            self.callback({"fraction": frac, "message": message, "elapsed": elapsed, "eta": eta, **info})


class Context:
    """What the method files need: data, config, trained strategies, fine-tune and deploy."""

    def __init__(self, cfg, data, probe, progress, workers=1):
        self.cfg, self.data, self.progress, self.workers = cfg, data, progress, workers
        self.histories, self._strategies, self.timings, self.jobs = {}, {}, {}, []
        self.device = training_device(cfg["device"])
        self.n_layers = len(probe.layer_names)
        self.layers = layer_table(probe, data.input_shape)  # (per-layer rows, per-head rows)

    def new_net(self, k=0):
        return build_net(self.cfg["backbone"], self.data.input_shape, self.data.tasks, k=k, seed=self.cfg["seed"],
                         weights=self.cfg["backbone_weights"]).to(self.device)

    def train(self, net, epochs, sigma, lam, label, record=False, lr=None):
        t0 = time.perf_counter()

        def on_epoch(rec):
            self.progress.step(1, f"training {label}: epoch {rec['epoch']}/{epochs}", loss=rec["loss"])

        hist = train(net, self.data, epochs, lr=lr or self.cfg["lr"], batch_size=self.cfg["batch_size"],
                     sigma=sigma, lam=lam, seed=self.cfg["seed"], temperature=self.cfg["temperature"],
                     label=label, on_epoch=on_epoch, track_jsd=record)
        self.timings[label] = time.perf_counter() - t0
        if record:
            self.histories[label] = hist
        return net

    def strategy(self, name):
        """The k = 0 task-specific copies trained with one of the four strategies (memoised)."""
        if name not in self._strategies:
            noise, joint = STRATEGIES[name]
            self._strategies[name] = self.train(self.new_net(), self.cfg["epochs"],
                                                self.cfg["sigma"] if noise else 0.0,
                                                self.cfg["lam"] if joint else 0.0, name, record=True)
        return self._strategies[name]

    def finetune(self, net, sigma=None, label="fine-tune"):
        """Spec section 6: fine-tune a deployed model (noise on) at a third of the training lr."""
        if self.cfg["ft_epochs"]:
            sigma = self.cfg["sigma"] if sigma is None else sigma
            self.train(net, self.cfg["ft_epochs"], sigma, 0.0, label, lr=self.cfg["lr"] / 3)
        return net

    def deployed(self, net, analog_trunk, analog_rest):
        """Queue a deployment; `evaluate_deployments` fills in its drift results."""
        layers, heads = self.layers
        record = {"k": net.k, "analog_trunk": analog_trunk, "analog_rest": analog_rest,
                  "accounting": deployed_accounting(layers, heads, net.k, analog_trunk, analog_rest),
                  "state_dict": {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}}
        self.jobs.append(record)
        return record

    def evaluate_deployments(self, names):
        """Program, drift and evaluate every queued deployment, in `workers` processes (the
        aihwkit simulation dominates and parallelises well); seeds make it order-independent."""
        jobs = [(self.cfg, j["k"], j["state_dict"], j["analog_trunk"], j["analog_rest"]) for j in self.jobs]
        workers = min(self.workers, len(jobs))
        if workers > 1:
            results = joblib.Parallel(n_jobs=workers, backend="loky", return_as="generator")(
                joblib.delayed(_deploy_job)(*job, threads=1) for job in jobs)
        else:
            results = (_deploy_job(*job, data=self.data) for job in jobs)
        for name, job, (drift, seconds) in zip(names, self.jobs, results):
            job["drift"] = drift
            self.timings[f"deploy {name}"] = seconds
            analog = has_analog(job["k"], job["analog_trunk"], job["analog_rest"])
            self.progress.step(2, f"deployed {name} ({'analog' if analog else 'all digital'})")
        self.jobs = []


_WORKER_DATA = {}


def _deploy_job(cfg, k, state_dict, analog_trunk, analog_rest, data=None, threads=None):
    """Rebuild one deployed model from plain weights and evaluate it at every drift time.
    Runs in a worker process too (analog models don't pickle; state dicts do)."""
    t0 = time.perf_counter()
    if threads:
        torch.set_num_threads(threads)
    if data is None:
        key = json.dumps(cfg, sort_keys=True)
        if key not in _WORKER_DATA:
            _WORKER_DATA.clear()
            _WORKER_DATA[key] = prepare_data(cfg)[0]
        data = _WORKER_DATA[key]
    net = net_from_state(cfg, data, k, state_dict)
    drift = drift_evaluate(net, data, times=tuple(cfg["drift_times"]), repeats=cfg["repeats"], seed=cfg["seed"],
                           analog_trunk=analog_trunk, analog_rest=analog_rest, analog=cfg["analog"])
    return drift, time.perf_counter() - t0


def _total_units(cfg, n_layers):
    e, f = cfg["epochs"], cfg["ft_epochs"]
    train_units = 4 * e + (e + f) + (2 + n_layers + 1) * f
    return train_units + 2 * (3 + n_layers + 1) + n_layers


def data_fingerprint(cfg):
    """Sizes and mtimes of a user's data file, or of the annotation files (json/csv/txt, two
    levels deep) of a data folder, so an edited dataset is not served from the cache."""
    path = cfg["dataset_options"].get("path")
    if not path:
        return ""
    p = Path(path).expanduser()
    files = [p] if p.is_file() else sorted(f for pattern in ("*", "*/*") for f in p.glob(pattern)
                                          if f.suffix.lower() in (".json", ".csv", ".txt")) if p.is_dir() else []
    return ";".join(f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in files)


def net_from_state(cfg, data, k, state_dict):
    """A prefix-k network of the configured backbone holding stored (plain tensor) weights."""
    net = build_net(cfg["backbone"], data.input_shape, data.tasks, k=k, seed=cfg["seed"],
                    weights=cfg["backbone_weights"])
    net.load_state_dict(state_dict)
    return net.eval()


def training_device(name):
    """CUDA when asked for or ("auto") when present; deployment runs where its tile runs."""
    if name == "cuda" and not torch.cuda.is_available():
        raise MHLMError("config: device 'cuda' was asked for but no CUDA GPU is available")
    return torch.device("cuda" if name != "cpu" and torch.cuda.is_available() else "cpu")


def prepare_data(cfg):
    """The configured dataset with its targets encoded for the backbone's feature geometry,
    and an untrained probe network (k = 0) of that backbone."""
    data = load_dataset(cfg["dataset"], seed=cfg["seed"], **cfg["dataset_options"])
    probe = build_net(cfg["backbone"], data.input_shape, data.tasks, seed=cfg["seed"],
                      weights=cfg["backbone_weights"])
    data.encode_targets(feature_shapes([(None, m) for m in probe.branches[0]], data.input_shape)[-1])
    return data, probe


def default_workers():
    """$MHLM_WORKERS, else one deployment process per core (at most 4)."""
    return int(os.environ.get("MHLM_WORKERS", "0")) or max(1, min(4, os.cpu_count() or 1))


def _experiment(cfg, fingerprint, progress=None, workers=None):
    """Uncached run (see `run_experiment`); `workers` only changes speed, never results."""
    t_start = time.perf_counter()
    data, probe = prepare_data(cfg)
    n_layers = len(probe.layer_names)
    prog = Progress(_total_units(cfg, n_layers), progress)
    ctx = Context(cfg, data, probe, prog, workers or default_workers())
    for name in STRATEGIES:
        ctx.strategy(name)

    t0 = time.perf_counter()
    xv, _ = data.tensors("val")
    base = ctx.strategy("noise+joint")
    pair_jsd = pairwise_channel_jsd(layer_distributions(base, xv, temperature=cfg["temperature"]))
    importance, per_task_importance = layer_importance(
        base, xv, estimator=cfg["estimator"], seed=cfg["seed"],
        summaries=[kind_of(t).summary for t in data.tasks])
    prog.step(n_layers, "similarity and Shapley importance")
    ctx.timings["similarity+importance"] = time.perf_counter() - t0

    deployed = {}
    for run in RUNNERS:
        deployed.update(run(ctx))
    ctx.evaluate_deployments(list(deployed))

    tasks = [t.name for t in data.tasks]
    layers, heads = ctx.layers
    cands = [deployed[f"mhlm_k{k}"] for k in range(n_layers + 1)]
    stats = {
        "dataset": data.name, "backbone": cfg["backbone"], "tasks": tasks,
        "pairs": [f"{tasks[i]}-{tasks[j]}" for i, j in task_pairs(len(tasks))],
        "layers": layers, "heads": heads,
        "pair_jsd": [a.tolist() for a in pair_jsd],
        "importance": [a.tolist() for a in importance],
        "importance_per_task": [[a.tolist() for a in row] for row in per_task_importance],
        "perf_per_task": [[c["drift"]["1d"][t]["mean"] for t in tasks] for c in cands],
        "accounting": [c["accounting"] for c in cands],
        "analog": dict(cfg["analog"]),
        "provenance": provenance(cfg),
    }
    ctx.timings["total"] = time.perf_counter() - t_start
    return {"config": cfg, "tasks": tasks, "metrics": {t.name: t.metric for t in data.tasks},
            "data": {"name": data.name, "sizes": data.sizes(), "input_shape": list(data.input_shape),
                     **data.info},
            "histories": ctx.histories, "stats": stats, "deployed": deployed,
            "timings": ctx.timings, "budget": {"epochs": cfg["epochs"], "ft_epochs": cfg["ft_epochs"]}}


def provenance(cfg):
    import aihwkit
    return {"mhlm_core": __version__, "torch": torch.__version__, "aihwkit": aihwkit.__version__,
            "numpy": np.__version__, "python": platform.python_version(), "seed": cfg["seed"]}


def memory(cache_dir=None):
    return joblib.Memory(str(cache_dir or cache_location()), verbose=0)


def _cached(cache_dir):
    return memory(cache_dir).cache(_experiment, ignore=["progress", "workers"])


def is_cached(cfg, cache_dir=None):
    cfg = make_config(**cfg)
    return _cached(cache_dir).check_call_in_cache(cfg, data_fingerprint(cfg))


def run_experiment(cfg=None, progress=None, cache_dir=None, use_cache=True, workers=None):
    """Run (or load from cache) one experiment. `progress(info)` gets fraction/message/ETA;
    `workers` = processes for the analog deployments (default `default_workers()`)."""
    cfg = make_config(**(cfg or {}))
    if not use_cache:
        return _experiment(cfg, data_fingerprint(cfg), progress, workers)
    return _cached(cache_dir)(cfg, data_fingerprint(cfg), progress=progress, workers=workers)


def remember_last(cfg, cache_dir=None):
    """Record the configuration of the last finished experiment (the app reopens it)."""
    path = Path(cache_dir or cache_location())
    path.mkdir(parents=True, exist_ok=True)
    (path / "last_experiment.json").write_text(json.dumps(cfg))


def last_config(cache_dir=None):
    """The last finished experiment's configuration if it is still in the cache, else None."""
    try:
        cfg = json.loads((Path(cache_dir or cache_location()) / "last_experiment.json").read_text())
        return cfg if is_cached(cfg, cache_dir) else None
    except (OSError, ValueError, MHLMError):
        return None


def check_mapping_matches(exp, mapping):
    """Raise MHLMError when a (validated) mapping was made for another experiment."""
    stats = exp["stats"]
    for field in ("dataset", "backbone", "tasks"):
        if mapping[field] != stats[field]:
            raise MHLMError(f"mapping: field '{field}' is {mapping[field]!r} but the experiment has {stats[field]!r}")
    names = [row["name"] for row in stats["layers"]]
    if [layer["name"] for layer in mapping["layers"]] != names:
        raise MHLMError(f"mapping: field 'layers' names {[l['name'] for l in mapping['layers']]}, "
                        f"the experiment's backbone has {names}")


def rebuild_deployed(exp, mapping, analog=True):
    """The heterogeneous model a mapping describes: the experiment's fine-tuned candidate for
    the mapping's shared prefix, its shared layers converted to aihwkit analog tiles (or the
    digital network when `analog` is False). Call `program_analog_weights()` before use."""
    from .analog.deploy import to_analog
    check_mapping_matches(exp, mapping)
    k = mapping["summary"]["shared_prefix"]
    cfg = exp["config"]
    data, _ = prepare_data(cfg)
    net = net_from_state(cfg, data, k, exp["deployed"][f"mhlm_k{k}"]["state_dict"])
    if not analog or k == 0:
        return net
    return to_analog(net, analog_trunk=True, analog_rest=False, analog=mapping.get("analog") or cfg["analog"])


def save_run(exp, out):
    """A run directory: plain JSON statistics and config, plus the candidates' weights as plain
    tensors (torch.save of a dict of tensors; read back with weights_only=True)."""
    out = Path(out)
    (out / "stats.json").write_text(json.dumps(exp["stats"], indent=1))
    (out / "config.json").write_text(json.dumps(exp["config"], indent=2))
    weights = {name: d["state_dict"] for name, d in exp["deployed"].items() if name.startswith("mhlm_k")}
    torch.save(weights, out / "weights.pt")


def load_run(path):
    """The experiment-like dict `rebuild_deployed` needs, from a run directory (no retraining)."""
    path = Path(path)
    try:
        stats = json.loads((path / "stats.json").read_text())
        cfg = json.loads((path / "config.json").read_text())
        weights = torch.load(path / "weights.pt", weights_only=True, map_location="cpu")
    except FileNotFoundError as err:
        raise MHLMError(f"{path} is not a run directory: {Path(err.filename).name} is missing") from None
    except (json.JSONDecodeError, RuntimeError, pickle.UnpicklingError) as err:
        raise MHLMError(f"{path}: a run file is corrupt ({str(err).splitlines()[0]})") from None
    return {"config": make_config(**cfg), "stats": stats, "tasks": stats["tasks"],
            "deployed": {name: {"state_dict": sd} for name, sd in weights.items()}}


def evaluate_mapping(exp, mapping, time="1d", repeats=3):
    """Rebuild the mapping's model and evaluate it after `time` of drift over `repeats` draws."""
    net = rebuild_deployed(exp, mapping, analog=False)
    cfg = exp["config"]
    data, _ = prepare_data(cfg)
    res = drift_evaluate(net, data, times=(time,), repeats=repeats, seed=cfg["seed"],
                         analog=mapping.get("analog") or cfg["analog"])
    return {"shared_prefix": net.k, "time": time,
            "tasks": {t: {"mean": v["mean"], "std": v["std"]} for t, v in res[time].items()}}
