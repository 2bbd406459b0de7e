"""Channel importance by Shapley values (spec section 4).

For layer l and task t, the channels of layer l's output are the players and task t's output
(the logit of the class the model predicts) is the value. Two estimators:
- "shap": `shap.GradientExplainer` (expected gradients) on the tail model that maps layer l's
  activations to task t's output; attributions are therefore for layer l's output, exactly the
  "(model, module after l)" form of the spec without hooks.
- "permutation": Monte-Carlo permutation sampling over channel masks, absent channels replaced by
  their calibration mean (mean ablation), seeded.
Both give (N, C, ...) attributions; importance = mean |phi| over samples and positions,
normalised per task and layer to a distribution, then averaged over tasks.
"""
import numpy as np
import shap
import torch
from torch import nn


class _Summary(nn.Module):
    """A task head's output reduced to (B, K) scores (see `tasks.TaskKind.summary`)."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, out):
        return self.fn(out)


def tail_model(net, layer, task, summary=None):
    """Module mapping layer `layer`'s output (0-based) of task `task`'s copy to (B, K) scores."""
    rest = list(net.branches[task])[layer + 1 - net.k:] if layer + 1 >= net.k else \
        list(net.trunk)[layer + 1:] + list(net.branches[task])
    mods = [*rest, net.heads[task]] + ([_Summary(summary)] if summary else [])
    return nn.Sequential(*mods).eval()


class _Picked(nn.Module):
    """Scalar output: the logit of a fixed class per sample (the class predicted on full input)."""

    def __init__(self, tail, classes):
        super().__init__()
        self.tail, self.classes = tail, classes

    def forward(self, h):
        return self.tail(h).gather(1, self.classes[:, None])[:, 0]


def shap_attributions(tail, background, explain, nsamples=64, seed=0):
    """Expected-gradients attributions for the predicted class of each explained sample."""
    explainer = shap.GradientExplainer(tail, background)
    values, _ = explainer.shap_values(explain, nsamples=nsamples, ranked_outputs=1, rseed=seed)
    values = np.asarray(values)
    return values[..., 0] if values.ndim == explain.dim() + 1 else values


@torch.no_grad()
def permutation_attributions(tail, background, explain, n_perm=8, seed=0):
    """Permutation-sampling Shapley values of channels (mean ablation), shape of `explain`."""
    classes = tail(explain).argmax(1)
    f = _Picked(tail, classes)
    base = background.mean(0, keepdim=True).expand_as(explain)
    C = explain.shape[1]
    phi = torch.zeros_like(explain)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(n_perm):
        h = base.clone()
        prev = f(h)
        for c in torch.randperm(C, generator=gen).tolist():
            h[:, c] = explain[:, c]
            cur = f(h)
            phi[:, c] += ((cur - prev) / n_perm).view(-1, *([1] * (explain.dim() - 2)))
            prev = cur
    return phi.cpu().numpy()


def channel_importance(attributions):
    """mean |phi| over samples and positions, normalised to a distribution over channels."""
    a = np.abs(np.asarray(attributions, dtype=float))
    per_channel = a.reshape(a.shape[0], a.shape[1], -1).mean((0, 2))
    total = per_channel.sum()
    return per_channel / total if total > 0 else np.full_like(per_channel, 1.0 / len(per_channel))


@torch.no_grad()
def _activations(net, x, task):
    net.eval()
    device = next(net.parameters()).device
    return [a.detach() for a in net(x.to(device), features=True)[1][task]]


def layer_importance(net, x, estimator="shap", n_background=64, n_explain=64, nsamples=64,
                     n_perm=8, seed=0, summaries=None):
    """s^l for every layer: (C,) importance averaged over tasks; also the per-task arrays.
    `summaries[t]` reduces task t's head output to (B, K) scores (default: the output as is)."""
    per_task = []
    x = x[:n_background + n_explain]
    for t in range(net.n_tasks):
        acts = _activations(net, x, t)
        rows = []
        for l, a in enumerate(acts):
            bg, ex = a[:n_background], a[n_background:n_background + n_explain]
            if len(ex) == 0:
                ex = bg
            tail = tail_model(net, l, t, summaries[t] if summaries else None)
            if estimator == "shap":
                with torch.enable_grad():
                    phi = shap_attributions(tail, bg, ex, nsamples=nsamples, seed=seed + 31 * l + t)
            elif estimator == "permutation":
                phi = permutation_attributions(tail, bg, ex, n_perm=n_perm, seed=seed + 31 * l + t)
            else:
                raise ValueError(f"unknown Shapley estimator '{estimator}'")
            rows.append(channel_importance(phi))
        per_task.append(rows)
    mean = [np.mean([per_task[t][l] for t in range(net.n_tasks)], axis=0) for l in range(len(per_task[0]))]
    return mean, per_task
