"""Similarity-enhancing hardware-aware training (paper Alg. 1, spec section 2).

One loop trains any `MultiTaskNet`: the T task-specific copies (k = 0), a shared-prefix model
being fine-tuned, or a hard-shared network. Noise (sigma) and joint loss (lambda) switch the
four strategies of the paper's Fig. 3.
"""
import math
import time

import torch

from .. import MHLMError
from ..metrics import evaluate, net_device
from ..similarity.jsd import mean_layer_jsd
from ..tasks import kind_of
from .joint_loss import joint_kl
from .noise import weight_noise


def train(net, data, epochs, lr=1e-3, batch_size=64, sigma=0.07, lam=0.05, seed=0,
          temperature=1.0, label="", on_epoch=None, track_jsd=True):
    """Train in place; returns per-epoch records (losses, val metrics, per-layer val JSD).

    Raises MHLMError if the loss becomes NaN/inf (the caller keeps whatever it already had).
    """
    x, ys = data.tensors("train")
    xv, _ = data.tensors("val")
    device = net_device(net)
    losses = [kind_of(t).loss for t in data.tasks]
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    steps = max(1, math.ceil(len(x) / batch_size)) * max(1, epochs)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    gen = torch.Generator().manual_seed(seed)
    noise_gen = torch.Generator(device=device).manual_seed(seed + 1)
    history = []
    for epoch in range(1, epochs + 1):
        net.train()
        t0 = time.perf_counter()
        perm = torch.randperm(len(x), generator=gen)
        sums = {"task_loss": 0.0, "joint_loss": 0.0, "n": 0}
        for i in range(0, len(x), batch_size):
            idx = perm[i:i + batch_size]
            xb = x[idx].to(device, non_blocking=True)
            with weight_noise(net, sigma, noise_gen):
                outs, feats = net(xb, features=True)
                task_loss = sum(fn(o, y[idx].to(device), t)
                                for fn, o, y, t in zip(losses, outs, ys, data.tasks))
                jl = joint_kl(feats, temperature) if lam > 0 else task_loss.new_zeros(())
                loss = task_loss + lam * jl
                if not torch.isfinite(loss):
                    raise MHLMError(f"training diverged ({label}): loss is {loss.item()} at epoch "
                                    f"{epoch}; lower the learning rate or sigma")
                opt.zero_grad(set_to_none=True)
                loss.backward()
            opt.step()
            sched.step()
            sums["task_loss"] += task_loss.item() * len(idx)
            sums["joint_loss"] += jl.item() * len(idx)
            sums["n"] += len(idx)
        record = {"label": label, "epoch": epoch,
                  "task_loss": sums["task_loss"] / sums["n"],
                  "joint_loss": sums["joint_loss"] / sums["n"],
                  "seconds": time.perf_counter() - t0,
                  "val": evaluate(net, data, "val")}
        record["loss"] = record["task_loss"] + lam * record["joint_loss"]
        if track_jsd and net.k < len(net.layer_names):
            record["jsd_layers"] = mean_layer_jsd(net, xv.to(device), temperature)
            record["jsd"] = float(sum(record["jsd_layers"]) / len(record["jsd_layers"]))
        history.append(record)
        if on_epoch:
            on_epoch(record)
    return history
