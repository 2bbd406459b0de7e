"""Classification heads shared by the image backbones."""
from torch import nn


def pooled_linear(feature_shape, n_classes):
    """Global average pool over positions, then a linear layer (ResNet / ViT style)."""
    return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(feature_shape[0], n_classes))
