"""Physics sanity of the aihwkit deployment on tiny real networks.

They use aihwkit's torch tile: its noise comes from torch's seeded generator, so every number
here is repeatable. (The C++ tile draws output noise from its own unseeded generator.)"""
import numpy as np
import pytest

from mhlm_core.analog.deploy import drift_evaluate
from mhlm_core.data import load_dataset
from mhlm_core.metrics import evaluate
from mhlm_core.models.multitask import build_net
from mhlm_core.training.trainer import train

TILE = {"tile": "torch"}
NOISELESS = {**TILE, "prog_noise_scale": 0.0, "read_noise_scale": 0.0, "drift_scale": 0.0, "out_noise": 0.0}


def avg(res, t):
    return float(np.mean([v["mean"] for v in res[t].values()]))


@pytest.fixture(scope="module")
def data():
    return load_dataset("digits", seed=0)


@pytest.fixture(scope="module")
def trained(data):
    """cnn-small copies trained without (sigma=0) and with (sigma=0.1) weight noise."""
    nets = {}
    for sigma in (0.0, 0.1):
        net = build_net("cnn-small", data.input_shape, data.tasks, seed=0)
        train(net, data, 10, lr=3e-3, sigma=sigma, lam=0.0, seed=0, track_jsd=False)
        nets[sigma] = net
    return nets


def test_drift_lowers_accuracy(data, trained):
    res = drift_evaluate(trained[0.1], data, times=("1s", "1d", "1y"), repeats=6,
                         analog_trunk=False, analog_rest=True, analog={**TILE, "drift_compensation": None})
    assert avg(res, "1s") > avg(res, "1d") > avg(res, "1y")
    assert avg(res, "1s") - avg(res, "1y") > 0.05
    # global drift compensation recovers most of the loss at one year
    comp = drift_evaluate(trained[0.1], data, times=("1y",), repeats=6, analog_trunk=False, analog_rest=True,
                          analog=TILE)
    assert avg(comp, "1y") > avg(res, "1y") + 0.05


def test_noiseless_analog_matches_digital(data, trained):
    digital = np.mean(list(evaluate(trained[0.1], data, "test").values()))
    res = drift_evaluate(trained[0.1], data, times=("1s",), repeats=2, analog_trunk=False,
                         analog_rest=True, analog=NOISELESS)
    assert abs(avg(res, "1s") - digital) < 0.01  # only 8-bit output quantisation remains


def test_hwa_at_one_day(data, trained):
    """HWA training makes the network robust to the analog hardware: the drop from digital to
    1-day analog accuracy shrinks. Measured (torch tile, 10 epochs, 8 repeats, seeds 0/1/2):
    drop 0.030/0.029/0.031 without HWA vs 0.020/0.019/0.018 with sigma = 0.1, while the 1-day
    accuracy itself moved by -0.004/+0.011/+0.007: on a network this small and briefly trained, the
    clean accuracy HWA gives up is about what it wins back, so the 1-day gain is within the
    seed-to-seed spread. We assert the robust effect (smaller drop) and that HWA is not worse
    at 1 day than that spread."""
    res = {s: drift_evaluate(net, data, times=("1d",), repeats=8, analog_trunk=False, analog_rest=True, analog=TILE)
           for s, net in trained.items()}
    digital = {s: np.mean(list(evaluate(net, data, "test").values())) for s, net in trained.items()}
    drop = {s: digital[s] - avg(res[s], "1d") for s in trained}
    assert drop[0.1] < drop[0.0] - 0.005
    assert avg(res[0.1], "1d") > avg(res[0.0], "1d") - 0.01
