"""One network class for every sharing pattern: a shared trunk (layers 1..k) and, per task,
a branch (layers k+1..L) and a head. k = 0 is T task-specific copies, k = L is hard sharing."""
import copy

import torch
from torch import nn

from . import get_backbone


class MultiTaskNet(nn.Module):
    def __init__(self, layer_names, trunk, branches, heads):
        super().__init__()
        self.layer_names = list(layer_names)
        self.trunk = nn.ModuleList(trunk)
        self.branches = nn.ModuleList(nn.ModuleList(b) for b in branches)
        self.heads = nn.ModuleList(heads)

    @property
    def k(self):
        return len(self.trunk)

    @property
    def n_tasks(self):
        return len(self.heads)

    def forward(self, x, features=False):
        """Task outputs; with `features`, also every task's per-layer activations (list of L)."""
        h, shared = x, []
        for layer in self.trunk:
            h = layer(h)
            shared.append(h)
        outs, feats = [], []
        for branch, head in zip(self.branches, self.heads):
            g, f = h, list(shared)
            for layer in branch:
                g = layer(g)
                f.append(g)
            outs.append(head(g))
            feats.append(f)
        return (outs, feats) if features else outs


def feature_shapes(layers, input_shape):
    """Output shape (without batch) of each mappable layer, by a dummy forward."""
    shapes, h = [], torch.zeros(1, *input_shape)
    with torch.no_grad():
        for _, layer in layers:
            layer.eval()
            h = layer(h)
            shapes.append(tuple(h.shape[1:]))
    return shapes


def build_net(backbone, input_shape, tasks, k=0, seed=0, weights=None):
    """A fresh network with prefix k shared; every task copy starts from the same seeded weights,
    so channel c of layer l means the same thing in every copy (spec section 1). Each task's
    head comes from its kind (classification, segmentation, detection)."""
    from ..tasks import kind_of
    bb = get_backbone(backbone)
    torch.manual_seed(seed)
    if weights and not bb.accepts_weights:
        from .. import MHLMError
        raise MHLMError(f"backbone {backbone} takes no weights file (only "
                        "torchvision ResNets do); leave backbone_weights empty")
    layers = bb.make_layers(input_shape, weights=weights) if weights else bb.make_layers(input_shape)
    names = [n for n, _ in layers]
    feat = feature_shapes(layers, input_shape)[-1]
    geo = {"input_shape": tuple(input_shape), "feature_shape": feat}
    heads = []
    for t in tasks:
        torch.manual_seed(seed + 1000 + len(heads))
        heads.append(kind_of(t).make_head(feat, t, geo, bb))
    mods = [m.train() for _, m in layers]
    trunk = mods[:k]
    branches = [[copy.deepcopy(m) for m in mods[k:]] for _ in tasks]
    return MultiTaskNet(names, trunk, branches, heads)


def _mean_module(modules):
    """A copy of modules[0] whose float parameters and buffers are the element-wise mean."""
    out = copy.deepcopy(modules[0])
    states = [m.state_dict() for m in modules]
    mean = {key: (torch.stack([s[key] for s in states]).mean(0) if val.is_floating_point() else val)
            for key, val in states[0].items()}
    out.load_state_dict(mean)
    return out


def share_prefix(net, k):
    """Prefix-k model from task-specific copies (k = 0 net): shared layer = mean of the copies."""
    if net.k != 0:
        raise ValueError("share_prefix expects the task-specific (k = 0) network")
    trunk = [_mean_module([b[i] for b in net.branches]) for i in range(k)]
    branches = [[copy.deepcopy(m) for m in b[k:]] for b in net.branches]
    return MultiTaskNet(net.layer_names, trunk, branches, [copy.deepcopy(h) for h in net.heads])
