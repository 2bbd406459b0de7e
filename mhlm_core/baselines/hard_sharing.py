"""Hard parameter sharing: one backbone for all tasks (k = L) plus per-task heads, trained from
scratch with weight noise for the same total budget (epochs + fine-tune epochs); backbone analog."""


def run(ctx):
    net = ctx.new_net(k=ctx.n_layers)
    ctx.train(net, epochs=ctx.cfg["epochs"] + ctx.cfg["ft_epochs"], sigma=ctx.cfg["sigma"], lam=0.0,
              label="hard_sharing")
    return {"hard_sharing": ctx.deployed(net, analog_trunk=True, analog_rest=False)}
