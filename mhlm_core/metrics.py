"""Evaluation of a multi-task network on one split: every task scored by its kind's metric."""
import torch

from .tasks import kind_of
from .tasks.classification import accuracy  # noqa: F401  (re-exported)


def net_device(net):
    p = next(net.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


@torch.no_grad()
def evaluate(net, data, split, batch_size=256):
    """{task name: metric} of `net` on `data`'s split (higher is better)."""
    net.eval()
    x = torch.from_numpy(data.x[split])
    geo = data.geometry
    device = net_device(net)
    preds = [[] for _ in data.tasks]
    for i in range(0, len(x), batch_size):
        outs = net(x[i:i + batch_size].to(device))
        for t, (spec, out) in enumerate(zip(data.tasks, outs)):
            preds[t].append(kind_of(spec).postprocess(out, spec, geo))
    return {spec.name: kind_of(spec).metric(p, data.y[split][spec.name], spec, geo)
            for spec, p in zip(data.tasks, preds)}
