"""MHLM candidates (spec sections 5-6): for every prefix k = 0..L, share layers 1..k of the
noise + joint-loss copies (element-wise mean), fine-tune with weight noise, deploy the shared
layers on analog. The candidate at k* (chosen by the mapping) is the MHLM row."""
from ..models.multitask import share_prefix


def run(ctx):
    base = ctx.strategy("noise+joint")
    out = {}
    for k in range(ctx.n_layers + 1):
        net = ctx.finetune(share_prefix(base, k), label=f"mhlm k={k} ft")
        out[f"mhlm_k{k}"] = ctx.deployed(net, analog_trunk=True, analog_rest=False)
    return out
