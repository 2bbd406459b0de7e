"""The similarity-enhancing joint loss term: sum over task pairs i < j of KL(z_i || z_j)."""
from itertools import combinations

import torch

from ..similarity.descriptors import log_channel_distribution


def joint_kl(feats, temperature=1.0):
    """feats[t][l] activations -> sum over pairs of KL, averaged over layers and over the batch.

    Layers whose activations are the same tensor for every task (a shared trunk) add nothing.
    """
    T, L = len(feats), len(feats[0])
    if T < 2:
        return feats[0][0].new_zeros(())
    total = 0.0
    for l in range(L):
        logs = [log_channel_distribution(feats[t][l], temperature) for t in range(T)]
        for i, j in combinations(range(T), 2):
            total = total + (logs[i].exp() * (logs[i] - logs[j])).sum(1).mean()
    return total / L
