"""Excel functions for training: compute, time, GPUs, cost, memory and communication.

Each function resolves ids and defaults through a setup (:mod:`xlcompute.scenario.setups`) and
calls core formulas; no arithmetic here.
"""

from __future__ import annotations

from ..core import communication, memory, training
from ..core.errors import XlcomputeError, check_choice
from ..scenario.setups import params_of, resolve_model, training_setup
from .arguments import FLOPS, GPU, MFU, MODEL, MODEL_OR_PARAMS, PRECISION, PRICE, PRICING, PROVIDER, TRAINING_TOKENS, \
    UNIT, check_price_source
from .spec import Argument, excel_function

#: Optional last argument of the time and cost functions: picks the MFU regime (dense or MoE).
REGIME_MODEL = Argument("model", "Model trained: catalog id, picks the MFU regime (mixture of experts or dense) "
                                 "[optional, default: dense].", core_names=("params", "active_params", "arch"))


def in_unit(num_bytes, unit):
    """Bytes in the memory unit asked for (GB when blank)."""
    return memory.to_memory_unit(num_bytes, "GB" if unit is None else unit)


def _require(argument: str, value, why: str) -> None:
    if value is None:
        raise XlcomputeError(f"{argument}: required {why}.", argument=argument)


@excel_function("TRAIN_FLOPS", [
    Argument("params", "Parameters trained (for MoE: active parameters), e.g. 7E+09. Cell or range.", "parameters"),
    TRAINING_TOKENS,
    Argument("flops_per_param_token", "FLOP per parameter per token [optional, default 6 = forward 2 + backward 4; "
                                      "8 with full activation recomputation]."),
], vectorised=True)
def train_flops(params, tokens, flops_per_param_token=6.0):
    """Training compute [FLOP] = k x parameters x tokens (Kaplan et al. 2020, C = 6PT)."""
    return training.train_flops(params, tokens, flops_per_param_token)


@excel_function("TRAIN_GPU_HOURS", [FLOPS, GPU, MFU, PRECISION, REGIME_MODEL], vectorised=True)
def train_gpu_hours(flops, gpu, mfu=None, precision="bf16", model=None):
    """GPU-hours to train [GPU-h] = FLOP / (GPU dense peak x MFU x 3600)."""
    s = training_setup(gpu, mfu, precision, model=model)
    return training.gpu_hours(flops, s.peak_flops, s.mfu)


@excel_function("TRAIN_DAYS", [FLOPS, Argument("gpus", "Number of GPUs training together. Cell or range.", "GPUs",
                                               ("num_gpus",)), GPU, MFU, PRECISION, REGIME_MODEL], vectorised=True)
def train_days(flops, gpus, gpu, mfu=None, precision="bf16", model=None):
    """Wall-clock training days = FLOP / (GPUs x dense peak x MFU) / 86400 (seed 004 eq. 2)."""
    s = training_setup(gpu, mfu, precision, model=model, gpus=gpus)
    return training.training_days(flops, gpus, s.peak_flops, s.mfu)


@excel_function("GPUS_FOR_DEADLINE", [FLOPS, Argument("days", "Deadline in days of wall-clock training. Cell or "
                                                              "range.", "days"), GPU, MFU, PRECISION, REGIME_MODEL],
                vectorised=True)
def gpus_for_deadline(flops, days, gpu, mfu=None, precision="bf16", model=None):
    """Whole GPUs to finish training within the deadline = ceiling(FLOP / (days x 86400 x peak x MFU))."""
    s = training_setup(gpu, mfu, precision, model=model)
    return training.gpus_for_deadline(flops, days, s.peak_flops, s.mfu)


@excel_function("TRAIN_COST", [FLOPS, GPU, PRICE, PROVIDER, PRICING, MFU, PRECISION, REGIME_MODEL], vectorised=True)
def train_cost(flops, gpu, usd_per_gpu_hour=None, provider=None, pricing="on_demand", mfu=None, precision="bf16",
               model=None):
    """GPU rental cost of training [USD] = GPU-hours x price per GPU-hour (accelerators only)."""
    check_price_source(provider, pricing)
    s = training_setup(gpu, mfu, precision, priced=True, usd_per_gpu_hour=usd_per_gpu_hour, provider=provider,
                       pricing=pricing, model=model)
    return training.train_cost(training.gpu_hours(flops, s.peak_flops, s.mfu), s.usd_per_gpu_hour)


@excel_function("TRAIN_MEMORY_GB", [
    MODEL_OR_PARAMS,
    Argument("gpus", "Data-parallel GPUs the ZeRO states are sharded over [optional, default 1].", "GPUs",
             ("num_gpus",)),
    Argument("zero_stage", "ZeRO stage: 0 none, 1 optimizer states, 2 +gradients, 3 +parameters [optional, "
                           "default 0]."),
    Argument("bytes_per_param", "Bytes per parameter of mixed-precision Adam: 16 (ZeRO paper) or 18 (Megatron-LM) "
                                "[optional, default 16].", "B"),
    UNIT,
], vectorised=True)
def train_memory_gb(model, gpus=1, zero_stage=0, bytes_per_param=16, unit="GB"):
    """Training model-state memory per GPU (parameters, gradients, Adam states) with ZeRO sharding; add ACTIVATION_GB."""
    return in_unit(memory.training_memory_bytes(params_of(model), gpus, zero_stage, bytes_per_param), unit)


@excel_function("ACTIVATION_GB", [
    MODEL,
    Argument("seq_len", "Training sequence length in tokens, e.g. 4096. Cell or range.", "tokens"),
    Argument("micro_batch", "Micro-batch size per GPU in sequences [optional, default 1]."),
    Argument("recompute", 'Activation recomputation: none, selective or full [optional, default "none"].'),
    Argument("tensor_parallel", "Tensor-parallel degree [optional, default 1]."),
    Argument("sequence_parallel", "TRUE for Megatron sequence parallelism [optional, default FALSE]."),
    UNIT,
], vectorised=True)
def activation_gb(model, seq_len, micro_batch=1, recompute=None, tensor_parallel=1, sequence_parallel=False,
                  unit="GB"):
    """Training activation memory per GPU, all layers (Korthikanti et al. 2022, Table 2)."""
    arch = resolve_model(model).arch
    options = {} if recompute is None else {"recompute": recompute}
    return in_unit(memory.activation_memory_bytes(
        seq_len, micro_batch, arch.hidden_size, arch.num_attention_heads, arch.num_layers,
        tensor_parallel=tensor_parallel, sequence_parallel=sequence_parallel, **options), unit)


@excel_function("COMM_VOLUME_GB", [
    MODEL,
    Argument("parallelism", "Which traffic: data (gradients), pipeline (stage activations) or tensor (layer "
                            "all-reduces). Cell or range."),
    TRAINING_TOKENS,
    Argument("gpus", "GPUs in the pipeline or tensor-parallel group [optional, default: none; required for "
                     "pipeline and tensor].", "GPUs", ("num_gpus",)),
    Argument("batch_size", "Global batch in sequences per optimizer step [optional, default: none; required for "
                           "data].", number=True),
    Argument("seq_len", "Tokens per sequence [optional, default: none; required for data]."),
    Argument("precision", 'Precision on the wire [optional, default "bf16"].'),
    UNIT,
], vectorised=True)
def comm_volume_gb(model, parallelism, tokens, gpus=None, batch_size=None, seq_len=None, precision="bf16",
                   unit="GB"):
    """Communication volume over a training run for data, pipeline or tensor parallelism (seed 004 eqs. 7-9)."""
    check_choice("parallelism", parallelism, ("data", "pipeline", "tensor"))
    found = resolve_model(model)
    arch = found.arch
    if parallelism == "data":
        _require("batch_size", batch_size, "for data parallelism (sequences per optimizer step)")
        _require("seq_len", seq_len, "for data parallelism (tokens per sequence)")
        volume = communication.data_parallel_comm_volume(tokens, found.total_params, batch_size, seq_len, precision)
    else:
        _require("gpus", gpus, f"for {parallelism} parallelism")
        if parallelism == "pipeline":
            volume = communication.pipeline_parallel_comm_volume(tokens, arch.hidden_size, gpus, precision)
        else:
            volume = communication.tensor_parallel_comm_volume(tokens, arch.hidden_size, arch.num_layers, gpus,
                                                                precision)
    return in_unit(volume, unit)
