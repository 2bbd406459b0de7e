"""Task-specific baselines: T independent copies (no joint loss), fine-tuned like every method.
Without HWA: no noise, all digital, not drifted. With HWA: weight noise, every layer analog."""
import copy


def run(ctx):
    plain = ctx.finetune(copy.deepcopy(ctx.strategy("plain")), sigma=0.0, label="ts_digital ft")
    noisy = ctx.finetune(copy.deepcopy(ctx.strategy("noise")), label="ts_hwa ft")
    return {"ts_digital": ctx.deployed(plain, analog_trunk=False, analog_rest=False),
            "ts_hwa": ctx.deployed(noisy, analog_trunk=False, analog_rest=True)}
