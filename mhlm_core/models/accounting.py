"""Parameter and MAC accounting per layer and per deployed model (spec section 9).

Weight-stationary MACs are those of Conv/Linear weights; they run on analog tiles when their
layer is analog. Normalisation (one MAC per normalised element), biases and everything else
stays digital. Shared trunk layers are counted once; branches and heads once per task.
"""
import torch
from torch import nn

WEIGHT_LAYERS = (nn.Conv2d, nn.Linear)


def module_stats(module, x):
    """{weight_params, other_params, weight_macs, other_macs} of `module` for one input sample x."""
    stats = {"weight_params": 0, "other_params": 0, "weight_macs": 0, "other_macs": 0}
    for m in module.modules():
        for name, p in m.named_parameters(recurse=False):
            key = "weight_params" if isinstance(m, WEIGHT_LAYERS) and name == "weight" else "other_params"
            stats[key] += p.numel()

    def hook(m, inp, out):
        if isinstance(m, nn.Conv2d):
            stats["weight_macs"] += out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.Linear):
            stats["weight_macs"] += out.numel() * m.in_features
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm)):
            stats["other_macs"] += out.numel()
        if hasattr(m, "digital_macs"):  # attention products: not weight-stationary
            stats["other_macs"] += m.digital_macs(inp[0])

    handles = [m.register_forward_hook(hook) for m in module.modules()]
    was_training = module.training
    module.eval()
    with torch.no_grad():
        y = module(x)
    module.train(was_training)
    for h in handles:
        h.remove()
    return stats, y


def layer_table(net, input_shape):
    """Per mappable layer (one copy) and per head: stats dicts, from a k = 0 or any net."""
    layers = list(net.trunk) + list(net.branches[0])
    x = torch.zeros(1, *input_shape)
    rows = []
    for name, layer in zip(net.layer_names, layers):
        st, x = module_stats(layer, x)
        rows.append({"name": name, **st})
    heads = [module_stats(h, x)[0] for h in net.heads]
    return rows, heads


def deployed_accounting(layers, heads, k, analog_trunk=True, analog_rest=False):
    """Table 1 columns for a prefix-k model: shared layers analog when `analog_trunk`; task-specific
    layers and heads analog only when `analog_rest` (the all-analog task-specific baseline)."""
    T = len(heads)
    parts = [(row, 1, analog_trunk) for row in layers[:k]]
    parts += [(row, T, analog_rest) for row in layers[k:]]
    parts += [(h, 1, analog_rest) for h in heads]
    total_p = sum(m * (r["weight_params"] + r["other_params"]) for r, m, _ in parts)
    analog_p = sum(m * r["weight_params"] for r, m, a in parts if a)
    total_mac = sum(m * (r["weight_macs"] + r["other_macs"]) for r, m, _ in parts)
    analog_mac = sum(m * r["weight_macs"] for r, m, a in parts if a)
    shared_p = sum(r["weight_params"] + r["other_params"] for r in layers[:k])
    single = sum(r["weight_params"] + r["other_params"] for r in layers)
    task_specific_total = T * single + sum(h["weight_params"] + h["other_params"] for h in heads)
    return {
        "shared_prefix": int(k),
        "shared_portion": shared_p / total_p,
        "total_params": int(total_p),
        "analog_params": int(analog_p),
        "digital_params": int(total_p - analog_p),
        "total_macs": int(total_mac),
        "analog_macs": int(analog_mac),
        "analog_mac_pct": 100.0 * analog_mac / total_mac,
        "param_reduction": task_specific_total / total_p,
    }
