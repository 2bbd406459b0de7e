"""Parameter and MAC counts of a hand-sized network, and the deployed-model accounting."""
import pytest
import torch
from torch import nn

from mhlm_core.metrics import accuracy
from mhlm_core.models.accounting import deployed_accounting, layer_table
from mhlm_core.models.multitask import MultiTaskNet, build_net, share_prefix


def hand_net():
    """input (1, 4, 4); conv 1->2 3x3 pad 1 (no bias) + BN(2); dense 32->3 (+bias); two heads."""
    l1 = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, bias=False), nn.BatchNorm2d(2), nn.ReLU())
    l2 = nn.Sequential(nn.Flatten(), nn.Linear(32, 3), nn.ReLU())
    heads = [nn.Linear(3, 2), nn.Linear(3, 5)]
    return MultiTaskNet(["conv", "dense"], [], [[l1, l2], [l1, l2]], heads)


def test_layer_table_by_hand():
    rows, heads = layer_table(hand_net(), (1, 4, 4))
    # conv: 2*1*3*3 = 18 weights; BN: 2 weight + 2 bias; MACs: 2*4*4 outputs * 9 = 288; BN 32
    assert rows[0] == {"name": "conv", "weight_params": 18, "other_params": 4, "weight_macs": 288, "other_macs": 32}
    # dense: 32*3 = 96 weights + 3 bias; 96 MACs
    assert rows[1] == {"name": "dense", "weight_params": 96, "other_params": 3, "weight_macs": 96, "other_macs": 0}
    assert heads == [{"weight_params": 6, "other_params": 2, "weight_macs": 6, "other_macs": 0},
                     {"weight_params": 15, "other_params": 5, "weight_macs": 15, "other_macs": 0}]


def test_deployed_accounting_by_hand():
    rows, heads = layer_table(hand_net(), (1, 4, 4))
    acc = deployed_accounting(rows, heads, k=1)
    # shared conv once (22) + dense per task (2*99) + heads (8 + 20) = 248
    assert acc["total_params"] == 248
    assert acc["analog_params"] == 18 and acc["digital_params"] == 230
    assert acc["shared_portion"] == pytest.approx(22 / 248)
    # MACs: conv 288 + BN 32 once, dense 96 twice, heads 6 + 15 = 533; analog = 288
    assert acc["total_macs"] == 533 and acc["analog_mac_pct"] == pytest.approx(100 * 288 / 533)
    # two task-specific models: 2 * (22 + 99) + 28 = 270
    assert acc["param_reduction"] == pytest.approx(270 / 248)
    all_analog = deployed_accounting(rows, heads, k=0, analog_trunk=False, analog_rest=True)
    assert all_analog["analog_params"] == 2 * (18 + 96) + 6 + 15
    assert all_analog["shared_portion"] == 0.0


def test_share_prefix_is_mean_of_copies():
    from mhlm_core.data import TaskSpec
    net = build_net("mlp", (6,), [TaskSpec("a", 2), TaskSpec("b", 3)], k=0, seed=0)
    with torch.no_grad():
        net.branches[1][0][0].weight.add_(1.0)
    shared = share_prefix(net, 2)
    w0, w1 = net.branches[0][0][0].weight, net.branches[1][0][0].weight
    assert torch.allclose(shared.trunk[0][0].weight, (w0 + w1) / 2)
    assert torch.equal(shared.trunk[1][0].weight, net.branches[0][1][0].weight)  # identical copies
    assert shared.k == 2 and len(shared.branches[0]) == 2
    outs = shared(torch.zeros(4, 6))
    assert [o.shape[1] for o in outs] == [2, 3]


def test_copies_start_identical():
    from mhlm_core.data import TaskSpec
    net = build_net("cnn-small", (1, 8, 8), [TaskSpec("a", 2), TaskSpec("b", 3)], seed=3)
    for a, b in zip(net.branches[0].parameters(), net.branches[1].parameters()):
        assert torch.equal(a, b)


def test_accuracy():
    predicted = [0, 1, 0, 1]
    assert accuracy(predicted, [0, 1, 1, 1]) == pytest.approx(0.75)
    with pytest.raises(ValueError):
        accuracy([], [])
