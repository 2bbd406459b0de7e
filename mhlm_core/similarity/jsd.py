"""Jensen-Shannon and Kullback-Leibler divergences in bits, per channel (spec section 3)."""
from itertools import combinations

import numpy as np
import torch

from .descriptors import log_channel_distribution


def kl_divergence(p, q, base=2.0):
    """KL(p || q) over the last axis, with 0 log 0 = 0."""
    p, q = np.asarray(p, float), np.asarray(q, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * (np.log(p) - np.log(q)), 0.0)
    return terms.sum(-1) / np.log(base)


def jsd_per_channel(p, q):
    """j_c = 1/2 p_c log2(p_c/m_c) + 1/2 q_c log2(q_c/m_c); their sum over c is JSD in [0, 1]."""
    p, q = np.asarray(p, float), np.asarray(q, float)
    m = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(p > 0, p * np.log2(p / m), 0.0)
        b = np.where(q > 0, q * np.log2(q / m), 0.0)
    return 0.5 * a + 0.5 * b


def task_pairs(n_tasks):
    return list(combinations(range(n_tasks), 2))


@torch.no_grad()
def layer_distributions(net, x, batch_size=512, temperature=1.0):
    """[task][layer] -> (N, C) channel distributions of `net` on inputs x (eval mode)."""
    net.eval()
    device = next(net.parameters()).device
    chunks = []
    for i in range(0, len(x), batch_size):
        _, feats = net(x[i:i + batch_size].to(device), features=True)
        chunks.append([[log_channel_distribution(a, temperature).exp().double().cpu() for a in f]
                       for f in feats])
    T, L = len(chunks[0]), len(chunks[0][0])
    return [[torch.cat([c[t][l] for c in chunks]).numpy() for l in range(L)] for t in range(T)]


def pairwise_channel_jsd(dists):
    """Per layer, a (pairs, C) array: mean over inputs of j_c for every task pair i < j."""
    T, L = len(dists), len(dists[0])
    return [np.stack([jsd_per_channel(dists[i][l], dists[j][l]).mean(0) for i, j in task_pairs(T)])
            for l in range(L)]


def mean_layer_jsd(net, x, temperature=1.0):
    """JSD_l (bits) per layer: mean over inputs and task pairs of sum_c j_c."""
    return [float(a.sum(1).mean()) for a in pairwise_channel_jsd(layer_distributions(net, x, temperature=temperature))]
