"""Channel descriptors (spec section 3): global average over positions, softmax over channels."""
import torch


def channel_descriptor(a):
    """(B, C, ...) activations -> (B, C): mean over spatial/token positions (dense: unchanged)."""
    return a.mean(tuple(range(2, a.dim()))) if a.dim() > 2 else a


def log_channel_distribution(a, temperature=1.0):
    """log softmax(g / T_f) over channels."""
    return torch.log_softmax(channel_descriptor(a) / temperature, dim=1)
