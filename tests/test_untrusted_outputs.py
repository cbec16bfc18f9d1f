"""Issue 11, classes 3-7: templates, what check refuses before evaluating, bounded work, crashes
and misleading messages. Each test builds its hostile input and asserts the refusal (file,
sheet, cell, what was expected) or the right figures.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.hostile_corpus import with_values
from tests.hostile_untrusted import (with_date1904, with_defined_name, with_line_items, with_shadow_input,
                                     with_sheet_state)
from xlcompute.cli import main
from xlcompute.core.errors import XlcomputeError

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "workbooks" / "training_quote.xlsx"
needs_shipped = pytest.mark.skipif(not SHIPPED.is_file(), reason="workbooks/training_quote.xlsx is not generated yet")


def _invoke(args: list[str]):
    return CliRunner().invoke(main, args)


# --------------------------------------------------------------------------------------------
# Templates: confined to their folders, renders bounded


@pytest.fixture()
def user_templates(tmp_path) -> Path:
    from xlcompute.report.templates import packaged_templates

    user = tmp_path / "templates"
    shutil.copytree(packaged_templates(), user)
    return user


def _with_body(user: Path, snippet: str) -> None:
    page = user / "proposal.html"
    page.write_text(page.read_text().replace("</body>", snippet + "</body>"))


@needs_shipped
def test_include_cannot_follow_a_link_out_of_the_templates_folder(user_templates, tmp_path):
    """Issue 11 class 3: {% include %} followed a symlink to /etc/passwd into the PDF."""
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-91c2 root:x:0:0")
    (user_templates / "notes.html").symlink_to(secret)
    _with_body(user_templates, "{% include 'notes.html' %}")
    pdf = tmp_path / "quote.pdf"
    result = _invoke(["report", str(SHIPPED), "-o", str(pdf), "--templates", str(user_templates), "--html"])
    assert result.exit_code == 2, result.output
    assert "leads out of the template folder" in result.output and "SECRET-91c2" not in result.output
    assert not pdf.exists() and not pdf.with_suffix(".html").exists()


def test_template_loader_refuses_links_pipes_and_dot_dot(tmp_path):
    from jinja2 import TemplateError

    from xlcompute.report.templates import environment

    folder = tmp_path / "t"
    folder.mkdir()
    (tmp_path / "outside.html").write_text("outside")
    (folder / "link.html").symlink_to(tmp_path / "outside.html")
    (folder / "inside.html").write_text("inside")
    (folder / "alias.html").symlink_to(folder / "inside.html")  # a link that stays inside is fine
    os.mkfifo(folder / "pipe.html")
    env = environment([folder])
    assert env.from_string("{% include 'alias.html' %}").render() == "inside"
    for name, match in (("link.html", "leads out"), ("pipe.html", "not a regular file"), ("../outside.html", "outside.html")):
        with pytest.raises(TemplateError, match=match):
            env.from_string(f"{{% include '{name}' %}}").render()


@pytest.mark.parametrize("source, match", [
    ("{% set r = range(10000) %}{% for a in r %}{% for b in r %}{% endfor %}{% endfor %}", "operations"),
    ("{{ range(1000000)|length }}", "range"),
    ("{{ ('x' * 100000000)|length }}", "'\\*'"),
    ("{{ 10 ** 100000000 }}", "too large a power"),
    ("{{ '%099999999d' % 1 }}", "width"),
    ("{{ 'x'|center(1000000000) }}", "center"),
])
def test_renders_are_bounded(source, match):
    """Issue 11 class 3: nested loops ran until killed. Each of these stops in well under a second."""
    from jinja2 import TemplateError

    from xlcompute.report.templates import environment

    start = time.perf_counter()
    with pytest.raises(TemplateError, match=match):
        environment([]).from_string(source).render()
    assert time.perf_counter() - start < 5


def test_a_loop_that_calls_nothing_is_stopped_by_the_clock(monkeypatch):
    from jinja2 import TemplateError

    from xlcompute.report import templates

    monkeypatch.setattr(templates, "MAX_RENDER_SECONDS", 0.5)
    items = list(range(5_000))
    source = "{% for a in items %}{% for b in items %}{% for c in items %}{% endfor %}{% endfor %}{% endfor %}"
    start = time.perf_counter()
    with pytest.raises(TemplateError, match="took more than 0.5 s"):
        templates.environment([]).from_string(source).render(items=items)
    assert time.perf_counter() - start < 3
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # the timer is put back


def test_a_render_off_the_main_thread_is_bounded_by_its_operations():
    from jinja2 import TemplateError

    from xlcompute.report.templates import environment

    errors: list[Exception] = []

    def render() -> None:
        try:
            environment([]).from_string("{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}"
                                        "{% endfor %}").render()
        except TemplateError as exc:
            errors.append(exc)

    worker = threading.Thread(target=render)
    worker.start()
    worker.join(60)
    assert not worker.is_alive() and errors and "operations" in str(errors[0])


# --------------------------------------------------------------------------------------------
# Output files: SIGTERM, unwritable places, names too long for a temporary file


@needs_shipped
@pytest.mark.parametrize("delay", [0.0, 0.3])  # as the temporary file appears; while WeasyPrint writes it
def test_sigterm_during_a_render_leaves_no_temporary_file(tmp_path, delay):
    """Issue 11 class 6: SIGTERM during a render left the temporary file. The CLI turns SIGTERM
    into SystemExit, so atomic_write removes it; the previous PDF stays as it was."""
    from xlcompute.report.templates import packaged_templates

    user = tmp_path / "templates"
    shutil.copytree(packaged_templates(), user)
    _with_body(user, "{% for i in range(6000) %}<p>filler line {{ i }} of a long appendix</p>{% endfor %}")
    out = tmp_path / "out"
    out.mkdir()
    pdf = out / "quote.pdf"
    pdf.write_bytes(b"%PDF-1.7 last week's quote")
    proc = subprocess.Popen([sys.executable, "-c", "from xlcompute.cli import main; main()", "report", str(SHIPPED),
                             "-o", str(pdf), "--templates", str(user)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not [p for p in out.iterdir() if p.name.startswith(".quote.")] and time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the render ended before it could be interrupted: {proc.communicate()}")
        time.sleep(0.02)
    time.sleep(delay)
    assert proc.poll() is None, "the render ended before it could be interrupted"
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert b"Traceback" not in stderr
    assert sorted(p.name for p in out.iterdir()) == ["quote.pdf"]
    assert pdf.read_bytes() == b"%PDF-1.7 last week's quote"


@needs_shipped
@pytest.mark.parametrize("target", ["/proc/quote.pdf", "/proc/self/quote.pdf"])
def test_an_output_where_no_file_can_be_made_is_one_message(target):
    result = _invoke(["report", str(SHIPPED), "-o", target])
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and "cannot write the output here" in result.output
    assert "unexpected" not in result.output


@needs_shipped
@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_one_message(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    result = _invoke(["report", str(SHIPPED), "-o", str(folder / "q.pdf")])
    assert result.exit_code == 2 and "cannot write the output here" in result.output


def test_a_legal_name_too_long_for_the_temporary_name_is_written(tmp_path):
    """NAME_MAX is 255 bytes: a 251-character name plus ".pdf" is legal, and the temporary name
    (".<stem>.XXXXXXXX.tmp.pdf") is shortened to fit instead of failing with ENAMETOOLONG."""
    from xlcompute.atomic import atomic_write

    target = tmp_path / ("q" * 251 + ".pdf")
    with atomic_write(target) as temporary:
        assert len(temporary.name.encode()) <= 255
        temporary.write_bytes(b"%PDF")
    assert target.read_bytes() == b"%PDF" and [p.name for p in tmp_path.iterdir()] == [target.name]
    with pytest.raises(XlcomputeError, match="cannot write the output here"):
        with atomic_write(tmp_path / ("q" * 252 + ".pdf")) as temporary:  # the name itself is too long
            temporary.write_bytes(b"%PDF")
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


# --------------------------------------------------------------------------------------------
# Messages that mislead; arithmetic that overflows; absurd plans


@needs_shipped
@pytest.mark.parametrize("name", ["quote.html", "quote", "quote.XLSX.bak"])
def test_a_valid_workbook_is_judged_by_its_content_not_its_name(tmp_path, name):
    """Issue 11 class 7: a valid workbook named quote.html got ten "is empty" problems."""
    workbook = tmp_path / name
    shutil.copy(SHIPPED, workbook)
    result = _invoke(["check", str(workbook)])
    assert result.exit_code == 0 and "OK (19 xlcompute cells" in result.output, result.output


def test_report_targets_name_the_actual_mistake(tmp_path):
    from xlcompute.cli.outputs import report_targets

    one, two = [tmp_path / "a.xlsx"], [tmp_path / "a.xlsx", tmp_path / "b.xlsx"]
    (tmp_path / "d.pdf").mkdir()
    (tmp_path / "out").mkdir()
    with pytest.raises(XlcomputeError, match="a folder of that name exists") as raised:
        report_targets(one, tmp_path / "d.pdf")
    assert "several" not in str(raised.value)
    assert report_targets(one, f"{tmp_path / 'd.pdf'}/") == ([tmp_path / "d.pdf" / "a.pdf"], tmp_path / "d.pdf")
    assert report_targets(one, f"{tmp_path / 'fresh'}/") == ([tmp_path / "fresh" / "a.pdf"], tmp_path / "fresh")
    assert report_targets(one, tmp_path / "out")[0] == [tmp_path / "out" / "a.pdf"]
    assert report_targets(one, tmp_path / "q.pdf") == ([tmp_path / "q.pdf"], None)
    assert report_targets(one, None) == ([tmp_path / "a.pdf"], None)
    assert report_targets(two, tmp_path / "new")[0] == [tmp_path / "new" / "a.pdf", tmp_path / "new" / "b.pdf"]
    with pytest.raises(XlcomputeError, match="2 workbooks make 2 PDFs"):
        report_targets(two, tmp_path / "q.pdf")
    with pytest.raises(XlcomputeError, match="ending in .pdf"):
        report_targets(one, tmp_path / "q.xlsx")
    with pytest.raises(XlcomputeError, match="same PDF"):
        report_targets([tmp_path / "a.xlsx", tmp_path / "x" / "a.xlsx"], tmp_path / "out")


@pytest.mark.parametrize("args", [
    ["train_flops", "--params", "1e300", "--tokens", "1e300"],
    ["gpus_needed", "--memory-bytes", "1e300", "--gpu-memory-bytes", "1e-300", "--users", "1e300",
     "--request-flops", "1e300", "--seconds-per-request", "1e300", "--peak-flops-per-gpu", "1e-300"],
    ["training_days", "--flops", "1e300", "--num-gpus", "1e-300", "--peak-flops-per-gpu", "1e-300",
     "--mfu", "0.4"],
])
def test_calc_with_values_that_overflow_is_a_clear_error(args):
    """Issue 11 class 6: `calc` crashed with "unexpected OverflowError"."""
    result = _invoke(["calc", *args])
    assert result.exit_code == 2, result.output
    assert "too large or too small to compute with" in result.output and "unexpected" not in result.output


@pytest.mark.parametrize("option, value, match", [
    ("--rate", "1e30", "--rate: must be at most 1e+07"),
    ("--rate", "nan", "--rate: expected a finite number"),
    ("--input", "1000000000", "--input: must be at most 1e+07"),
    ("--top", "100000", "--top: must be at most 1000"),
])
def test_plan_refuses_absurd_workloads(option, value, match):
    """Issue 11 class 7: `plan --rate 1e30` answered 7.5e28 replicas with exit code 0."""
    args = ["plan", "llama-3.1-8b", "--rate", "10", option, value]
    result = _invoke(args)
    assert result.exit_code == 2 and match in result.output, result.output


def test_plan_lists_are_bounded_and_searched_once():
    """Issue 11 class 5: PLAN with a 2,000-item precision list took 12 s."""
    from xlcompute.scenario.planner import MAX_LIST_ITEMS, plan, plan_table

    start = time.perf_counter()
    with pytest.raises(XlcomputeError, match=f"precisions: expected at most {MAX_LIST_ITEMS} items, found 2,000"):
        plan_table("llama-3.1-8b", 10, precisions=",".join(["bf16"] * 2_000))
    assert time.perf_counter() - start < 1
    once = plan("llama-3.1-8b", 10, gpus=["h100-sxm"], precisions=["bf16"])
    twice = plan("llama-3.1-8b", 10, gpus=["h100-sxm", "H100-SXM"], precisions=["bf16", "BF16", "bf16"])
    assert twice.evaluated == once.evaluated and twice.cheapest == once.cheapest


# --------------------------------------------------------------------------------------------
# What check refuses before evaluating, and what it finds in the values


def _check(path: Path) -> list[str]:
    from xlcompute.workbook.check import check_workbook

    _, problems = check_workbook(path)
    return [str(p) for p in problems]


@needs_shipped
def test_the_1904_date_system_is_refused_not_printed_four_years_off(tmp_path):
    problems = _check(with_date1904(SHIPPED, tmp_path / "mac.xlsx"))
    assert len(problems) == 1 and "1904 date system" in problems[0] and "4 years and 1 day" in problems[0]


@needs_shipped
def test_a_name_pointing_to_a_name_is_a_problem_not_a_crash(tmp_path):
    """Issue 11 class 6: a defined name pointing to another defined name crashed the evaluator."""
    from xlcompute.workbook.cells import read_text
    from xlcompute.workbook.guard import open_workbook

    alias = with_defined_name(SHIPPED, tmp_path / "alias.xlsx", "ALIAS", "Quote!$B$3")
    chained = with_defined_name(alias, tmp_path / "chained.xlsx", "CUSTOMER", "ALIAS")
    problems = _check(chained)
    assert problems == ["name CUSTOMER: the defined name points to another defined name; expected a reference such "
                        "as Inputs!$B$4, found 'ALIAS'. Point it at the cell directly in Formulas > Name Manager."]
    assert read_text(open_workbook(chained), "CUSTOMER") == "Example Research Ltd"  # reading follows the chain
    looped = with_defined_name(with_defined_name(SHIPPED, tmp_path / "a.xlsx", "A1X", "B1X"), tmp_path / "loop.xlsx",
                               "B1X", "A1X")
    with pytest.raises(XlcomputeError, match="point to each other"):
        read_text(open_workbook(looped), "A1X")
    result = _invoke(["check", str(chained)])
    assert result.exit_code == 2 and "unexpected" not in result.output


@needs_shipped
def test_an_input_on_a_very_hidden_sheet_is_flagged(tmp_path):
    """Issue 11 class 4: Inputs shows 0.40 but MFU points to a very hidden sheet holding 0.95."""
    problems = _check(with_shadow_input(SHIPPED, tmp_path / "shadow.xlsx", "MFU", 0.95))
    assert any(p.startswith("Shadow!A1: MFU") and "veryHidden sheet 'Shadow'" in p for p in problems), problems
    assert any(p.startswith("Shadow: the sheet is very hidden") for p in problems), problems
    hidden = with_sheet_state(SHIPPED, tmp_path / "hidden.xlsx", "Quote", "hidden")
    assert any("CUSTOMER (customer the quote is addressed to) is on the hidden sheet 'Quote'" in p
               for p in _check(hidden))


@needs_shipped
def test_line_items_are_bounded_and_summed_right(tmp_path):
    """Issue 11 class 5: 20,000 line items took 27 s to check. 1,000 are checked and summed;
    1,001 are refused before evaluation, 20,000 before openpyxl builds a cell (too many formulas)."""
    from xlcompute.workbook.check import check_workbook
    from xlcompute.workbook.contract import MAX_LINE_ITEMS

    evaluation, problems = check_workbook(with_line_items(SHIPPED, tmp_path / "ok.xlsx", 40))
    assert problems == [] and evaluation.value("SUBTOTAL") == pytest.approx(40 * 2.5)
    over = _check(with_line_items(SHIPPED, tmp_path / "over.xlsx", MAX_LINE_ITEMS + 1))
    assert over == [f"Quote!G14:K{15 + MAX_LINE_ITEMS}: table LineItems has 1,001 rows; a proposal lists at most "
                    "1,000 line items"]
    start = time.perf_counter()
    result = _invoke(["check", str(with_line_items(SHIPPED, tmp_path / "huge.xlsx", 20_000))])
    assert result.exit_code == 2 and "too many formulas" in result.output
    assert time.perf_counter() - start < 10


@needs_shipped
@pytest.mark.parametrize("where, value, cell", [
    ("CUSTOMER", "Acme \u202eLTD 000,01$\u202c", "Quote!B3"),
    ("CUSTOMER", '="Acme"&CHAR(27)&"Corp"', "Quote!B3"),
    ("CUSTOMER", '="Acme "&UNICHAR(8238)&"LTD"', "Quote!B3"),
    ("PREPARED_BY", "Jane\x85Doe", "Quote!B8"),
])
def test_text_that_prints_as_something_else_is_refused(tmp_path, where, value, cell):
    """Issue 11 class 4: bidi overrides and C0/C1 controls passed into the cover."""
    problems = _check(with_values(SHIPPED, tmp_path / "t.xlsx", {where: value}))
    assert any(p.startswith(cell) and "control characters" in p for p in problems), problems
    line_items = _check(with_line_items(SHIPPED, tmp_path / "li.xlsx", 3, description="GPU \u2067hours\u2069 {n}"))
    assert [p.split(":")[0] for p in line_items] == ["Quote!G15", "Quote!G16", "Quote!G17"]
    assert "U+2067 RIGHT-TO-LEFT ISOLATE" in line_items[0] and "'GPU <U+2067>hours<U+2069> 1'" in line_items[0]


@needs_shipped
def test_a_volatile_function_fails_check_and_report(tmp_path):
    """Issue 11 class 4: RAND/NOW changed the total on every render without a warning."""
    workbook = with_values(SHIPPED, tmp_path / "rand.xlsx", {"CONTINGENCY": "=RAND()/10"})
    for args in (["check", str(workbook)], ["report", str(workbook), "-o", str(tmp_path / "r.pdf")]):
        result = _invoke(args)
        assert result.exit_code in (1, 2) and "RAND() gives a new random number on every calculation" in result.output
    assert not (tmp_path / "r.pdf").exists()
