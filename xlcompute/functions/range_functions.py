"""Excel functions for honest ranges and program budgets: the low, base and high values the
validation supports, and what a training program costs beyond its final run.

``TYPICAL_MFU`` gives the training MFU of a run's regime (GPU generation, precision, dense or
MoE, scale) and its 80% band over the published runs it was fitted on; ``SPEED_BAND`` the serving
engine's 80% band of measured over predicted speed on sources its fit had not seen. A workbook
multiplies its estimate by them to get ``TOTAL_LOW`` and ``TOTAL_HIGH``.
"""

from __future__ import annotations

from ..core import program
from ..core.errors import check_choice
from ..scenario.setups import engine_for, params_of, resolve_gpu, training_mfu_range
from .arguments import GPU, MODEL, PRECISION
from .spec import Argument, excel_function

CASES = ("low", "base", "high")
CASE = Argument("case", 'Which value: "low", "base" or "high" (the 80% band) [optional, default "base"].')


@excel_function("TYPICAL_MFU", [
    GPU, PRECISION,
    Argument("model", MODEL.description.replace(". Cell or range.", "") + " [optional: dense when omitted; MoE runs "
             "have their own regime; default: dense]."),
    Argument("gpus", "GPUs training together [optional, default: scale unknown].", "GPUs"),
    CASE,
])
def typical_mfu(gpu, precision="bf16", model=None, gpus=None, case="base"):
    """Steady-state MFU of published runs like this one on 6PD [-] (the model's attention share taken out; time lost
    to restarts is PROGRAM_GPU_HOURS' goodput): the regime's typical value, or the low/high end of its 80% band."""
    key = str(case).strip().lower()
    check_choice("case", key, CASES)
    fitted = training_mfu_range(resolve_gpu(gpu), precision, model, gpus)
    return getattr(fitted, key)


@excel_function("SPEED_BAND", [
    GPU,
    Argument("engine", "Serving engine: tensorrt-llm, vllm, sglang, llama.cpp or transformers [optional, default: "
                       "TensorRT-LLM on NVIDIA, vLLM elsewhere]."),
    CASE,
])
def speed_band(gpu, engine=None, case="low"):
    """Measured over predicted serving speed [-]: the engine's 10th ("low") or 90th ("high") percentile, 1 for "base"."""
    key = str(case).strip().lower()
    check_choice("case", key, CASES)
    chosen = engine_for(resolve_gpu(gpu), engine)
    return {"low": chosen.band_low, "base": 1.0, "high": chosen.band_high}[key]


@excel_function("PROGRAM_GPU_HOURS", [
    Argument("final_run_gpu_hours", "GPU-hours of the final training run, e.g. from TRAIN_GPU_HOURS. Cell or range.",
             "GPU-hours"),
    Argument("experiments_multiple", "Experiments and ablations before the final run, as a multiple of it "
                                     "[optional, default 0].", "-"),
    Argument("evaluation_share", "Evaluation during and after training, as a share of the final run [optional, "
                                 "default 0].", "-"),
    Argument("goodput", "Share of reserved time that advances training [optional, default 1; Meta's Llama 3 run: "
                        "above 0.9].", "-"),
], vectorised=True)
def program_gpu_hours(final_run_gpu_hours, experiments_multiple=0.0, evaluation_share=0.0, goodput=1.0):
    """GPU-hours of a training program [GPU-hours] = final run x (1 + experiments + evaluation) / goodput."""
    return program.program_gpu_hours(final_run_gpu_hours, experiments_multiple, evaluation_share, goodput)


@excel_function("RESTART_GPU_HOURS", [
    Argument("work_gpu_hours", "GPU-hours of work that advances training (final run, experiments, evaluation). Cell "
                               "or range.", "GPU-hours"),
    Argument("goodput", "Share of reserved time that advances training [optional, default 1; Meta's Llama 3 run: "
                        "above 0.9].", "-"),
], vectorised=True)
def restart_gpu_hours(work_gpu_hours, goodput=1.0):
    """GPU-hours lost to failures and restarts [GPU-hours] = work x (1 - goodput) / goodput."""
    return program.restart_gpu_hours(work_gpu_hours, goodput)


@excel_function("CHECKPOINT_TB", [
    Argument("model", "Model: catalog id or a parameter count. Cell or range.", "", ("params",)),
    Argument("checkpoints_kept", "Checkpoints kept at once [optional, default 1].", "-"),
    Argument("bytes_per_param", "Bytes per parameter in a checkpoint [optional, default 16 = mixed-precision Adam "
                                "states].", "bytes"),
], vectorised=True)
def checkpoint_tb(model, checkpoints_kept=1.0, bytes_per_param=program.MIXED_PRECISION_ADAM_BYTES):
    """Storage for the checkpoints kept [TB] = parameters x bytes per parameter x checkpoints / 10^12."""
    return program.checkpoint_storage_tb(params_of(model), checkpoints_kept, bytes_per_param)


@excel_function("SPOT_HOURS", [
    Argument("hours", "Hours of work without interruptions, e.g. GPU-hours. Cell or range.", "h"),
    Argument("interruptions_per_day", "Interruptions per instance-day (the provider's published frequency).", "1/day"),
    Argument("checkpoint_interval_h", "Hours between checkpoints [optional, default 1].", "h"),
    Argument("restart_h", "Hours to get capacity back and resume [optional, default 0.25].", "h"),
], vectorised=True)
def spot_hours(hours, interruptions_per_day, checkpoint_interval_h=1.0, restart_h=0.25):
    """Hours billed on spot capacity [h] = hours / (1 - interruptions x (interval/2 + restart) / 24)."""
    return program.spot_billed_hours(hours, interruptions_per_day, checkpoint_interval_h, restart_h)
