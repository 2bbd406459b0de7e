"""MHLM mapping (reconstructed paper Alg. 2, spec sections 4, 5 and 7): pure arithmetic on the
per-layer statistics of one trained experiment, so moving tau, alpha or beta costs microseconds.

`stats` (see `pipeline.mapping_stats`) holds, per mappable layer l:
  pair_jsd[l]   (pairs, C): mean over calibration inputs of the per-channel JSD j_c, per task pair
  importance[l] (C,):       Shapley importance s^l, a distribution over channels
and per prefix k = 0..L: perf[k] (mean 1-day metric over tasks) and per-task 1-day metrics.
"""
import numpy as np

from .. import MHLMError


def check_thresholds(tau, alpha, beta):
    """Raise MHLMError naming the impossible threshold."""
    for name, v in (("tau", tau), ("alpha", alpha), ("beta", beta)):
        if v is None or not np.isfinite(v):
            raise MHLMError(f"threshold {name} must be a finite number, got {v!r}")
    if tau < 0:
        raise MHLMError(f"threshold tau must be >= 0, got {tau}")
    if not 0.0 <= alpha <= 1.0:
        raise MHLMError(f"threshold alpha must lie in [0, 1], got {alpha}")
    if beta < 0:
        raise MHLMError(f"threshold beta must be >= 0, got {beta}")


def channel_weights(importance, alpha):
    """(1 - alpha) + alpha * C * s_c: 1 for every channel at alpha = 0."""
    s = np.asarray(importance, float)
    return (1.0 - alpha) + alpha * len(s) * s


def pair_layer_jsd(stats, alpha):
    """(L, pairs) importance-weighted JSD of every layer and task pair."""
    return np.array([np.asarray(pj, float) @ channel_weights(s, alpha)
                     for pj, s in zip(stats["pair_jsd"], stats["importance"])])


def retention(stats):
    """R_k = min(1, perf(k) / perf(0)) for k = 1..L, each task normalised by itself at k = 0."""
    per_task = np.asarray(stats["perf_per_task"], float)  # (L + 1, T)
    base = np.where(per_task[0] > 0, per_task[0], 1.0)
    return np.minimum(1.0, (per_task[1:] / base).mean(1))


def layer_scores(stats, alpha, beta):
    """Per layer: JSD_l(alpha), R_l and WJSD_l = JSD_l(alpha) + beta * (1 - R_l)."""
    jsd = pair_layer_jsd(stats, alpha).mean(1)
    r = retention(stats)
    return {"jsd": jsd, "retention": r, "score": jsd + beta * (1.0 - r)}


def shared_prefix(scores, tau):
    """k* = the largest k with score_l <= tau for every l <= k (stop at the first exceedance)."""
    k = 0
    for s in scores:
        if s > tau:
            break
        k += 1
    return k


def choose(stats, tau, alpha, beta):
    """The mapping decision: k*, the layer scores and the predicted 1-day performance."""
    check_thresholds(tau, alpha, beta)
    sc = layer_scores(stats, alpha, beta)
    k = shared_prefix(sc["score"], tau)
    return {"k": k, **sc, "perf": float(np.mean(stats["perf_per_task"][k]))}


def pareto(stats, taus, alphas, betas):
    """Distinct (k, shared portion, 1-day perf) over a (tau, alpha, beta) grid, with the
    non-dominated points (maximise both) marked, as in the paper's Supp. Fig. 1."""
    seen = {}
    for a in alphas:
        for b in betas:
            sc = layer_scores(stats, a, b)["score"]
            for t in taus:
                k = shared_prefix(sc, t)
                seen.setdefault(k, (t, a, b))
    pts = [{"k": k, "shared_portion": stats["accounting"][k]["shared_portion"],
            "perf": float(np.mean(stats["perf_per_task"][k])), "tau": float(t), "alpha": float(a), "beta": float(b)}
           for k, (t, a, b) in sorted(seen.items())]
    for p in pts:
        p["pareto"] = not any(q["shared_portion"] >= p["shared_portion"] and q["perf"] >= p["perf"]
                              and (q["shared_portion"] > p["shared_portion"] or q["perf"] > p["perf"])
                              for q in pts)
    return pts
