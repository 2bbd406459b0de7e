"""The experiment configuration: a plain dict, so it can key the cache and travel to workers.
Training settings key the cache; the mapping thresholds (tau, alpha, beta) never do."""
import copy

from . import MHLMError

# The paper's analog configuration (Supplementary F); see analog/rpu_config.py. The C++ tile is the
# default (the paper's InferenceRPUConfig, 2.5x faster on 64x64 images here); the torch tile is
# seeded (bit-reproducible) and runs on a GPU.
DEFAULT_ANALOG = {"tile": "cpp", "g_max": 25.0, "tile_size": 512, "modifier_std": 0.07,
                  "out_noise": 0.05, "out_res_bits": 8, "drift_compensation": "global",
                  "prog_noise_scale": 1.0, "read_noise_scale": 1.0, "drift_scale": 1.0}

DEFAULTS = {
    "dataset": "digits",
    "dataset_options": {},
    "backbone": "cnn-small",
    "epochs": 15,          # training epochs of every strategy
    "ft_epochs": 2,        # fine-tuning epochs of every deployed model (spec section 6)
    "lr": 3e-3,
    "batch_size": 64,
    "sigma": 0.07,         # weight-noise level, relative to max |W| (paper: modifier_std)
    "lam": 0.05,           # joint KL loss weight (paper Fig. 3)
    "temperature": 1.0,    # T_f of the channel softmax
    "seed": 0,
    "repeats": 10,         # programming/drift repeats per deployed model
    "drift_times": ["1s", "1h", "1d", "1w", "1mo", "1y"],  # must include "1d" (the headline)
    "estimator": "shap",   # Shapley estimator: "shap" (expected gradients) or "permutation"
    "analog": dict(DEFAULT_ANALOG),
    "backbone_weights": "",  # optional local state-dict file for torchvision backbones
    "device": "auto",      # training device: "auto" (CUDA when present), "cpu", "cuda"
}
DEFAULT_THRESHOLDS = {"tau": 0.1, "alpha": 0.5, "beta": 1.0}
PRESETS = {
    "quick": {"epochs": 4, "ft_epochs": 1, "repeats": 3, "estimator": "permutation",
              "drift_times": ["1s", "1d", "1y"]},
    "default": {},
}
TRAINING_KEYS = tuple(DEFAULTS)


def make_config(**overrides):
    """DEFAULTS updated by `overrides` (unknown keys rejected), validated."""
    unknown = set(overrides) - set(DEFAULTS)
    if unknown:
        raise MHLMError(f"unknown configuration key(s): {sorted(unknown)}")
    cfg = copy.deepcopy(DEFAULTS)
    for key, val in overrides.items():
        cfg[key] = {**cfg[key], **val} if key == "analog" else val
    checks = [("epochs", 1, 1000), ("ft_epochs", 0, 1000), ("repeats", 1, 1000), ("batch_size", 1, 100000)]
    for key, lo, hi in checks:
        if not isinstance(cfg[key], int) or not lo <= cfg[key] <= hi:
            raise MHLMError(f"config: {key} must be an integer in [{lo}, {hi}], got {cfg[key]!r}")
    for key in ("sigma", "lam"):
        if not cfg[key] >= 0:
            raise MHLMError(f"config: {key} must be >= 0, got {cfg[key]!r}")
    if not cfg["lr"] > 0 or not cfg["temperature"] > 0:
        raise MHLMError("config: lr and temperature must be > 0")
    if cfg["estimator"] not in ("shap", "permutation"):
        raise MHLMError(f"config: estimator must be 'shap' or 'permutation', got {cfg['estimator']!r}")
    known = ("1s", "1h", "1d", "1w", "1mo", "1y")
    if "1d" not in cfg["drift_times"] or any(t not in known for t in cfg["drift_times"]):
        raise MHLMError(f"config: drift_times must be among {list(known)} and include '1d', got {cfg['drift_times']}")
    cfg["drift_times"] = [t for t in known if t in cfg["drift_times"]]
    from .data import DATASETS
    from .models import BACKBONES
    if cfg["dataset"] not in DATASETS:
        raise MHLMError(f"unknown dataset '{cfg['dataset']}'; choose one of {sorted(DATASETS)}")
    if cfg["backbone"] not in BACKBONES:
        raise MHLMError(f"unknown backbone '{cfg['backbone']}'; choose one of {sorted(BACKBONES)}")
    if cfg["device"] not in ("auto", "cpu", "cuda"):
        raise MHLMError(f"config: device must be 'auto', 'cpu' or 'cuda', got {cfg['device']!r}")
    if cfg["analog"].get("tile") not in ("cpp", "torch"):
        raise MHLMError(f"config: analog.tile must be 'cpp' or 'torch', got {cfg['analog'].get('tile')!r}")
    return cfg
