"""Shared fixtures: a private cache directory and one tiny real experiment for the session."""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# tiny test runs: one process and one thread each (two torch processes with two threads each
# on a 2-core machine slow everything down by an order of magnitude)
os.environ.setdefault("MHLM_THREADS", "1")
os.environ.setdefault("MHLM_WORKERS", "1")
sys.path.insert(0, str(ROOT))

TINY = {"backbone": "mlp", "epochs": 2, "ft_epochs": 1, "repeats": 2, "estimator": "permutation"}


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("mhlm-cache")
    os.environ["MHLM_CACHE"] = str(path)
    return path


@pytest.fixture(scope="session")
def tiny_experiment(cache_dir):
    from mhlm_core.pipeline import run_experiment
    return run_experiment(TINY, cache_dir=cache_dir)
