"""`resnet18` / `resnet50`: torchvision definitions, no pretrained weights (none can be
downloaded; a local file may be given). Mappable layers: the stem and every residual block.
The stem is adapted to small inputs: a 3x3 convolution (stride 1 below 64 px, stride 2 from
64 px) and no max-pool, so a 64x64 input reaches layer4 at 4x4 (stride 16)."""
from torch import nn
from torchvision.models import resnet18, resnet50

from .heads import pooled_linear
from .weights import load_local

FACTORIES = {18: resnet18, 50: resnet50}


def make_layers(input_shape, depth=18, weights=None):
    from .. import MHLMError
    if len(input_shape) != 3:
        raise MHLMError(f"resnet{depth} needs image inputs (C, H, W); this dataset gives {input_shape}")
    net = FACTORIES[depth](weights=None)
    if weights:
        load_local(net, weights)
    stride = 2 if min(input_shape[1:]) >= 64 else 1
    conv = nn.Conv2d(input_shape[0], 64, 3, stride=stride, padding=1, bias=False)
    if input_shape[0] == 3 and weights:
        # keep the pretrained 7x7 filters' centre 3x3 when a weights file was given
        conv.weight.data.copy_(net.conv1.weight.data[:, :, 2:5, 2:5])
    layers = [("stem", nn.Sequential(conv, net.bn1, net.relu))]
    for i, stage in enumerate((net.layer1, net.layer2, net.layer3, net.layer4), 1):
        layers += [(f"layer{i}.{j}", block) for j, block in enumerate(stage)]
    return layers


make_head = pooled_linear
