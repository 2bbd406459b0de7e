"""Torch thread count, set once for every consumer (app, CLI, tests, workers) on first import."""
import os

import torch

THREADS = int(os.environ.get("MHLM_THREADS", "0")) or max(1, min(4, os.cpu_count() or 1))
if torch.get_num_threads() != THREADS:
    torch.set_num_threads(THREADS)
