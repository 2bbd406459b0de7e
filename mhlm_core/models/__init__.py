"""Backbone registry: a backbone is a pair (make_layers(input_shape), make_head(feature_shape, n))."""
from dataclasses import dataclass
from typing import Callable

from .. import torch_setup  # noqa: F401  (sets the torch thread count once)
from . import cnn_small, mlp


@dataclass(frozen=True)
class Backbone:
    name: str
    make_layers: Callable
    make_head: Callable
    description: str


BACKBONES = {
    "mlp": Backbone("mlp", mlp.make_layers, mlp.make_head, "4 dense layers (128-128-64-64)"),
    "cnn-small": Backbone("cnn-small", cnn_small.make_layers, cnn_small.make_head,
                          "4 conv blocks (16-32-32-64), conv+BN+ReLU"),
}


def get_backbone(name):
    from .. import MHLMError
    if name not in BACKBONES:
        raise MHLMError(f"unknown backbone '{name}'; choose one of {sorted(BACKBONES)}")
    return BACKBONES[name]
