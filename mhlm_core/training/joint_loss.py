"""The similarity-enhancing joint loss term: sum over task pairs i < j of KL(z_i || z_j)."""
import torch

from ..similarity.descriptors import channel_descriptor


def joint_kl(feats, temperature=1.0):
    """feats[t][l] activations -> sum over pairs of KL, averaged over layers and over the batch.

    Vectorised over tasks: per layer one softmax of the stacked (T, B, C) descriptors and one
    einsum for every KL(z_i || z_j) = sum_c p_i (log p_i - log p_j). Layers whose activations
    are the same tensor for every task (a shared trunk) add nothing.
    """
    T, L = len(feats), len(feats[0])
    if T < 2:
        return feats[0][0].new_zeros(())
    upper = torch.triu(torch.ones(T, T, dtype=torch.bool, device=feats[0][0].device), diagonal=1)
    total = 0.0
    for l in range(L):
        g = torch.stack([channel_descriptor(feats[t][l]) for t in range(T)])  # (T, B, C)
        logp = torch.log_softmax(g / temperature, dim=2)
        p = logp.exp()
        neg_entropy = (p * logp).sum(2)                      # (T, B): sum_c p_i log p_i
        cross = torch.einsum("ibc,jbc->ijb", p, logp)        # (T, T, B): sum_c p_i log p_j
        kl = neg_entropy[:, None, :] - cross                 # KL(z_i || z_j) per sample
        total = total + kl[upper].mean(1).sum()
    return total / L
