"""Backbone registry: a backbone is a pair (make_layers(input_shape), make_head(feature_shape, n))."""
from dataclasses import dataclass
from typing import Callable

from .. import torch_setup  # noqa: F401  (sets the torch thread count once)
from functools import partial

from . import cnn_small, mlp, resnet, vit_tiny


@dataclass(frozen=True)
class Backbone:
    name: str
    make_layers: Callable
    make_head: Callable
    description: str
    accepts_weights: bool = False  # a local torchvision state-dict file can initialise it


BACKBONES = {
    "mlp": Backbone("mlp", mlp.make_layers, mlp.make_head, "4 dense layers (128-128-64-64)"),
    "cnn-small": Backbone("cnn-small", cnn_small.make_layers, cnn_small.make_head,
                          "4 conv blocks (16-32-32-64), conv+BN+ReLU"),
    "resnet18": Backbone("resnet18", partial(resnet.make_layers, depth=18), resnet.make_head,
                         "torchvision ResNet-18, small-input stem; stem + 8 residual blocks", True),
    "resnet50": Backbone("resnet50", partial(resnet.make_layers, depth=50), resnet.make_head,
                         "torchvision ResNet-50, small-input stem; stem + 16 bottleneck blocks", True),
    "vit-tiny": Backbone("vit-tiny", vit_tiny.make_layers, vit_tiny.make_head,
                         "torchvision ViT blocks: patch 8, 6 blocks, 3 heads, width 192"),
}


def get_backbone(name):
    from .. import MHLMError
    if name not in BACKBONES:
        raise MHLMError(f"unknown backbone '{name}'; choose one of {sorted(BACKBONES)}")
    return BACKBONES[name]
