"""`mlp`: four dense mappable layers (Linear + ReLU) for flat inputs (tabular or flattened images)."""
import math

from torch import nn

WIDTHS = (128, 128, 64, 64)


def make_layers(input_shape, widths=WIDTHS):
    """Mappable layers fc1..fc4; an image input is flattened by the first layer."""
    n_in = math.prod(input_shape)
    layers = []
    for i, w in enumerate(widths):
        body = [nn.Flatten()] if i == 0 and len(input_shape) > 1 else []
        layers.append((f"fc{i + 1}", nn.Sequential(*body, nn.Linear(n_in, w), nn.ReLU())))
        n_in = w
    return layers


def make_head(feature_shape, n_classes):
    return nn.Linear(feature_shape[0], n_classes)
