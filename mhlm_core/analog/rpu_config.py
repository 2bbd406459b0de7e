"""The paper's aihwkit configuration (Supplementary F), for the C++ or the torch tile."""
from aihwkit.inference import GlobalDriftCompensation, PCMLikeNoiseModel
from aihwkit.simulator.configs import (InferenceRPUConfig, TorchInferenceRPUConfig, WeightClipType,
                                       WeightModifierType, WeightRemapType)
from aihwkit.simulator.parameters import IOParameters

from ..config import DEFAULT_ANALOG  # noqa: F401  (re-exported)

TILES = {"cpp": InferenceRPUConfig, "torch": TorchInferenceRPUConfig}



def create_rpu_config(tile="cpp", g_max=25.0, tile_size=512, modifier_std=0.07, out_noise=0.05,
                      out_res_bits=8, drift_compensation="global", prog_noise_scale=1.0,
                      read_noise_scale=1.0, drift_scale=1.0):
    """`create_rpu_config(g_max=25, tile_size=512, modifier_std=0.07)` of the paper; the PCM
    noise scales (1 = the calibrated PCM model, 0 = off) and out_res_bits <= 0 (no output
    quantisation) exist for sanity checks and what-if studies."""
    rpu = TILES[tile]()
    rpu.mapping.digital_bias = True
    rpu.mapping.weight_scaling_omega = 1.0
    rpu.mapping.weight_scaling_columnwise = True
    rpu.mapping.learn_out_scaling = True
    rpu.mapping.out_scaling_columnwise = True
    rpu.mapping.max_input_size = int(tile_size)
    rpu.mapping.max_output_size = int(tile_size)
    rpu.noise_model = PCMLikeNoiseModel(g_max=float(g_max), prog_noise_scale=float(prog_noise_scale),
                                        read_noise_scale=float(read_noise_scale), drift_scale=float(drift_scale))
    rpu.remap.type = WeightRemapType.CHANNELWISE_SYMMETRIC
    rpu.clip.type = WeightClipType.FIXED_VALUE
    rpu.clip.fixed_value = 1.0
    rpu.modifier.type = WeightModifierType.MULT_NORMAL
    rpu.modifier.rel_to_actual_wmax = True
    rpu.modifier.std_dev = float(modifier_std)
    rpu.forward = IOParameters()
    rpu.forward.out_noise = float(out_noise)
    rpu.forward.out_res = 1.0 / (2 ** int(out_res_bits) - 2) if out_res_bits > 0 else -1.0
    rpu.drift_compensation = GlobalDriftCompensation() if drift_compensation == "global" else None
    return rpu
