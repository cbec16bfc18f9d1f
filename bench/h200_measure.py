"""Measure prefill and decode times of Llama-shaped models with plain (eager) Hugging Face Transformers.

Random bf16 weights built from the real configs (no downloads), ``attn_implementation="sdpa"``,
``torch.inference_mode()``, no CUDA graphs, no torch.compile. Also the achievable bf16/fp8 matmul
rate and the HBM copy bandwidth of the GPU. Everything is appended to CSV files under ``--out``
as soon as it is measured (a run cut short still leaves its data).

Run on a GPU machine (docs/h200_measurements.md lists the four runs behind its data; this one gave the
rows of xlcompute/validation/data/h200_transformers_measurements.csv)::

    PYTHONUNBUFFERED=1 python3 bench/h200_measure.py --out OUT_DIR --date "$(date -u +%F)" --deadline-s 250 --no-cudnn-sdpa

``--no-cudnn-sdpa`` matters: with PyTorch's default choice, SDPA runs cuDNN attention, which builds a new
graph (~5 ms of CPU per call) whenever the key length changes, i.e. at every decode step.

Check the script on a CPU with tiny shapes (seconds)::

    python3 bench/h200_measure.py --smoke --out /tmp/h200_smoke

Needs torch and transformers; nothing in the xlcompute package or its tests imports this file.

Outputs (one row per measurement):

- ``env.json``: versions, GPU name, memory, date, arguments.
- ``rates.csv``: bf16 and fp8 matmul TFLOP/s, HBM copy TB/s (read + write bytes).
- ``prefill.csv``: one forward pass over ``batch`` prompts of ``prompt_tokens`` (KV cache written,
  logits of the last token only), median of the timed runs after a warm-up, in ms.
- ``decode.csv``: one-token forward steps of ``batch`` sequences over a DynamicCache that holds
  ``context`` tokens before the first timed step (grows by one per step), greedy next token;
  median of ``steps`` per-step times, in ms (= TPOT at that batch).
"""

from __future__ import annotations

import argparse
import csv
import datetime as _dt
import gc
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

T0 = time.time()

# Real shapes (config.json of the Hugging Face repos); catalog ids of xlcompute.
MODELS = {
    "llama-3.2-1b": dict(family="llama", hidden_size=2048, num_hidden_layers=16, num_attention_heads=32,
                         num_key_value_heads=8, intermediate_size=8192, vocab_size=128256, head_dim=64,
                         tie_word_embeddings=True, rope_theta=500000.0, max_position_embeddings=131072),
    "llama-3.2-3b": dict(family="llama", hidden_size=3072, num_hidden_layers=28, num_attention_heads=24,
                         num_key_value_heads=8, intermediate_size=8192, vocab_size=128256, head_dim=128,
                         tie_word_embeddings=True, rope_theta=500000.0, max_position_embeddings=131072),
    "llama-3.1-8b": dict(family="llama", hidden_size=4096, num_hidden_layers=32, num_attention_heads=32,
                         num_key_value_heads=8, intermediate_size=14336, vocab_size=128256, head_dim=128,
                         tie_word_embeddings=False, rope_theta=500000.0, max_position_embeddings=131072),
    "qwen2.5-14b": dict(family="qwen2", hidden_size=5120, num_hidden_layers=48, num_attention_heads=40,
                        num_key_value_heads=8, intermediate_size=13824, vocab_size=152064, head_dim=128,
                        tie_word_embeddings=False, rope_theta=1000000.0, max_position_embeddings=32768),
}
SMOKE_MODEL = dict(family="llama", hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                   intermediate_size=128, vocab_size=1000, head_dim=16, tie_word_embeddings=True,
                   rope_theta=10000.0, max_position_embeddings=4096)

PREFILL_BATCHES = (1, 4, 16)
PREFILL_TOKENS = (128, 512, 2048, 8192)
DECODE_BATCHES = (1, 8, 32, 128)
DECODE_CONTEXTS = (512, 4096)


def log(msg: str) -> None:
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%H:%M:%S")
    print(f"[{stamp} +{time.time() - T0:6.1f}s] {msg}", flush=True)


class Sink:
    """Append-only CSV files, flushed after every row."""

    def __init__(self, out: Path):
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        self.files: dict[str, tuple[object, csv.DictWriter]] = {}

    def row(self, name: str, row: dict) -> None:
        if name not in self.files:
            path = self.out / name
            handle = path.open("w", newline="", encoding="utf-8")
            writer = csv.DictWriter(handle, fieldnames=list(row))
            writer.writeheader()
            self.files[name] = (handle, writer)
        handle, writer = self.files[name]
        writer.writerow(row)
        handle.flush()
        os.fsync(handle.fileno())


class Timer:
    """Wall time of a region with the device synchronised before and after."""

    def __init__(self, device: torch.device):
        self.cuda = device.type == "cuda"

    def sync(self) -> None:
        if self.cuda:
            torch.cuda.synchronize()

    def __call__(self, fn):
        self.sync()
        start = time.perf_counter()
        result = fn()
        self.sync()
        return (time.perf_counter() - start) * 1000.0, result


def busy_ms(fn, repeats: int, device: torch.device) -> float | str:
    """Device-busy ms per call of ``fn``: the summed kernel (and copy) durations the profiler records.

    On one stream kernels do not overlap, so this is the time the GPU itself worked, without the
    gaps in which it waited for the host to launch the next kernel (what CUDA graphs would remove).
    On a CPU it sums operator self times instead (only a check that the code runs).
    """
    from torch.profiler import ProfilerActivity, profile

    try:
        cuda = device.type == "cuda"
        activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
        with profile(activities=activities) as prof:
            for _ in range(repeats):
                fn()
            if cuda:
                torch.cuda.synchronize()
        from torch.autograd import DeviceType

        total = 0.0
        for event in prof.key_averages():
            if not cuda:
                total += event.self_cpu_time_total
            elif event.device_type == DeviceType.CUDA and not getattr(event, "is_user_annotation", False):
                # device events only, as the profiler's own "Self CUDA time total" counts them: CPU operators
                # carry their kernels' time too, and summing both would count every kernel twice
                value = getattr(event, "self_device_time_total", None)
                total += value if value is not None else event.self_cuda_time_total
        return round(total / 1000.0 / repeats, 3)
    except Exception as exc:  # noqa: BLE001 - a profiler failure must not stop the measurements
        log(f"profiler failed: {type(exc).__name__}: {str(exc)[:120]}")
        return ""


def free_memory() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


# ---------------------------------------------------------------------------------------------
# Achievable rates
# ---------------------------------------------------------------------------------------------


def _event_ms(fn, warmup: int, iters: int, device: torch.device) -> float:
    """Mean ms per call of ``fn`` (CUDA events on a GPU, wall clock on a CPU)."""
    for _ in range(warmup):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(iters):
            fn()
        end.record()
        torch.cuda.synchronize()
        return start.elapsed_time(end) / iters
    start = time.perf_counter()
    for _ in range(iters):
        fn()
    return (time.perf_counter() - start) * 1000.0 / iters


def measure_rates(sink: Sink, device: torch.device, smoke: bool) -> None:
    n = 256 if smoke else 8192
    iters, warmup = (2, 1) if smoke else (20, 5)
    flops = 2.0 * n ** 3
    a = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    b = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    ms = _event_ms(lambda: torch.matmul(a, b), warmup, iters, device)
    sink.row("rates.csv", dict(kind="matmul_bf16", value=round(flops / ms / 1e9, 2), unit="TFLOP/s", ms=round(ms, 4),
                               detail=f"torch.matmul {n}x{n}x{n} bf16 randn, mean of {iters} after {warmup} warm-up",
                               status="ok"))
    log(f"bf16 matmul {n}^3: {flops / ms / 1e9:.1f} TFLOP/s")
    for fast in (False, True):
        kind = "matmul_fp8_e4m3" + ("_fast_accum" if fast else "")
        try:
            a8 = a.to(torch.float8_e4m3fn)
            b8 = b.to(torch.float8_e4m3fn).t()  # column-major second operand, as cuBLASLt wants
            one = torch.tensor(1.0, device=device, dtype=torch.float32)
            fn = lambda: torch._scaled_mm(a8, b8, scale_a=one, scale_b=one, out_dtype=torch.bfloat16,
                                          use_fast_accum=fast)
            ms8 = _event_ms(fn, warmup, iters, device)
            sink.row("rates.csv", dict(kind=kind, value=round(flops / ms8 / 1e9, 2), unit="TFLOP/s", ms=round(ms8, 4),
                                       detail=f"torch._scaled_mm {n}^3 float8_e4m3fn x float8_e4m3fn -> bf16, "
                                              f"per-tensor scales, use_fast_accum={fast}, mean of {iters}",
                                       status="ok"))
            log(f"fp8 matmul fast_accum={fast}: {flops / ms8 / 1e9:.1f} TFLOP/s")
        except Exception as exc:  # noqa: BLE001 - record any failure, keep measuring
            sink.row("rates.csv", dict(kind=kind, value="", unit="TFLOP/s", ms="", detail="torch._scaled_mm",
                                       status=f"failed: {type(exc).__name__}: {str(exc)[:200]}"))
            log(f"fp8 matmul failed: {type(exc).__name__}: {str(exc)[:200]}")
    del a, b
    free_memory()
    elements = (1 << 20) if smoke else (1 << 31)  # 4 GiB of bf16 on the GPU
    src = torch.empty(elements, device=device, dtype=torch.bfloat16).fill_(1.0)
    dst = torch.empty_like(src)
    ms = _event_ms(lambda: dst.copy_(src), warmup, iters, device)
    moved = 2.0 * src.numel() * src.element_size()
    sink.row("rates.csv", dict(kind="hbm_copy", value=round(moved / ms / 1e9, 3), unit="TB/s", ms=round(ms, 4),
                               detail=f"dst.copy_(src), {src.numel() * 2 / 2**30:.2f} GiB bf16, bytes read + written, "
                                      f"mean of {iters}", status="ok"))
    log(f"HBM copy: {moved / ms / 1e9:.2f} TB/s (read + write)")
    del src, dst
    free_memory()


# ---------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------


def build_model(spec: dict, device: torch.device):
    from transformers import AutoModelForCausalLM, LlamaConfig, Qwen2Config

    spec = dict(spec)
    family = spec.pop("family")
    cls = Qwen2Config if family == "qwen2" else LlamaConfig
    config = cls(**spec, attn_implementation="sdpa")
    with torch.device(device):
        try:
            model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16, attn_implementation="sdpa")
        except TypeError:  # older transformers: torch_dtype
            model = AutoModelForCausalLM.from_config(config, torch_dtype=torch.bfloat16, attn_implementation="sdpa")
    model = model.to(device=device, dtype=torch.bfloat16).eval()
    return model


def kv_bytes_per_token(spec: dict) -> int:
    return 2 * spec["num_hidden_layers"] * spec["num_key_value_heads"] * spec["head_dim"] * 2


def device_memory(device: torch.device) -> int:
    if device.type == "cuda":
        return torch.cuda.get_device_properties(device).total_memory
    return 8 << 30


def random_cache(model, spec: dict, batch: int, context: int, device: torch.device):
    """A DynamicCache holding ``context`` tokens of random keys and values for each layer."""
    from transformers import DynamicCache

    shape = (batch, spec["num_key_value_heads"], context, spec["head_dim"])
    try:
        cache = DynamicCache(config=model.config)
    except TypeError:
        cache = DynamicCache()
    for layer in range(spec["num_hidden_layers"]):
        k = torch.randn(shape, device=device, dtype=torch.bfloat16)
        v = torch.randn(shape, device=device, dtype=torch.bfloat16)
        cache.update(k, v, layer)
    return cache


def measure_prefill(sink: Sink, name: str, model, spec: dict, device: torch.device, args, setup: str) -> None:
    timer = Timer(device)
    batches = (1, 2) if args.smoke else PREFILL_BATCHES
    lengths = (16, 64) if args.smoke else PREFILL_TOKENS
    for batch in batches:
        for tokens in lengths:
            if past_deadline(args):
                log(f"deadline: skip prefill {name} B={batch} S={tokens}")
                continue
            base = dict(model=name, batch=batch, prompt_tokens=tokens)
            try:
                ids = torch.randint(0, spec["vocab_size"], (batch, tokens), device=device)
                run = lambda: model(input_ids=ids, use_cache=True, logits_to_keep=1)
                first, out = timer(run)  # warm-up (allocator, cuBLAS heuristics)
                del out
                times = []
                reps = 1 if first > 1500 else (2 if first > 600 else args.prefill_reps)
                for _ in range(reps):
                    ms, out = timer(run)
                    del out
                    times.append(ms)
                med = statistics.median(times)
                busy = busy_ms(run, 1, device) if first < args.busy_below_ms else ""
                sink.row("prefill.csv", dict(**base, ms_median=round(med, 3), ms_min=round(min(times), 3),
                                             ms_max=round(max(times), 3), warmup_ms=round(first, 3), runs=len(times),
                                             tokens_per_s=round(batch * tokens / med * 1000, 1), gpu_busy_ms=busy,
                                             peak_mem_gib=round(torch.cuda.max_memory_allocated() / 2**30, 2)
                                             if device.type == "cuda" else "", status="ok", setup=setup))
                log(f"prefill {name} B={batch} S={tokens}: {med:.2f} ms ({len(times)} runs)")
            except torch.cuda.OutOfMemoryError as exc:
                sink.row("prefill.csv", dict(**base, ms_median="", ms_min="", ms_max="", warmup_ms="", runs=0,
                                             tokens_per_s="", gpu_busy_ms="", peak_mem_gib="", status=f"oom: {str(exc)[:120]}",
                                             setup=setup))
                log(f"prefill {name} B={batch} S={tokens}: OOM")
            finally:
                ids = out = None
                free_memory()
                if device.type == "cuda":
                    torch.cuda.reset_peak_memory_stats()


def measure_decode(sink: Sink, name: str, model, spec: dict, device: torch.device, args, setup: str) -> None:
    timer = Timer(device)
    batches = (1, 4) if args.smoke else DECODE_BATCHES
    contexts = (32, 128) if args.smoke else DECODE_CONTEXTS
    steps, warmup = (4, 1) if args.smoke else (args.decode_steps, 3)
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    for context in contexts:
        for batch in batches:
            base = dict(model=name, batch=batch, context=context, steps=steps)
            need = weights + batch * (context + steps + 1) * kv_bytes_per_token(spec) * 1.1 + (6 << 30)
            if not args.smoke and need > 0.92 * device_memory(device):
                sink.row("decode.csv", dict(**base, ms_median="", ms_p10="", ms_p90="", ms_mean="",
                                            tokens_per_s="", gpu_busy_ms="", cache_len_end="", status=f"skipped: needs ~{need / 2**30:.0f} GiB",
                                            setup=setup))
                log(f"decode {name} B={batch} C={context}: skipped (memory)")
                continue
            if past_deadline(args):
                log(f"deadline: skip decode {name} B={batch} C={context}")
                continue
            cache = token = out = None
            try:
                # the first timed step sees `context` cached tokens: warm-up steps fill the gap
                cache = random_cache(model, spec, batch, context - warmup, device)
                token = torch.randint(0, spec["vocab_size"], (batch, 1), device=device)
                times = []

                def step():
                    o = model(input_ids=token, past_key_values=cache, use_cache=True)
                    return o.logits[:, -1].argmax(-1, keepdim=True)

                for i in range(warmup + steps):
                    ms, token = timer(step)
                    if i >= warmup:
                        times.append(ms)
                end_len = cache.get_seq_length()
                busy = busy_ms(step, 2, device)  # two more steps (the cache grows by 2), profiled
                times.sort()
                med = statistics.median(times)
                p10, p90 = times[int(0.1 * (len(times) - 1))], times[int(0.9 * (len(times) - 1))]
                sink.row("decode.csv", dict(**base, ms_median=round(med, 3), ms_p10=round(p10, 3), ms_p90=round(p90, 3),
                                            ms_mean=round(statistics.fmean(times), 3),
                                            tokens_per_s=round(batch / med * 1000, 1), gpu_busy_ms=busy,
                                            cache_len_end=end_len,
                                            status="ok", setup=setup))
                log(f"decode {name} B={batch} C={context}: {med:.2f} ms/step")
            except torch.cuda.OutOfMemoryError as exc:
                sink.row("decode.csv", dict(**base, ms_median="", ms_p10="", ms_p90="", ms_mean="", tokens_per_s="",
                                            gpu_busy_ms="", cache_len_end="", status=f"oom: {str(exc)[:120]}", setup=setup))
                log(f"decode {name} B={batch} C={context}: OOM")
            finally:
                cache = token = out = None
                free_memory()


def profile_decode(path: Path, model, spec: dict, device: torch.device, args) -> None:
    """Per-step time and the busiest kernels of decode steps (B=1, 512 cached tokens), cuDNN SDPA on and off."""
    from torch.profiler import ProfilerActivity, profile

    timer = Timer(device)
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    context = 64 if args.smoke else 512
    with path.open("w", encoding="utf-8") as handle:
        for cudnn in (True, False):
            if device.type == "cuda":
                torch.backends.cuda.enable_cudnn_sdp(cudnn)
            cache = random_cache(model, spec, 1, context, device)
            token = torch.randint(0, spec["vocab_size"], (1, 1), device=device)
            step = lambda: model(input_ids=token, past_key_values=cache, use_cache=True).logits[:, -1].argmax(-1, True)
            for _ in range(3):
                token = step()
            times = []
            for _ in range(10):
                ms, token = timer(step)
                times.append(ms)
            line = (f"cudnn_sdp={cudnn}: decode B=1 ctx~{context}: median {statistics.median(times):.2f} ms/step, "
                    f"steps {[round(t, 2) for t in times]}")
            log(line)
            handle.write(line + "\n")
            with profile(activities=activities) as prof:
                for _ in range(2):
                    token = step()
                timer.sync()
            sort = "cuda_time_total" if device.type == "cuda" else "cpu_time_total"
            handle.write(prof.key_averages().table(sort_by=sort, row_limit=25, max_name_column_width=90) + "\n")
            handle.flush()
            cache = token = None
            free_memory()
    if device.type == "cuda":
        torch.backends.cuda.enable_cudnn_sdp(not args.no_cudnn_sdpa)


def measure_busy(sink: Sink, name: str, model, spec: dict, device: torch.device, args) -> None:
    """Device-busy time only: prefills whose warm-up is under --busy-below-ms, and every decode point."""
    timer = Timer(device)
    batches = (1, 2) if args.smoke else PREFILL_BATCHES
    lengths = (16, 64) if args.smoke else PREFILL_TOKENS
    for batch in batches:
        for tokens in lengths:
            if past_deadline(args):
                continue
            ids = torch.randint(0, spec["vocab_size"], (batch, tokens), device=device)
            run = lambda: model(input_ids=ids, use_cache=True, logits_to_keep=1)
            first, out = timer(run)
            out = None
            if first < args.busy_below_ms:
                second, out = timer(run)
                out = None
                sink.row("busy.csv", dict(model=name, phase="prefill", batch=batch, tokens=tokens, wall_ms=round(second, 3),
                                          gpu_busy_ms=busy_ms(run, 1, device)))
            ids = None
            free_memory()
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    for context in ((32, 128) if args.smoke else DECODE_CONTEXTS):
        for batch in ((1, 4) if args.smoke else DECODE_BATCHES):
            need = weights + batch * (context + 16) * kv_bytes_per_token(spec) * 1.1 + (6 << 30)
            if past_deadline(args) or (not args.smoke and need > 0.92 * device_memory(device)):
                continue
            cache = random_cache(model, spec, batch, context - 3, device)
            token = torch.randint(0, spec["vocab_size"], (batch, 1), device=device)

            def step():
                return model(input_ids=token, past_key_values=cache, use_cache=True).logits[:, -1].argmax(-1, True)

            times = []
            for i in range(3 + 8):
                ms, token = timer(step)
                if i >= 3:
                    times.append(ms)
            sink.row("busy.csv", dict(model=name, phase="decode", batch=batch, tokens=context,
                                      wall_ms=round(statistics.median(times), 3), gpu_busy_ms=busy_ms(step, 2, device)))
            log(f"busy {name} decode B={batch} C={context}: wall {statistics.median(times):.2f} ms")
            cache = token = None
            free_memory()


def past_deadline(args) -> bool:
    return args.deadline_s > 0 and time.time() - T0 > args.deadline_s


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def environment(device: torch.device, args) -> dict:
    import transformers

    env = {
        "date": args.date or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d"),
        "started_utc": _dt.datetime.fromtimestamp(T0, _dt.timezone.utc).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "torch": torch.__version__,
        "torch_cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
        "transformers": transformers.__version__,
        "device": str(device),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "args": vars(args),
    }
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        env.update(gpu_name=torch.cuda.get_device_name(device), gpu_memory_gib=round(props.total_memory / 2**30, 2),
                   multiprocessors=props.multi_processor_count, capability=f"{props.major}.{props.minor}")
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder for env.json and the CSV files")
    parser.add_argument("--smoke", action="store_true", help="tiny shapes on whatever device there is (CPU check)")
    parser.add_argument("--models", default="llama-3.2-1b,llama-3.2-3b,llama-3.1-8b,qwen2.5-14b")
    parser.add_argument("--date", default="", help="UTC date to record (default: now)")
    parser.add_argument("--deadline-s", type=float, default=0.0, help="skip what is left after this many seconds")
    parser.add_argument("--prefill-reps", type=int, default=3, help="timed prefill passes (fewer for slow ones)")
    parser.add_argument("--decode-steps", type=int, default=32, help="timed decode steps")
    parser.add_argument("--skip-rates", action="store_true")
    parser.add_argument("--skip-prefill", action="store_true")
    parser.add_argument("--busy-only", action="store_true",
                        help="only the device-busy time (busy.csv) of the prefill and decode points")
    parser.add_argument("--busy-below-ms", type=float, default=1000.0,
                        help="profile the device-busy time of prefills whose warm-up took less than this")
    parser.add_argument("--no-cudnn-sdpa", action="store_true",
                        help="disable PyTorch's cuDNN attention backend (SDPA then picks flash / memory-efficient)")
    parser.add_argument("--profile-decode", action="store_true",
                        help="profile decode steps of the first model with and without cuDNN SDPA (profile.txt)")
    args = parser.parse_args(argv)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    sink = Sink(Path(args.out))
    env = environment(device, args)
    (Path(args.out) / "env.json").write_text(json.dumps(env, indent=2))
    log(f"env: {json.dumps({k: v for k, v in env.items() if k != 'args'})}")
    torch.backends.cuda.matmul.allow_tf32 = False
    if args.no_cudnn_sdpa:
        torch.backends.cuda.enable_cudnn_sdp(False)

    with torch.inference_mode():
        if not args.skip_rates:
            measure_rates(sink, device, args.smoke)
        names = ["smoke-tiny"] if args.smoke else [m for m in args.models.split(",") if m]
        for name in names:
            if past_deadline(args):
                log(f"deadline: skip {name}")
                continue
            spec = SMOKE_MODEL if args.smoke else MODELS[name]
            log(f"build {name}")
            model = build_model(spec, device)
            params = sum(p.numel() for p in model.parameters())
            log(f"{name}: {params / 1e9:.3f} B parameters (unique), attn={model.config._attn_implementation}")
            sdpa = "sdpa attention (cuDNN SDPA backend disabled)" if args.no_cudnn_sdpa else \
                "sdpa attention (PyTorch default backend choice)"
            setup = (f"eager HF transformers {env['transformers']}, torch {env['torch']}, no CUDA graphs, "
                     f"no torch.compile, {sdpa}, random bf16 weights, {params / 1e9:.3f}B params")
            if args.busy_only:
                measure_busy(sink, name, model, spec, device, args)
                del model
                free_memory()
                continue
            if args.profile_decode and name == names[0]:
                profile_decode(Path(args.out) / "profile.txt", model, spec, device, args)
            if not args.skip_prefill:
                measure_prefill(sink, name, model, spec, device, args, setup)
            measure_decode(sink, name, model, spec, device, args, setup)
            del model
            free_memory()
    env["finished_utc"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    env["elapsed_s"] = round(time.time() - T0, 1)
    (Path(args.out) / "env.json").write_text(json.dumps(env, indent=2))
    log("done")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
