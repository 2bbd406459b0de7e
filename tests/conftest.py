"""Shared fixtures: a private cache directory and one tiny real experiment for the session."""
import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# tiny test runs: one process and one thread each (two torch processes with two threads each
# on a 2-core machine slow everything down by an order of magnitude)
os.environ.setdefault("MHLM_THREADS", "1")
os.environ.setdefault("MHLM_WORKERS", "1")
# never read or write the user's cache/ (the app reopens the last experiment found there)
os.environ["MHLM_CACHE"] = tempfile.mkdtemp(prefix="mhlm-test-cache-")
atexit.register(shutil.rmtree, os.environ["MHLM_CACHE"], ignore_errors=True)
sys.path.insert(0, str(ROOT))

TINY = {"backbone": "mlp", "epochs": 2, "ft_epochs": 1, "repeats": 2, "estimator": "permutation"}


@pytest.fixture(scope="session")
def cache_dir():
    return Path(os.environ["MHLM_CACHE"])


@pytest.fixture(scope="session")
def tiny_experiment(cache_dir):
    from mhlm_core.pipeline import run_experiment
    return run_experiment(TINY, cache_dir=cache_dir)
