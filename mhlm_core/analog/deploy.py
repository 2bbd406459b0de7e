"""Analog deployment with aihwkit (spec section 8): convert the analog part of a `MultiTaskNet`,
then per repeat program (fresh programming noise and drift coefficients), drift to each time,
and evaluate. Returns plain numbers (mean, std and every repeat)."""
import copy
import warnings

import numpy as np
import torch
from aihwkit.nn.conversion import convert_to_analog

from ..metrics import evaluate
from .rpu_config import DEFAULT_ANALOG, create_rpu_config

DRIFT_TIMES = {"1s": 1.0, "1h": 3600.0, "1d": 86400.0, "1w": 604800.0, "1mo": 2592000.0,
               "1y": 31536000.0}


def to_analog(net, analog_trunk=True, analog_rest=False, analog=None):
    """A deployed copy of `net`: trunk (shared layers) and/or branches+heads on analog tiles."""
    rpu = create_rpu_config(**{**DEFAULT_ANALOG, **(analog or {})})
    exclude = ([] if analog_trunk else ["trunk"]) + ([] if analog_rest else ["branches", "heads"])
    model = copy.deepcopy(net).cpu().eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        deployed = convert_to_analog(model, rpu, exclude_modules=exclude, inplace=True)
    return deployed.eval()


def has_analog(k, analog_trunk=True, analog_rest=False):
    """Whether a prefix-k model with this placement puts anything on analog tiles."""
    return (analog_trunk and k > 0) or analog_rest


def drift_evaluate(net, data, times=("1d",), repeats=10, seed=0, analog_trunk=True,
                   analog_rest=False, analog=None, split="test"):
    """{time: {task: {"mean", "std", "values"}}} over `repeats` programming/drift draws.

    A model with nothing on analog is evaluated once, digitally (no noise, no drift).
    """
    if not has_analog(net.k, analog_trunk, analog_rest):
        scores = evaluate(net, data, split)
        return {t: {k: {"mean": v, "std": 0.0, "values": [v]} for k, v in scores.items()} for t in times}
    deployed = to_analog(net, analog_trunk, analog_rest, analog)
    per = {t: {task.name: [] for task in data.tasks} for t in times}
    with torch.no_grad():
        for r in range(repeats):
            torch.manual_seed(seed * 100_003 + r)
            np.random.seed((seed * 100_003 + r) % 2**32)
            deployed.program_analog_weights()
            for t in times:
                deployed.drift_analog_weights(DRIFT_TIMES[t])
                for name, v in evaluate(deployed, data, split).items():
                    per[t][name].append(v)
    return {t: {k: {"mean": float(np.mean(v)), "std": float(np.std(v)), "values": [float(a) for a in v]}
                for k, v in d.items()} for t, d in per.items()}
