"""Paper Table 1 for one experiment, the drift curves, and `results.json`."""
import numpy as np

from ..analog.deploy import DRIFT_TIMES
from ..baselines import METHODS
from ..mapping.mhlm_mapping import choose


def method_runs(exp, tau, alpha, beta):
    """{method key: deployed record}; MHLM resolves to the candidate at k*(tau, alpha, beta)."""
    k = choose(exp["stats"], tau, alpha, beta)["k"]
    runs = {key: exp["deployed"][key] for key in METHODS if key != "mhlm"}
    runs["mhlm"] = exp["deployed"][f"mhlm_k{k}"]
    return runs


def table(exp, tau, alpha, beta, time="1d"):
    """Rows of Table 1: per task metric mean/std at `time`, sharing and accounting columns."""
    rows = []
    for key, run in method_runs(exp, tau, alpha, beta).items():
        acc = run["accounting"]
        row = {"method": METHODS[key].label, "key": key, "k": run["k"]}
        for task in exp["tasks"]:
            row[f"{task} mean"] = run["drift"][time][task]["mean"]
            row[f"{task} std"] = run["drift"][time][task]["std"]
        row["avg"] = float(np.mean([run["drift"][time][t]["mean"] for t in exp["tasks"]]))
        row.update({"shared %": 100 * acc["shared_portion"], "analog params (M)": acc["analog_params"] / 1e6,
                    "digital params (M)": acc["digital_params"] / 1e6, "analog MAC %": acc["analog_mac_pct"],
                    "param reduction": acc["param_reduction"]})
        rows.append(row)
    return rows


def drift_curves(exp, tau, alpha, beta):
    """Long rows (method, time, seconds, avg mean, avg std over repeats) for every drift time."""
    out = []
    for key, run in method_runs(exp, tau, alpha, beta).items():
        for t, sec in DRIFT_TIMES.items():
            if t not in run["drift"]:
                continue
            per_rep = np.mean([run["drift"][t][task]["values"] for task in exp["tasks"]], axis=0)
            out.append({"method": METHODS[key].label, "time": t, "seconds": sec,
                        "avg": float(per_rep.mean()), "std": float(per_rep.std())})
    return out


def results_document(exp, tau, alpha, beta):
    """The `results.json` document."""
    methods = {}
    for key, run in method_runs(exp, tau, alpha, beta).items():
        methods[key] = {
            "label": METHODS[key].label, "description": METHODS[key].description, "shared_prefix": run["k"],
            "one_day": {t: {"mean": run["drift"]["1d"][t]["mean"], "std": run["drift"]["1d"][t]["std"]}
                        for t in exp["tasks"]},
            "drift": {tm: {t: {"mean": v[t]["mean"], "std": v[t]["std"]} for t in exp["tasks"]}
                      for tm, v in run["drift"].items()},
            "accounting": run["accounting"],
        }
    cfg = exp["config"]
    return {"dataset": exp["stats"]["dataset"], "backbone": cfg["backbone"], "tasks": exp["tasks"],
            "metrics": exp["metrics"], "thresholds": {"tau": tau, "alpha": alpha, "beta": beta},
            "repeats": cfg["repeats"], "budget": exp["budget"],
            "budget_note": (f"every model trained for {cfg['epochs'] + cfg['ft_epochs']} epochs in all "
                            f"({cfg['epochs']} training + {cfg['ft_epochs']} fine-tuning)"),
            "methods": methods, "config": cfg, "provenance": exp["stats"]["provenance"],
            "timings_s": exp["timings"]}
