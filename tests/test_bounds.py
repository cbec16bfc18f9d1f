"""Issue 11, bounded work: one workbook's wall-clock time and memory are bounded by xlcompute itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SERVING = REPO / "workbooks" / "serving_quote.xlsx"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX limits (SIGALRM, RLIMIT_AS)")


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from xlcompute.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=120, cwd=cwd)


def test_a_report_past_its_memory_limit_stops_with_one_message_and_writes_nothing(tmp_path):
    proc = _run("--max-memory", "300", "report", str(SERVING), "-o", str(tmp_path / "q.pdf"), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "memory limit" in proc.stderr and "nothing was written" in proc.stderr and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []  # no PDF, no temporary file


def test_the_time_limit_interrupts_work_and_is_restored_afterwards():
    import signal
    import time

    from xlcompute.cli.bounds import bounded
    from xlcompute.core.errors import XlcomputeError

    started = time.monotonic()
    with pytest.raises(XlcomputeError, match="time limit"):
        with bounded(1, 0):
            time.sleep(5)
    assert time.monotonic() - started < 3
    assert signal.alarm(0) == 0  # no alarm left behind


def test_check_and_recalc_run_under_the_same_bounds(tmp_path):
    proc = _run("--max-seconds", "1", "recalc", str(SERVING), "-o", str(tmp_path / "r.xlsx"), cwd=tmp_path)
    assert proc.returncode in (0, 2), proc.stderr  # a fast machine may finish within the second
    assert "Traceback" not in proc.stderr
    if proc.returncode == 2:
        assert "time limit" in proc.stderr and list(tmp_path.iterdir()) == []
    assert _run("check", str(SERVING), cwd=tmp_path).returncode == 0


def test_a_native_library_failing_at_the_memory_limit_is_reported_as_the_memory_limit(monkeypatch):
    # Past RLIMIT_AS, an import loading a shared library can fail with SystemError, not MemoryError.
    from xlcompute.cli import bounds
    from xlcompute.core.errors import XlcomputeError

    def fail() -> None:
        raise SystemError("error return without exception set")

    monkeypatch.setattr(bounds, "_reached", lambda memory_mb: True)
    with pytest.raises(XlcomputeError, match="memory limit"):
        with bounds.bounded(0, bounds.DEFAULT_MEMORY_MB):
            fail()
    monkeypatch.setattr(bounds, "_reached", lambda memory_mb: False)  # far from the limit: the error itself
    with pytest.raises(SystemError):
        with bounds.bounded(0, bounds.DEFAULT_MEMORY_MB):
            fail()
    assert not bounds._reached(1_000_000)  # this test process is far below a terabyte


def test_the_time_limit_inside_openpyxl_is_reported_as_the_time_limit(monkeypatch):
    # openpyxl wraps an error raised while it parses a sheet (here: the time limit's, from SIGALRM)
    # into its own "could not read" error; the message must stay the time limit's.
    import openpyxl

    from xlcompute.core.errors import XlcomputeError
    from xlcompute.workbook.guard import open_workbook

    def load(*args, **kwargs):
        try:
            raise XlcomputeError("stopped after 1 s, the time limit for one workbook (--max-seconds)")
        except XlcomputeError:
            raise TypeError("Unable to read workbook: could not read worksheets ...") from None

    monkeypatch.setattr(openpyxl, "load_workbook", load)
    with pytest.raises(XlcomputeError, match="time limit"):
        open_workbook(SERVING)
