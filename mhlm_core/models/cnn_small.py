"""`cnn-small`: four conv blocks (3x3 conv + BatchNorm + ReLU), 2x2 max-pool after block 2."""
from torch import nn

from .. import MHLMError

CHANNELS = (16, 32, 32, 64)


def make_layers(input_shape, channels=CHANNELS):
    if len(input_shape) != 3:
        raise MHLMError(f"cnn-small needs image inputs (C, H, W); this dataset gives {input_shape}: "
                        "use the mlp backbone")
    c_in, layers = input_shape[0], []
    for i, c in enumerate(channels):
        body = [nn.Conv2d(c_in, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU()]
        if i == 1 and min(input_shape[1:]) >= 4:
            body.append(nn.MaxPool2d(2))
        layers.append((f"block{i + 1}", nn.Sequential(*body)))
        c_in = c
    return layers


def make_head(feature_shape, n_classes):
    return nn.Sequential(nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(feature_shape[0] * 4, n_classes))
