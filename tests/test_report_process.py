"""A report is one plain process: the same bytes from the CLI, from a process that rendered
other workbooks before, and from a fresh one; a failing report exits 2 with one message and no
traceback, every time; ``xlcompute models`` does not import the report stack."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TRAINING = REPO / "workbooks" / "training_quote.xlsx"
XLCOMPUTE = str(Path(sys.executable).parent / "xlcompute")


def _python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_cli_render_is_byte_identical_to_report_workbook(tmp_path):
    source = tmp_path / TRAINING.name
    source.write_bytes(TRAINING.read_bytes())
    _python("from xlcompute.report.render import report_workbook; "
            f"report_workbook({str(source)!r}, {str(tmp_path / 'plain.pdf')!r})")
    done = subprocess.run([XLCOMPUTE, "report", str(source), "-o", str(tmp_path / "cli.pdf")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "cli.pdf").read_bytes() == (tmp_path / "plain.pdf").read_bytes()


def test_renders_sharing_a_process_match_fresh_ones(tmp_path):
    serving = REPO / "workbooks" / "serving_quote.xlsx"
    _python("from xlcompute.report.render import report_workbook; "
            f"report_workbook({str(TRAINING)!r}, {str(tmp_path / 'fresh.pdf')!r})")
    _python("from xlcompute.report.render import report_workbook; "
            f"report_workbook({str(serving)!r}, {str(tmp_path / 'first.pdf')!r}); "
            f"report_workbook({str(TRAINING)!r}, {str(tmp_path / 'second.pdf')!r})")
    assert (tmp_path / "second.pdf").read_bytes() == (tmp_path / "fresh.pdf").read_bytes()


def test_a_failing_report_exits_2_without_a_traceback_every_time(tmp_path):
    # The forked report of old printed a BrokenPipeError traceback in 3 of 20 runs.
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(TRAINING.read_bytes()[:2000])
    for run in range(20):
        workbook = bad if run % 2 else broken
        done = subprocess.run([XLCOMPUTE, "report", str(workbook)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 2, (run, done.stderr)
        assert workbook.name in done.stderr and "Traceback" not in done.stderr, (run, done.stderr)
        assert done.stderr.count("\n") <= 2, done.stderr
        assert not workbook.with_suffix(".pdf").exists()


def test_models_command_does_not_import_the_report_stack():
    out = _python(
        "import sys; from click.testing import CliRunner; from xlcompute.cli import main; "
        "r = CliRunner().invoke(main, ['models']); assert r.exit_code == 0, r.output; "
        "print(sorted(m for m in ('weasyprint', 'formualizer', 'xlwings', 'matplotlib', 'xlcompute.report') "
        "if m in sys.modules))")
    assert out == "[]"
