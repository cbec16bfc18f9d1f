"""Excel functions for inference and serving: FLOPs, memory, GPUs, speed, cost and the planner.

Each function resolves ids and defaults through a setup (:mod:`xlcompute.scenario.setups`) and
calls core formulas or the serving-speed model; no arithmetic here.
"""

from __future__ import annotations

from ..core import inference, memory
from ..core.errors import check_number
from ..core.units import normalise_precision
from ..scenario import planner, serving_speed
from ..scenario.setups import kv_precision_for, params_of, price_per_gpu_hour, resolve_gpu, resolve_model
from .arguments import FIT_BATCH, GPU, INPUT_TOKENS, KV_FOLLOWS, MODEL, MODEL_OR_PARAMS, OUTPUT_TOKENS, PRECISION, \
    PRICE, PRICING, PROVIDER, REPLICA_GPUS, UNIT, USABLE_FRACTION, UTILIZATION, check_price_source
from .spec import Argument, excel_function

ENGINE = Argument("engine", 'Serving engine: "tensorrt-llm", "vllm", "sglang", "llama.cpp" (also MLC) or '
                            '"transformers" [optional, default: TensorRT-LLM on NVIDIA GPUs, vLLM on others].')
from .training_functions import in_unit


@excel_function("INFER_FLOPS", [
    Argument("model", MODEL_OR_PARAMS.description + " MoE: active parameters count.", "", MODEL_OR_PARAMS.core_names),
    Argument("tokens", "Tokens processed, input + output [optional, default 1 = FLOP per token].", "tokens",
             ("io_tokens",)),
], vectorised=True)
def infer_flops(model, tokens=1):
    """Inference compute [FLOP] = 2 x active parameters x tokens (seed 004 eq. 10)."""
    return inference.request_flops(params_of(model, "active"), tokens)


@excel_function("WEIGHTS_GB", [MODEL_OR_PARAMS, PRECISION, UNIT], vectorised=True)
def weights_gb(model, precision="bf16", unit="GB"):
    """Memory to hold the weights = parameters (MoE: all experts) x bytes per parameter."""
    return in_unit(memory.weights_bytes(params_of(model), precision), unit)


@excel_function("KV_CACHE_GB", [
    MODEL,
    Argument("context_tokens", "Tokens in context per sequence (prompt + generated). Cell or range.", "tokens"),
    Argument("batch", "Sequences held at once [optional, default 1]."),
    Argument("kv_precision", 'KV-cache precision: bf16, fp16, fp8, int8 [optional, default "bf16"].'),
    UNIT,
], vectorised=True)
def kv_cache_gb(model, context_tokens, batch=1, kv_precision="bf16", unit="GB"):
    """KV-cache memory = batch x context x 2 x layers x KV heads x head dim x bytes (GQA, MLA, sliding window aware)."""
    return in_unit(memory.kv_cache_bytes(resolve_model(model).arch, context_tokens, batch, kv_precision), unit)


@excel_function("INFER_MEMORY_GB", [
    MODEL,
    Argument("context_tokens", "Tokens in context per sequence [optional, default 4096].", "tokens"),
    Argument("batch", "Concurrent sequences [optional, default 1]."),
    PRECISION, KV_FOLLOWS, UNIT,
], vectorised=True)
def infer_memory_gb(model, context_tokens=4096, batch=1, precision="bf16", kv_precision=None, unit="GB"):
    """Memory the serving engine must hold = weights + KV cache + activations (seed 003); fits in the usable share of GPU memory."""
    found = resolve_model(model)
    kv = kv_precision_for(normalise_precision(precision), kv_precision)
    # No multiplicative overhead: the runtime's share is the GPU memory outside the usable fraction (GPUS_NEEDED).
    return in_unit(memory.serving_memory_bytes(found.total_params, found.arch, context_tokens, batch, precision, kv,
                                               overhead_fraction=0.0), unit)


@excel_function("GPUS_NEEDED", [
    MODEL, GPU, PRECISION,
    Argument("context_tokens", "Tokens per request, prompt + output [optional, default 4096].", "tokens",
             ("sequence_tokens",)),
    Argument("concurrent_requests", "Requests held in memory at once [optional, default 1].", "", ("batch",)),
    Argument("requests_per_s", "Request rate; given, compute can bind too [optional, default: none, memory only].",
             "requests/s", ("users",)),
    KV_FOLLOWS, USABLE_FRACTION, UTILIZATION,
])
def gpus_needed(model, gpu, precision="bf16", context_tokens=4096, concurrent_requests=1, requests_per_s=None,
                kv_precision=None, usable_fraction=None, utilization=None):
    """Whole GPUs to serve: memory (weights + activations + KV cache in the usable share), or compute at a request rate."""
    options = {} if utilization is None else {"utilization": utilization}
    return serving_speed.gpus_to_serve(model, gpu, precision, context_tokens, concurrent_requests, requests_per_s,
                                     kv_precision, usable_fraction, **options)


@excel_function("TTFT_MS", [
    MODEL, GPU, REPLICA_GPUS, PRECISION,
    Argument("prompt_tokens", "Prompt tokens [optional, default 1024].", "tokens"),
    Argument("batch", "Prompts prefilled together [optional, default 1]."),
    ENGINE,
])
def ttft_ms(model, gpu, gpus=1, precision="bf16", prompt_tokens=1024, batch=1, engine=None):
    """Time to first token [ms]: prefill time of the prompt(s) on the replica (roofline, fitted efficiencies)."""
    return serving_speed.ttft_ms(model, gpu, gpus, precision, prompt_tokens, batch, engine=engine)


@excel_function("TPOT_MS", [
    MODEL, GPU, REPLICA_GPUS, PRECISION,
    Argument("context_tokens", "Tokens in context while decoding [optional, default 1024].", "tokens"),
    Argument("batch", "Sequences decoded together [optional, default 1]."),
    ENGINE,
])
def tpot_ms(model, gpu, gpus=1, precision="bf16", context_tokens=1024, batch=1, engine=None):
    """Time per output token [ms] of one sequence: one decode step (weights + KV cache read, compute, overheads)."""
    return serving_speed.tpot_ms(model, gpu, gpus, precision, context_tokens, batch, engine=engine)


@excel_function("TOKENS_PER_S", [MODEL, GPU, REPLICA_GPUS, PRECISION, INPUT_TOKENS, OUTPUT_TOKENS, FIT_BATCH, ENGINE])
def tokens_per_s(model, gpu, gpus=1, precision="bf16", input_tokens=1024, output_tokens=256, batch=None, engine=None):
    """Output tokens per second of one replica at the batch, prefill included."""
    return serving_speed.tokens_per_s(model, gpu, gpus, precision, input_tokens, output_tokens, batch, engine=engine)


@excel_function("COST_PER_MTOK", [MODEL, GPU, PRICE, PROVIDER, PRICING, REPLICA_GPUS, PRECISION, INPUT_TOKENS,
                                  OUTPUT_TOKENS, FIT_BATCH, ENGINE])
def cost_per_mtok(model, gpu, usd_per_gpu_hour=None, provider=None, pricing="on_demand", gpus=1, precision="bf16",
                  input_tokens=1024, output_tokens=256, batch=None, engine=None):
    """GPU cost per million output tokens [USD] = GPUs x price / (3600 x tokens per second) x 1e6."""
    check_price_source(provider, pricing)
    accelerator = resolve_gpu(gpu)
    speed = serving_speed.tokens_per_s(model, accelerator, gpus, precision, input_tokens, output_tokens, batch,
                                       engine=engine)
    price = price_per_gpu_hour(accelerator, usd_per_gpu_hour, provider, pricing)
    return inference.cost_per_million_tokens(price, gpus, speed)


@excel_function("COST_PER_REQUEST", [
    MODEL_OR_PARAMS, GPU, PRICE, PROVIDER, PRICING,
    Argument("tokens", "Tokens of one request, input + output [optional, default 1280].", "tokens", ("io_tokens",)),
    PRECISION, UTILIZATION,
], vectorised=True)
def cost_per_request(model, gpu, usd_per_gpu_hour=None, provider=None, pricing="on_demand", tokens=1280,
                     precision="bf16", utilization=None):
    """GPU cost of one request [USD] = request FLOP x price / (3600 x peak x utilisation) (seed 004 eq. 12)."""
    check_price_source(provider, pricing)
    accelerator = resolve_gpu(gpu)
    options = {} if utilization is None else {"utilization": utilization}
    return inference.cost_per_request(inference.request_flops(params_of(model, "active"), tokens),
                                      price_per_gpu_hour(accelerator, usd_per_gpu_hour, provider, pricing),
                                      accelerator.peak_flops(precision), **options)


@excel_function("PLAN", [
    Argument("model", "Model: catalog id, Hugging Face repo name or path to a config.json."),
    Argument("requests_per_s", "Requests per second to serve.", "requests/s"),
    INPUT_TOKENS, OUTPUT_TOKENS,
    Argument("ttft_ms_max", "Limit on time to first token in ms [optional, default: no limit].", "ms"),
    Argument("tpot_ms_max", "Limit on time per output token in ms [optional, default: no limit].", "ms"),
    Argument("gpus", 'GPU ids to consider, comma-separated, e.g. "h100-sxm,a100-80gb" [optional, default: every '
                     'GPU with a price].'),
    Argument("precisions", 'Precisions to consider, comma-separated [optional, default "bf16,fp8"].'),
    Argument("top", "Rows to return [optional, default 10]."),
    Argument("frontier", "TRUE for the cost/speed Pareto frontier instead of the cheapest rows [optional, default "
                         "FALSE]."),
], returns="table")
def plan(model, requests_per_s, input_tokens=1024, output_tokens=256, ttft_ms_max=None, tpot_ms_max=None, gpus=None,
         precisions="bf16,fp8", top=10, frontier=False):
    """Cheapest serving set-ups (GPU, precision, tensor or expert parallel, batch, replicas) meeting the limits: a spilled table."""
    check_number("top", top, minimum=1.0, integer=True)
    return planner.plan_table(model, requests_per_s, input_tokens, output_tokens, ttft_ms_max, tpot_ms_max, gpus,
                              precisions, int(top), bool(frontier))  # COM passes 10.0; a slice needs 10
