"""Hardware-aware weight noise (spec section 2): W~ = W + sigma * max|W| * N(0, 1) per tensor.

The noise is added in place for one forward/backward and removed before the optimiser step,
so gradients are taken at the noisy weights and applied to the clean ones (as aihwkit's
weight modifier does during hardware-aware training). One normal draw covers every tensor and
the per-tensor work uses torch's fused `_foreach` kernels: small networks are bound by
per-operator overhead, not arithmetic.
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
    weights = weight_tensors(net)
    if sigma <= 0 or not weights:
        yield
        return
    with torch.no_grad():
        saved = torch._foreach_mul(weights, 1.0)  # copies of the clean weights
        flat = torch.randn(sum(w.numel() for w in weights), generator=generator, device=weights[0].device)
        noise = [n.view_as(w) for n, w in zip(flat.split([w.numel() for w in weights]), weights)]
        scales = torch._foreach_norm(weights, float("inf"))  # max |W| per tensor
        torch._foreach_mul_(scales, sigma)
        torch._foreach_mul_(noise, scales)
        torch._foreach_add_(weights, noise)
    try:
        yield
    finally:
        with torch.no_grad():
            torch._foreach_copy_(weights, saved)
