"""The report's fast paths give the same answers as the plain ones (speed itself is in bench/).

- scipy is deferred while ``formulas`` loads its function table: a workbook without
  statistical functions never imports ``scipy.stats``, and one with them still gets exact
  values (the real scipy is imported on first use).
- the CLI's one-workbook run evaluates the workbook and draws the charts in two forked
  children while WeasyPrint imports: same PDF bytes as the plain run, same error for a bad
  workbook.
- a process rendering several workbooks shares one font configuration: each PDF has the bytes
  a fresh process gives.
- ``xlcompute models`` does not import the report stack.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TRAINING = REPO / "workbooks" / "training_quote.xlsx"


def _python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_shipped_workbook_evaluates_without_scipy_stats():
    out = _python(
        "import sys; from xlcompute.workbook.evaluate import evaluate; "
        f"ev = evaluate({str(TRAINING)!r}); "
        "print(ev.mode, len(ev.issues), 'scipy.stats' in sys.modules, 'scipy.interpolate' in sys.modules)")
    assert out == "headless 0 False False"


def test_statistical_functions_still_exact_after_deferral():
    # Reference values: NORM.S.INV(0.975) = 1.959963984540054 (standard normal quantile);
    # KURT(1,2,3,4,9) = 2.6750983101285986 (Excel's sample excess kurtosis, as scipy's
    # kurtosis(fisher=True, bias=False)); FORECAST(5, y={1;2;4}, x={1;2;3}): least squares
    # slope 1.5, intercept 7/3 - 3 = -2/3, so 7.5 - 2/3.
    out = _python(
        "import sys, numpy as np; from xlcompute.workbook.evaluate import _formulas; f = _formulas(); "
        "assert 'scipy.stats' not in sys.modules; "
        "print(f.Parser().ast('=NORMSINV(0.975)')[1].compile()()); "
        "print(f.Parser().ast('=KURT(1,2,3,4,9)')[1].compile()()); "
        "print(f.Parser().ast('=FORECAST(5,A1:A3,B1:B3)')[1].compile()("
        "np.array([[1],[2],[4]]), np.array([[1],[2],[3]])))")
    norm, kurt, forecast = (float(x) for x in out.split())
    assert norm == pytest.approx(1.959963984540054, rel=1e-12)
    assert kurt == pytest.approx(2.6750983101285986, rel=1e-12)
    assert forecast == pytest.approx(5 * 1.5 - 2 / 3, rel=1e-9)


def test_models_command_does_not_import_the_report_stack():
    out = _python(
        "import sys; from click.testing import CliRunner; from xlcompute.cli import main; "
        "r = CliRunner().invoke(main, ['models']); assert r.exit_code == 0, r.output; "
        "print(sorted(m for m in ('weasyprint', 'formulas', 'xlwings', 'matplotlib', 'xlcompute.report') "
        "if m in sys.modules))")
    assert out == "[]"


def test_overlapped_render_is_byte_identical(tmp_path):
    source = tmp_path / TRAINING.name
    source.write_bytes(TRAINING.read_bytes())
    _python("from xlcompute.report.render import report_workbook; "
            f"report_workbook({str(source)!r}, {str(tmp_path / 'plain.pdf')!r})")
    done = subprocess.run([str(Path(sys.executable).parent / "xlcompute"), "report", str(source), "-o",
                           str(tmp_path / "cli.pdf")], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "XLCOMPUTE_TIMINGS": "1"})
    assert done.returncode == 0, done.stderr
    # The overlapped path really ran (no fallback to a plain run): both children reported.
    events = re.findall(r"xlcompute timing: [\d.]+ s (.+) \(pid (\d+), cpu [\d.]+ s\)", done.stderr)
    pids = {event: pid for event, pid in events}
    assert {"evaluated", "charts drawn", "pdf written"} <= set(pids), done.stderr
    assert len({pids["evaluated"], pids["charts drawn"], pids["pdf written"]}) == 3
    assert (tmp_path / "cli.pdf").read_bytes() == (tmp_path / "plain.pdf").read_bytes()


def test_renders_sharing_a_process_match_fresh_ones(tmp_path):
    serving = REPO / "workbooks" / "serving_quote.xlsx"
    _python("from xlcompute.report.render import report_workbook; "
            f"report_workbook({str(TRAINING)!r}, {str(tmp_path / 'fresh.pdf')!r})")
    _python("from xlcompute.report.render import report_workbook; "
            f"report_workbook({str(serving)!r}, {str(tmp_path / 'first.pdf')!r}); "
            f"report_workbook({str(TRAINING)!r}, {str(tmp_path / 'second.pdf')!r})")
    assert (tmp_path / "second.pdf").read_bytes() == (tmp_path / "fresh.pdf").read_bytes()


def test_overlapped_render_reports_a_bad_workbook_like_a_plain_run(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    done = subprocess.run([str(Path(sys.executable).parent / "xlcompute"), "report", str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "bad.xlsx" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "bad.pdf").exists()


@pytest.mark.parametrize("crashing", ["prepare_context", "draw"])
def test_overlapped_render_survives_a_child_that_dies_without_a_word(tmp_path, crashing):
    # A child killed outright (out of memory, a crash in a C library) sends nothing: the
    # parent must not wait for it forever, and renders the workbook itself.
    module = "render" if crashing == "prepare_context" else "charts"
    out = _python(
        "import os; from xlcompute.report import render, charts; parent = os.getpid(); "
        f"real = {module}.{crashing}\n"
        "def dying(*args, **kwargs):\n"
        "    if os.getpid() != parent: os._exit(3)\n"
        "    return real(*args, **kwargs)\n"
        f"{module}.{crashing} = dying\n"
        f"result = render.report_workbook({str(TRAINING)!r}, {str(tmp_path / 'q.pdf')!r}, overlap=True)\n"
        "print(result.pages)")
    assert int(out) >= 5
    assert (tmp_path / "q.pdf").read_bytes().startswith(b"%PDF")
