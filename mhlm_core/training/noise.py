"""Hardware-aware weight noise (spec section 2): W~ = W + sigma * max|W| * N(0, 1) per tensor.

The noise is added in place for one forward/backward and removed before the optimiser step,
so gradients are taken at the noisy weights and applied to the clean ones (as aihwkit's
weight modifier does during hardware-aware training).
"""
from contextlib import contextmanager

import torch
from torch import nn


def weight_tensors(net):
    """The weight-stationary tensors that analog tiles would hold: Conv/Linear weights."""
    return [m.weight for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


@contextmanager
def weight_noise(net, sigma, generator=None):
    """`generator` must live on the weights' device (None: torch's default for that device)."""
    if sigma <= 0:
        yield
        return
    saved = []
    with torch.no_grad():
        for w in weight_tensors(net):
            saved.append(w.detach().clone())
            noise = torch.randn(w.shape, generator=generator, device=w.device)
            w.add_(noise * (sigma * w.abs().max()))
    try:
        yield
    finally:
        with torch.no_grad():
            for w, clean in zip(weight_tensors(net), saved):
                w.copy_(clean)
