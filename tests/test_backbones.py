"""Image backbones: mappable layers, counts checked against torchvision and by hand, every task
kind's head, analog conversion, and a local weights file."""
import pytest
import torch
from torchvision.models import resnet18

from mhlm_core import MHLMError
from mhlm_core.data import TaskSpec
from mhlm_core.models.accounting import layer_table
from mhlm_core.models.multitask import build_net

TASKS = [TaskSpec("ss", n_classes=4, metric="miou", kind="segmentation"),
         TaskSpec("od", n_classes=3, metric="map", kind="detection"),
         TaskSpec("ic", n_classes=3)]


@pytest.mark.parametrize("backbone,n_layers", [("cnn-small", 4), ("resnet18", 9), ("resnet50", 17), ("vit-tiny", 7)])
def test_heads_and_layers(backbone, n_layers):
    net = build_net(backbone, (3, 32, 32), TASKS)
    assert len(net.layer_names) == n_layers
    ss, od, ic = net(torch.zeros(2, 3, 32, 32))
    assert ss.shape == (2, 4, 32, 32) and ic.shape == (2, 3)
    assert od.shape[:2] == (2, 3 + 4)


def test_resnet18_counts_match_torchvision():
    rows, _ = layer_table(build_net("resnet18", (3, 32, 32), TASKS), (3, 32, 32))
    ref = resnet18(weights=None)
    conv_weights = sum(m.weight.numel() for n, m in ref.named_modules()
                       if isinstance(m, torch.nn.Conv2d) and n != "conv1")
    # our stem is a 3x3 conv (3 -> 64) instead of torchvision's 7x7
    assert sum(r["weight_params"] for r in rows) == conv_weights + 64 * 3 * 3 * 3
    assert rows[0]["name"] == "stem" and rows[1]["name"] == "layer1.0" and rows[-1]["name"] == "layer4.1"


def test_vit_attention_products_are_digital():
    rows, _ = layer_table(build_net("vit-tiny", (3, 32, 32), TASKS), (3, 32, 32))
    N, D, M = (32 // 8) ** 2, 192, 768
    block = rows[1]
    # weight-stationary: qkv (3 D^2) + proj (D^2) + MLP (2 D M) per token
    assert block["weight_macs"] == N * (4 * D * D + 2 * D * M)
    # digital: QK^T and AV (2 N^2 D) + two LayerNorms (2 N D)
    assert block["other_macs"] == 2 * N * N * D + 2 * N * D


def test_vit_converts_to_analog():
    import warnings
    from mhlm_core.analog.deploy import to_analog
    net = build_net("vit-tiny", (3, 16, 16), TASKS[2:])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = to_analog(net, analog_trunk=False, analog_rest=True)
    analog = [n for n, _ in model.named_analog_layers()]
    assert any("qkv" in n for n in analog) and any("proj" in n for n in analog)
    model.program_analog_weights()
    assert model(torch.zeros(1, 3, 16, 16))[0].shape == (1, 3)


def test_local_weights_file(tmp_path):
    ref = resnet18(weights=None)
    path = tmp_path / "r18.pt"
    torch.save(ref.state_dict(), path)
    net = build_net("resnet18", (3, 32, 32), TASKS[2:], weights=str(path))
    assert torch.equal(net.branches[0][1].conv1.weight, ref.layer1[0].conv1.weight)
    assert torch.equal(net.branches[0][0][0].weight, ref.conv1.weight[:, :, 2:5, 2:5])
    with pytest.raises(MHLMError, match="not found"):
        build_net("resnet18", (3, 32, 32), TASKS[2:], weights=str(tmp_path / "none.pt"))
    with pytest.raises(MHLMError, match="takes no weights"):
        build_net("cnn-small", (3, 32, 32), TASKS[2:], weights=str(path))
