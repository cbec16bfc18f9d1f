"""Planner throughput: configurations evaluated per second (target ≥ 100,000).

Run: ``python -m bench.bench_planner`` (prints the figure and updates bench/README.md's planner
section). The bench runner calls :func:`run`.
"""

from __future__ import annotations

import platform
import sys
import time

from bench.readme_section import update_section
from xlcompute.scenario.planner import plan

GPUS = ["h100-sxm", "a100-80gb", "a100-40gb", "h100-pcie", "l40s"]
PRECISIONS = ("bf16", "fp8", "int4")
TP = (1, 2, 4, 8, 16)
BATCHES = tuple(range(1, 4097))  # every batch size up to 4096
TARGET = 100_000


def run(repeats: int = 3) -> dict:
    """Best of ``repeats`` full searches of Llama 3.1 70B over GPUS × PRECISIONS × TP × BATCHES."""
    plan("llama-3.1-70b", 10, gpus=GPUS[:1], precisions=("fp8",), tp_degrees=(1,), batches=(1,))  # warm caches
    best = float("inf")
    evaluated = 0
    for _ in range(repeats):
        start = time.perf_counter()
        result = plan("llama-3.1-70b", 10, 1024, 256, ttft_ms_max=2000, tpot_ms_max=50, gpus=GPUS,
                      precisions=PRECISIONS, tp_degrees=TP, batches=BATCHES)
        best = min(best, time.perf_counter() - start)
        evaluated = result.evaluated
    rate = evaluated / best
    return {"name": "planner", "configurations": evaluated, "seconds": best, "configurations_per_s": rate,
            "target_per_s": TARGET, "meets_target": rate >= TARGET}


def _update_readme(figures: dict) -> None:
    update_section("planner", (
        "## Planner (`xlcompute plan`)\n\n"
        "Command: `.venv/bin/python -m bench.bench_planner` (best of 3 searches of Llama 3.1 70B over "
        f"{len(GPUS)} GPUs × {len(PRECISIONS)} precisions × TP {{1,2,4,8,16}} × batch 1-4096).\n\n"
        "| configurations | seconds | configurations/s | target | machine |\n|---|---|---|---|---|\n"
        f"| {figures['configurations']:,} | {figures['seconds']:.3f} | {figures['configurations_per_s']:,.0f} | "
        f"≥ {TARGET:,} | {platform.machine()}, Python {platform.python_version()} |\n"
    ))


def main() -> None:
    if sys.argv[1:2] in (["-h"], ["--help"]):
        print(__doc__)
        return
    figures = run()
    print(f"planner: {figures['configurations']:,} configurations in {figures['seconds']:.3f} s = "
          f"{figures['configurations_per_s']:,.0f}/s (target {TARGET:,}/s)")
    _update_readme(figures)


if __name__ == "__main__":
    main()
