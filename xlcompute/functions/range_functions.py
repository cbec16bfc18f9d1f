"""Excel functions for honest ranges: the low, base and high values the validation supports.

``TYPICAL_MFU`` gives the training MFU of a run's regime (GPU generation, precision, dense or
MoE, scale) and its 80% band over the published runs it was fitted on; ``SPEED_BAND`` the serving
engine's 80% band of measured over predicted speed on sources its fit had not seen. A workbook
multiplies its estimate by them to get ``TOTAL_LOW`` and ``TOTAL_HIGH``.
"""

from __future__ import annotations

from ..core.errors import check_choice
from ..scenario.setups import engine_for, resolve_gpu, training_mfu_range
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
    """MFU of published runs like this one [-]: the regime's typical value, or the low/high end of its 80% band."""
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
