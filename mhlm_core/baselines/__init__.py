"""Method registry (paper Table 1 rows). Each method is one file with a `run(ctx)` returning
{name: Deployed}; MHLM returns one candidate per shared prefix k and is resolved at report time."""
from dataclasses import dataclass

from . import hard_sharing, mhlm, task_specific


@dataclass(frozen=True)
class MethodInfo:
    key: str
    label: str
    description: str


METHODS = {
    "ts_digital": MethodInfo("ts_digital", "Task-specific w/o HWA",
                             "T independent models, no noise, all digital (no drift)"),
    "ts_hwa": MethodInfo("ts_hwa", "Task-specific w/ HWA",
                         "T independent models, weight-noise training, every layer analog"),
    "hard_sharing": MethodInfo("hard_sharing", "Hard sharing",
                               "whole backbone shared on analog, heads digital, HWA training"),
    "mhlm": MethodInfo("mhlm", "MHLM", "similarity-enhancing HWA training + JSD/Shapley mapping"),
}

RUNNERS = [task_specific.run, hard_sharing.run, mhlm.run]
