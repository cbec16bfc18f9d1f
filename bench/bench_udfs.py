"""Excel functions: one array call over 100,000 rows against 100,000 single-cell calls.

Both go through the Python side of what classic COM does for every call: xlwings' own
registration (``xlwings.udfs.xlfunc/xlarg/xlret`` on stubbed pywin32), then per call the
module look-up (``get_udf_module``) and ``xlwings.conversion.read/write`` with each argument's
and the result's registered converter options, as ``xlwings.udfs.call_udf`` does
(tests/xlwings_harness.py). Excel's own VBA/COM hop (milliseconds per call: "0.013 down to
0.0038 seconds per call" in https://github.com/xlwings/xlwings/issues/1976) comes on top of
every single-cell call and is not measured here, so the real gap is larger.

Targets (issue 3): the array call at least 50x faster than the single-cell calls, and at least
1,000,000 rows/s for TRAIN_FLOPS-like (vectorised) functions.

Run: ``python -m bench.bench_udfs [rows]`` (prints the figures and updates bench/README.md), or
``python -m bench`` for every benchmark.
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path
from typing import Any, Callable

TESTS = Path(__file__).resolve().parents[1] / "tests"
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from xlwings_harness import call_like_com, com_udfs  # noqa: E402

from bench.readme_section import update_section  # noqa: E402

ROWS = 100_000
SPEEDUP_TARGET = 50.0
RATE_TARGET = 1_000_000.0
ELEMENTWISE_ROWS = 2_000  # a mapped (non-vectorised) function, for information


def _cases(module: Any, rows: int) -> list[tuple[str, Callable[..., Any], tuple, Callable[[int], tuple], bool]]:
    """(label, function, range arguments, single-cell arguments of row i, vectorised)."""
    params = tuple((1e9 + 1e6 * i,) for i in range(rows))
    tokens = tuple((1e12 + 1e9 * (i % 1000),) for i in range(rows))
    flops = tuple((1e21 + 1e18 * i,) for i in range(rows))
    context = tuple((float(512 + i % 4096),) for i in range(rows))
    return [
        ("TRAIN_FLOPS(params, tokens)", module.TRAIN_FLOPS, (params, tokens),
         lambda i: (params[i][0], tokens[i][0]), True),
        ('TRAIN_GPU_HOURS(flops, "h100-sxm")', module.TRAIN_GPU_HOURS, (flops, "h100-sxm"),
         lambda i: (flops[i][0], "h100-sxm"), True),
        ('KV_CACHE_GB("llama-3.1-70b", context)', module.KV_CACHE_GB, ("llama-3.1-70b", context),
         lambda i: ("llama-3.1-70b", context[i][0]), True),
    ]


def _best(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def run(rows: int = ROWS) -> dict:
    """Figures for each case: array call seconds, single-cell calls seconds, speed-up, rows/s."""
    results = []
    with com_udfs("xlcompute.udfs") as (_, module):
        for label, fn, range_args, cell_args, vectorised in _cases(module, rows):
            call_like_com(fn, *cell_args(0))  # warm the catalog caches
            array_s, out = _best(lambda: call_like_com(fn, *range_args), 5)
            assert len(out) == rows and not any(isinstance(r[0], str) for r in out[:100]), out[:3]

            def single_cells():
                return [call_like_com(fn, *cell_args(i)) for i in range(rows)]

            scalar_s, singles = _best(single_cells, 1)
            assert singles[-1] == out[-1][0]
            results.append({"function": label, "rows": rows, "array_s": array_s, "scalar_s": scalar_s,
                            "speedup": scalar_s / array_s, "rows_per_s": rows / array_s, "vectorised": vectorised})
        models = tuple((m,) for m in ("llama-3.1-8b", "llama-3.1-70b", "mistral-7b", "qwen2.5-32b") * ELEMENTWISE_ROWS)
        models = models[:ELEMENTWISE_ROWS]
        mapped_s, _ = _best(lambda: call_like_com(module.GPUS_NEEDED, models, "h100-sxm"), 3)
    vectorised = [r for r in results if r["vectorised"]]
    return {
        "name": "udfs",
        "cases": results,
        "mapped": {"function": 'GPUS_NEEDED(models, "h100-sxm")', "rows": ELEMENTWISE_ROWS, "seconds": mapped_s,
                   "rows_per_s": ELEMENTWISE_ROWS / mapped_s},
        "meets_target": all(r["speedup"] >= SPEEDUP_TARGET and r["rows_per_s"] >= RATE_TARGET for r in vectorised),
    }


def _markdown(figures: dict) -> str:
    lines = [
        "## Excel functions (UDFs): array call vs single-cell calls",
        "",
        "Command: `.venv/bin/python -m bench.bench_udfs` (xlwings' real COM registration, per-call module "
        "look-up and converters on Linux, as `xlwings.udfs.call_udf` runs them; array call best of 5, "
        "single-cell calls one pass; Excel's own VBA/COM hop per call is not included, so real single-cell "
        "calls are slower still). Targets: array call ≥ 50× faster and ≥ 1,000,000 rows/s.",
        "",
        "| function | rows | one array call | single-cell calls | speed-up | rows/s (array) |",
        "|---|---|---|---|---|---|",
    ]
    for r in figures["cases"]:
        lines.append(f"| `{r['function']}` | {r['rows']:,} | {r['array_s'] * 1000:.1f} ms | {r['scalar_s']:.2f} s | "
                     f"{r['speedup']:.0f}× | {r['rows_per_s']:,.0f} |")
    m = figures["mapped"]
    lines += [
        "",
        f"Mapped element by element (model ids are text): `{m['function']}` over {m['rows']:,} rows in "
        f"{m['seconds'] * 1000:.0f} ms ({m['rows_per_s']:,.0f} rows/s).",
        f"Targets met: {'yes' if figures['meets_target'] else 'NO'}. Machine: {platform.machine()}, "
        f"Python {platform.python_version()}, shared 2-core box (figures vary with load).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    figures = run(int(args[0]) if args else ROWS)
    text = _markdown(figures)
    print(text)
    update_section("udfs", text)
    return 0 if figures["meets_target"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
