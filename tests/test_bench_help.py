"""`--help` on the benchmark scripts (and the demo-workbook generator) prints usage and runs nothing:
no benchmark, no rewrite of bench/README.md, no file named "--help"."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH_README = ROOT / "bench" / "README.md"


@pytest.mark.parametrize("module", ["bench.bench_planner", "bench.bench_udfs", "bench.bench_report",
                                    "bench.fuzz_reader", "xlcompute.workbook.functions_demo"])
def test_help_prints_usage_and_writes_nothing(module, tmp_path):
    before = BENCH_README.read_bytes()
    done = subprocess.run([sys.executable, "-m", module, "--help"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "usage" in done.stdout.lower() or "run:" in done.stdout.lower() or "targets" in done.stdout.lower()
    assert BENCH_README.read_bytes() == before
    assert list(tmp_path.iterdir()) == []
