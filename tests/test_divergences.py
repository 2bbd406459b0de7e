"""JSD and KL against hand-worked values and scipy; the joint loss against a hand-computed KL."""
import math

import numpy as np
import pytest
import torch
from scipy.spatial.distance import jensenshannon
from scipy.stats import entropy

from mhlm_core.similarity.descriptors import channel_descriptor
from mhlm_core.similarity.jsd import jsd_per_channel, kl_divergence
from mhlm_core.training.joint_loss import joint_kl


def test_jsd_hand_worked():
    # p = (1/2, 1/2), q = (1, 0): m = (3/4, 1/4)
    # JSD = 1/2 [1/2 log2(2/3) + 1/2 log2 2] + 1/2 [log2(4/3)] = 0.311278...
    j = jsd_per_channel([0.5, 0.5], [1.0, 0.0])
    expected_c0 = 0.5 * 0.5 * math.log2(0.5 / 0.75) + 0.5 * math.log2(1 / 0.75)
    expected_c1 = 0.5 * 0.5 * math.log2(0.5 / 0.25)
    assert j[0] == pytest.approx(expected_c0)
    assert j[1] == pytest.approx(expected_c1)
    assert j.sum() == pytest.approx(0.3112781244591328)


def test_jsd_bounds_and_scipy():
    assert jsd_per_channel([1, 0], [0, 1]).sum() == pytest.approx(1.0)
    assert jsd_per_channel([0.2, 0.8], [0.2, 0.8]).sum() == pytest.approx(0.0)
    rng = np.random.default_rng(0)
    for _ in range(20):
        p, q = rng.dirichlet(np.ones(7)), rng.dirichlet(np.ones(7))
        # scipy returns the square root of the divergence
        assert jsd_per_channel(p, q).sum() == pytest.approx(jensenshannon(p, q, base=2) ** 2)


def test_kl_hand_worked_and_scipy():
    # KL((1/2, 1/2) || (1/4, 3/4)) = 1/2 log2 2 + 1/2 log2(2/3) = 0.2075187...
    assert kl_divergence([0.5, 0.5], [0.25, 0.75]) == pytest.approx(0.5 + 0.5 * math.log2(2 / 3))
    rng = np.random.default_rng(1)
    p, q = rng.dirichlet(np.ones(5)), rng.dirichlet(np.ones(5))
    assert kl_divergence(p, q, base=math.e) == pytest.approx(entropy(p, q))


def test_channel_descriptor_averages_positions():
    a = torch.arange(2 * 3 * 2 * 2, dtype=torch.float32).view(2, 3, 2, 2)
    assert torch.allclose(channel_descriptor(a), a.mean((2, 3)))
    dense = torch.randn(4, 5)
    assert channel_descriptor(dense) is dense


def test_joint_kl_matches_hand_computation():
    # two tasks, one dense layer, batch of one: descriptors g1 = (0, ln 3), g2 = (0, 0)
    # p = softmax(g1) = (1/4, 3/4), q = (1/2, 1/2); KL(p||q) in nats
    g1 = torch.tensor([[0.0, math.log(3.0)]])
    g2 = torch.zeros(1, 2)
    expected = 0.25 * math.log(0.25 / 0.5) + 0.75 * math.log(0.75 / 0.5)
    assert joint_kl([[g1], [g2]]).item() == pytest.approx(expected, rel=1e-6)
    assert joint_kl([[g1], [g1.clone()]]).item() == pytest.approx(0.0, abs=1e-7)
