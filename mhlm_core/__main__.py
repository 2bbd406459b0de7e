"""Command line: `python -m mhlm_core run|map|validate|deploy` (see --help of each).

`map` and `validate` import no torch, so they answer in a fraction of a second.
"""
import argparse
import json
import sys
import time
from pathlib import Path

from . import MHLMError
from .config import DEFAULT_THRESHOLDS, DEFAULTS, PRESETS

# registry names, listed here so that `map` and `validate` need not import torch
DATASET_NAMES = ["digits", "csv", "shapes", "signs", "coco", "belgiumts"]
BACKBONE_NAMES = ["mlp", "cnn-small", "resnet18", "resnet50", "vit-tiny"]


def _parser():
    p = argparse.ArgumentParser(prog="python -m mhlm_core", description=(
        "MHLM: train multi-task networks with hardware-aware training, map the shared prefix onto "
        "analog (PCM) tiles and the rest onto digital units, and evaluate 1-day accuracy with aihwkit."))
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="train all methods, map, deploy, evaluate; write DIR/*.json")
    r.add_argument("--dataset", default=DEFAULTS["dataset"], choices=DATASET_NAMES,
                   help="digits: rotated UCI digits (built-in); shapes / signs: generated COCO-like "
                        "scenes / BelgiumTS-like signs; csv, coco, belgiumts: your local files (--path)")
    r.add_argument("--path", "--csv", dest="path",
                   help="data path: the CSV file, the COCO root (annotations/instances_*.json + images) "
                        "or the BelgiumTS folder / annotation .txt")
    r.add_argument("--targets", help="csv: comma-separated target columns, one task each")
    r.add_argument("--categories", help="coco: comma-separated category names or ids to keep")
    r.add_argument("--image-size", type=int, help="image datasets: side in pixels (shapes/coco 64, signs/belgiumts 48)")
    r.add_argument("--n-images", type=int, help="shapes / signs: number of generated images [2000]")
    r.add_argument("--max-images", type=int, help="coco: at most this many images")
    r.add_argument("--backbone", default=DEFAULTS["backbone"], choices=BACKBONE_NAMES,
                   help=f"network whose layers are mapped [{DEFAULTS['backbone']}]")
    r.add_argument("--backbone-weights", help="resnet18/resnet50: a local state-dict file (weights_only load)")
    r.add_argument("--drift-times", help="comma-separated subset of 1s,1h,1d,1w,1mo,1y (must include 1d)")
    r.add_argument("--device", choices=["auto", "cpu", "cuda"], help="training device [auto]")
    r.add_argument("--workers", type=int, help="processes for the analog deployments [one per core, at most 4]")
    r.add_argument("--preset", choices=sorted(PRESETS), default="default",
                   help=f"quick = {PRESETS['quick']}, for a first look; explicit flags override it [default]")
    r.add_argument("--epochs", type=int, help=f"training epochs per strategy [{DEFAULTS['epochs']}]")
    r.add_argument("--ft-epochs", type=int, help=f"fine-tuning epochs per deployed model [{DEFAULTS['ft_epochs']}]")
    r.add_argument("--sigma", type=float, help=f"weight noise, relative to max|W| [{DEFAULTS['sigma']}]")
    r.add_argument("--lam", type=float, help=f"joint KL loss weight lambda [{DEFAULTS['lam']}]")
    r.add_argument("--lr", type=float, help=f"learning rate [{DEFAULTS['lr']}]")
    r.add_argument("--temperature", type=float,
                   help=f"T_f of the channel softmax behind JSD and the joint loss [{DEFAULTS['temperature']}]")
    r.add_argument("--seed", type=int, help=f"seed of data, initialisation, batches and all noise draws (bit-identical reruns need --tile torch) [{DEFAULTS['seed']}]")
    r.add_argument("--repeats", type=int, help=f"programming/drift repeats [{DEFAULTS['repeats']}]")
    r.add_argument("--estimator", choices=["shap", "permutation"], help="Shapley estimator [shap]")
    r.add_argument("--tile", choices=["cpp", "torch"],
                   help="aihwkit tile: cpp (the paper's C++ simulator; its output noise is unseeded, so reruns "
                        "differ within the std) or torch (seeded, bit-reproducible, slower on images) [cpp]")
    _thresholds(r)
    r.add_argument("--out", required=True, help="output directory (created; existing run files are replaced)")
    r.add_argument("--no-cache", action="store_true", help="ignore and do not write cache/")

    m = sub.add_parser("map", help="recompute the mapping of a finished run from its stored statistics")
    m.add_argument("dir", help="a directory written by `run`")
    _thresholds(m)
    m.add_argument("--out", help="mapping file to write (default: print to stdout)")

    v = sub.add_parser("validate", help="check a mapping.json (exit 0 when valid)")
    v.add_argument("file", help="the mapping.json to check")

    d = sub.add_parser("deploy", help="rebuild the heterogeneous model of a mapping and evaluate it")
    d.add_argument("dir", help="a directory written by `run`")
    d.add_argument("--mapping", help="mapping file (default: DIR/mapping.json)")
    d.add_argument("--time", default="1d", choices=["1s", "1h", "1d", "1w", "1mo", "1y"],
                   help="time after programming the PCM tiles [1d]")
    d.add_argument("--repeats", type=int, default=3, help="programming/drift repeats [3]")
    return p


def _thresholds(p):
    t = DEFAULT_THRESHOLDS
    p.add_argument("--tau", type=float, default=t["tau"], help=f"score threshold tau >= 0 [{t['tau']}]")
    p.add_argument("--alpha", type=float, default=t["alpha"], help=f"importance weight in [0, 1] [{t['alpha']}]")
    p.add_argument("--beta", type=float, default=t["beta"], help=f"1-day performance weight >= 0 [{t['beta']}]")


def _write_json(path, doc):
    """Write atomically so an interrupted run never leaves a half-written file."""
    tmp = Path(str(path) + ".tmp")
    try:
        tmp.write_text(json.dumps(doc, indent=2))
        tmp.replace(path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise MHLMError(f"cannot write {path}: {err.strerror}") from None


def _output_dir(path):
    """Create the output directory up front, so a bad --out fails before any training."""
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise MHLMError(f"cannot use --out {out}: {err.strerror}") from None
    return out


def cmd_run(a):
    from .mapping.mhlm_mapping import check_thresholds

    check_thresholds(a.tau, a.alpha, a.beta)
    created = not Path(a.out).exists()
    out = _output_dir(a.out)
    try:
        _run_into(a, out)
    except BaseException:
        if created and not any(out.iterdir()):
            out.rmdir()  # leave no empty directory behind a failed run
        raise


def _run_into(a, out):
    from tqdm import tqdm

    from .mapping.schema import build_mapping
    from .pipeline import run_experiment, save_run
    from .reporting.results import results_document

    cfg = dict(PRESETS[a.preset])
    for key, val in (("epochs", a.epochs), ("ft_epochs", a.ft_epochs), ("sigma", a.sigma), ("lam", a.lam),
                     ("lr", a.lr), ("temperature", a.temperature), ("seed", a.seed), ("repeats", a.repeats), ("estimator", a.estimator)):
        if val is not None:
            cfg[key] = val
    cfg.update(dataset=a.dataset, backbone=a.backbone)
    if a.tile:
        cfg["analog"] = {"tile": a.tile}
    if a.backbone_weights:
        cfg["backbone_weights"] = a.backbone_weights
    if a.drift_times:
        cfg["drift_times"] = [t.strip() for t in a.drift_times.split(",") if t.strip()]
    if a.device:
        cfg["device"] = a.device
    options = {"path": a.path, "targets": a.targets, "categories": a.categories, "image_size": a.image_size,
               "n_images": a.n_images, "max_images": a.max_images}
    cfg["dataset_options"] = {k: v for k, v in options.items() if v is not None}
    bar = tqdm(total=1000, unit="", bar_format="{l_bar}{bar}| {elapsed}<{remaining} {postfix}", file=sys.stderr)

    def progress(info):
        bar.n = int(1000 * info["fraction"])
        bar.set_postfix_str(info["message"] + (f" loss={info['loss']:.3f}" if "loss" in info else ""))

    t0 = time.perf_counter()
    try:
        exp = run_experiment(cfg, progress=progress, use_cache=not a.no_cache, workers=a.workers)
    finally:
        bar.close()
    warnings = exp["data"].get("warnings") or []
    for w in warnings[:10]:
        print(f"warning: {w}", file=sys.stderr)
    if len(warnings) > 10:
        print(f"warning: ... and {len(warnings) - 10} more skipped items", file=sys.stderr)
    save_run(exp, out)
    mapping = build_mapping(exp["stats"], a.tau, a.alpha, a.beta)
    _write_json(out / "mapping.json", mapping)
    _write_json(out / "results.json", results_document(exp, a.tau, a.alpha, a.beta))
    s = mapping["summary"]
    print(f"done in {time.perf_counter() - t0:.1f} s: shared prefix k*={s['shared_prefix']} "
          f"({100 * s['shared_portion']:.1f}% of parameters shared, {s['analog_mac_pct']:.1f}% analog MACs), "
          f"predicted 1-day avg {s['predicted_1day_perf']:.3f}; wrote {out}/mapping.json and results.json")
    if s["shared_prefix"] == 0:
        print("note: k*=0 - nothing is shared, so nothing runs on analog tiles at these thresholds; "
              "the first layer's score is " + f"{mapping['layers'][0]['score']:.4f} > tau={a.tau}. "
              f"Try `python -m mhlm_core map {out} --tau T` with a larger T.")


def cmd_map(a):
    from .mapping.schema import build_mapping, dumps
    path = Path(a.dir) / "stats.json"
    if not path.is_file():
        raise MHLMError(f"no stats.json in {a.dir}: is it a directory written by `run`?")
    try:
        stats = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise MHLMError(f"{path} is not valid JSON ({err})") from None
    doc = build_mapping(stats, a.tau, a.alpha, a.beta)
    if a.out:
        _write_json(a.out, doc)
        s = doc["summary"]
        print(f"k*={s['shared_prefix']} shared={100 * s['shared_portion']:.1f}% "
              f"predicted 1-day avg={s['predicted_1day_perf']:.3f} -> {a.out}")
    else:
        print(dumps(doc))


def cmd_validate(a):
    from .mapping.schema import load_mapping
    doc = load_mapping(a.file)
    s = doc["summary"]
    print(f"valid: {doc['backbone']} on {doc['dataset']}, {len(doc['layers'])} layers, "
          f"shared prefix {s['shared_prefix']}")


def cmd_deploy(a):
    from .mapping.schema import load_mapping
    from .pipeline import evaluate_mapping, load_run
    if a.repeats < 1:
        raise MHLMError(f"--repeats must be >= 1, got {a.repeats}")
    exp = load_run(a.dir)
    path = a.mapping or Path(a.dir) / "mapping.json"
    mapping = load_mapping(path)
    res = evaluate_mapping(exp, mapping, time=a.time, repeats=a.repeats)
    print(json.dumps({"mapping": str(path), "repeats": a.repeats, **res}, indent=2))


def main(argv=None):
    a = _parser().parse_args(argv)
    try:
        {"run": cmd_run, "map": cmd_map, "validate": cmd_validate, "deploy": cmd_deploy}[a.command](a)
    except MHLMError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1 if a.command == "validate" else 2
    except BrokenPipeError:  # e.g. `map DIR | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("interrupted; nothing was written for the unfinished run", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
