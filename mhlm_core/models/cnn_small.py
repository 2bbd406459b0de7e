"""`cnn-small`: four conv blocks (3x3 conv + BatchNorm + ReLU) with 2x2 max-pools."""
import math

from torch import nn

from .. import MHLMError

CHANNELS = (16, 32, 32, 64)


def make_layers(input_shape, channels=CHANNELS):
    if len(input_shape) != 3:
        raise MHLMError(f"cnn-small needs image inputs (C, H, W); this dataset gives {input_shape}: "
                        "use the mlp backbone")
    # 2x2 max-pools keep the last feature map near 4-8 px: after block 2 for 8x8 digits,
    # after blocks 1-3 for 64x64 scenes (stride 8)
    n_pools = max(0, min(3, int(math.log2(min(input_shape[1:]) / 4))))
    pools = sorted([1, 0, 2][:n_pools])
    c_in, layers = input_shape[0], []
    for i, c in enumerate(channels):
        body = [nn.Conv2d(c_in, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU()]
        if i in pools:
            body.append(nn.MaxPool2d(2))
        layers.append((f"block{i + 1}", nn.Sequential(*body)))
        c_in = c
    return layers


def make_head(feature_shape, n_classes):
    return nn.Sequential(nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(feature_shape[0] * 4, n_classes))
