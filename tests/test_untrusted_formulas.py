"""Issue 11, classes 1 and 2: a workbook reaches nothing outside itself.

Formulas that name another workbook, a path, a DDE program or a function that opens, fetches or
calls something are refused from the formula text, before any engine loads the file; a model
named in a cell resolves through the catalog only, never as a path. The end-to-end tests run
``xlcompute check``/``report`` in a subprocess that records every file it opens (``sys.addaudithook``;
with ``strace`` too where it is installed) next to planted files that must stay untouched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from tests.hostile_corpus import Case, with_values, write_base_workbook
from tests.hostile_untrusted import FOREIGN_FORMULAS, VOLATILE_FORMULAS, untrusted_cases, with_formula
from xlcompute.core.errors import XlcomputeError
from xlcompute.workbook.dependencies import find_foreign_references, refuse_foreign_references, safety_problems
from xlcompute.workbook.errors import WorkbookError
from xlcompute.workbook.formula_text import (MAX_FORMULA_CHARS, MAX_NESTING, formula_findings, limit_problem,
                                             scan_formula)
from xlcompute.workbook.guard import open_workbook

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "workbooks" / "training_quote.xlsx"
SHEETS = ("Inputs", "Estimate", "Jan", "Dec", "v1.2", "It's")


# --------------------------------------------------------------------------------------------
# The lexer: what counts as reaching outside, and what does not


@pytest.mark.parametrize("formula, kind, what", [
    ("='[other.xlsx]Prices'!B1", "workbook", "[other.xlsx]Prices"),
    ("=[other.xlsx]Prices!B1*2", "workbook", "[other.xlsx]Prices"),
    ("=[1]Prices!$A$1", "workbook", "[1]Prices"),
    ("=[1]!Price", "workbook", "[1]"),
    ("='../secret/[data.xlsx]Sheet1'!A1", "workbook", "../secret/[data.xlsx]Sheet1"),
    ("='/etc/[passwd]x'!A1", "workbook", "/etc/[passwd]x"),
    ("='C:\\Finance\\[q.xlsx]Q3'!B2", "workbook", "C:\\Finance\\[q.xlsx]Q3"),
    ("='\\\\server\\share\\[q.xlsx]Q3'!B2", "workbook", "\\\\server\\share\\[q.xlsx]Q3"),
    ("=SUM('https://h.invalid/[q.xlsx]Q3'!B2:B9)", "workbook", "https://h.invalid/[q.xlsx]Q3"),
    ("=prices.xlsx!Price*3", "workbook", "prices.xlsx"),
    ("='My Prices.xlsm'!Rate", "workbook", "My Prices.xlsm"),
    ("=SUM(Jan:Other!B2)", "workbook", "Jan:Other"),
    ("=cmd|'/c calc'!A0", "dde", "|"),
    ('=INDIRECT("A1")', "function", "INDIRECT"),
    ('=1+indirect ("A1")', "function", "INDIRECT"),
    ('=_xlfn.WEBSERVICE("http://h.invalid")', "function", "WEBSERVICE"),
    ('=_xlfn.FILTERXML(A1,"//a")', "function", "FILTERXML"),
    ('=HYPERLINK("file:///etc/passwd")', "function", "HYPERLINK"),
    ('=RTD("x",,"y")', "function", "RTD"),
    ('=CALL("kernel32","GetTickCount","J")', "function", "CALL"),
    ('=REGISTER.ID("kernel32","GetTickCount")', "function", "REGISTER.ID"),
    ('=CELL("filename")', "function", "CELL"),
    ("=_xlfn.IMAGE(A1)", "function", "IMAGE"),
    ("=RAND()", "volatile", "RAND"),
    ("=_xlfn.RANDARRAY(3)", "volatile", "RANDARRAY"),
    ("=NOW()-A1", "volatile", "NOW"),
    ("=TODAY()", "volatile", "TODAY"),
])
def test_formula_findings_name_what_reaches_outside(formula, kind, what):
    findings = formula_findings(formula, SHEETS)
    assert [(f.kind, f.what) for f in findings] == [(kind, what)], findings
    assert findings[0].foreign == (kind != "volatile")


@pytest.mark.parametrize("formula", [
    "=SUM(Items[Amount])",
    "=SUM(Table1[[#This Row],[Qty]])*[@Price]",
    '="[other.xlsx]Prices!B1"&"a|b"',  # text, not a reference
    "='It''s'!A1+Inputs!B2",
    "=SUM(Jan:Dec!B2)",  # a 3-D reference across this workbook's sheets
    "='v1.2'!A1",
    "=OFFSET(A1,1,1)",  # volatile in Excel's recalculation sense only: the same value each time
    "=_xlfn.XLOOKUP(A1,B:B,C:C)",
    "=TRAIN_FLOPS(PARAMS, TRAIN_TOKENS)*(1+CONTINGENCY)",
    "=IF(A1>0,\"x\",'Estimate'!B2)",
    "=MissingSheet!A1",  # a sheet this workbook lacks: #REF! from the engine, not a file
])
def test_ordinary_formulas_have_no_findings(formula):
    assert formula_findings(formula, SHEETS) == []


def test_limits_are_excels_own():
    """Excel specifications and limits (Microsoft Support): formula contents 8,192 characters,
    64 nested levels of functions."""
    assert MAX_FORMULA_CHARS == 8_192 and MAX_NESTING == 64
    assert limit_problem("=" + "1" * 8_191) is None
    assert "8,192" in limit_problem("=" + "1" * 8_192)[0]
    assert limit_problem("=" + "(" * 64 + "1" + ")" * 64) is None
    assert "65 levels" in limit_problem("=" + "(" * 65 + "1" + ")" * 65)[1]
    assert scan_formula('="((((("&A1').depth == 0  # parentheses inside text do not nest


@pytest.mark.parametrize("prefix", ["", "x:"])
def test_the_part_scanner_finds_every_formula_wherever_the_chunks_split(prefix):
    """The guard feeds the scanner the chunks it reads; a cell split across two chunks is read whole."""
    from xlcompute.workbook.formula_text import PartScanner

    cells = "".join(f'<{prefix}c r="B{n}" s="1"><{prefix}f>SUM(A1:A{n})&amp;"[x]"</{prefix}f><{prefix}v>{n}</{prefix}v>'
                    f'</{prefix}c><{prefix}c r="C{n}" t="s"><{prefix}v>{n}</{prefix}v></{prefix}c>' for n in range(1, 40))
    xml = f"<{prefix}worksheet><{prefix}sheetData><{prefix}row>{cells}</{prefix}row></{prefix}sheetData>".encode()
    expected = [(f"B{n}", f'=SUM(A1:A{n})&"[x]"') for n in range(1, 40)]
    for split in list(range(0, len(xml), 7)) + [len(xml)]:
        found: list[tuple[str, str]] = []
        scanner = PartScanner("S", lambda f: found.append((f.cell, f.text)), lambda cell, n: pytest.fail("long"))
        scanner.feed(xml[:split])
        scanner.feed(xml[split:])
        scanner.close()
        assert found == expected, split


def test_the_part_scanner_counts_text_after_escapes():
    from xlcompute.workbook.formula_text import MAX_CELL_TEXT, PartScanner

    long_runs: list[tuple[str | None, int]] = []
    scanner = PartScanner(None, lambda f: None, lambda cell, n: long_runs.append((cell, n)))
    fits = "&#x10FFFF;" * MAX_CELL_TEXT  # 327,670 bytes, 32,767 characters: Excel's limit exactly
    scanner.feed(f'<sst><si><t>{fits}</t></si><si><t>{"é" * (MAX_CELL_TEXT + 1)}</t></si></sst>'.encode())
    scanner.close()
    assert long_runs == [(None, MAX_CELL_TEXT + 1)]


# --------------------------------------------------------------------------------------------
# The corpus: every case refused, with file, sheet and cell, before any engine runs


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> dict[str, Case]:
    folder = tmp_path_factory.mktemp("untrusted")
    base = write_base_workbook(folder / "base.xlsx")
    found: dict[str, Case] = {}

    def add(name: str, stage: str, match: str, **kw) -> None:
        found[name] = Case(name=name, path=folder / name, stage=stage, match=match, **kw)

    untrusted_cases(folder, base, add)
    return found


def test_every_formula_reaching_outside_is_listed_and_refused(cases):
    assert len([c for c in cases.values() if c.stage == "problems"]) >= len(FOREIGN_FORMULAS) + len(VOLATILE_FORMULAS)
    for case in (c for c in cases.values() if c.stage == "problems"):
        wb = open_workbook(case.path)
        problems = safety_problems(wb)
        assert len(problems) == 1, (case.name, problems)
        message = str(problems[0])
        assert str(case.path) in message and case.match in message, (case.name, message)
        assert (problems[0].sheet, problems[0].cell) == (case.sheet, case.cell), (case.name, message)
        volatile = case.name.removeprefix("formula_").removesuffix(".xlsx") in VOLATILE_FORMULAS
        if volatile:  # no danger to evaluate: check lists it, refuse_foreign_references lets it through
            refuse_foreign_references(wb)
        else:
            with pytest.raises(WorkbookError, match="never") as raised:
                refuse_foreign_references(wb)
            assert raised.value.file == str(case.path)


def test_an_openpyxl_workbook_not_from_the_guard_is_scanned_from_its_cells(cases):
    import openpyxl

    wb = openpyxl.load_workbook(cases["formula_book_quoted.xlsx"].path)
    (formula, finding), = find_foreign_references(wb)
    assert (formula.sheet, formula.cell, finding.what) == ("Estimate", "D1", "[other.xlsx]Prices")
    with pytest.raises(WorkbookError, match="another file"):
        refuse_foreign_references(wb, file="book.xlsx")


# --------------------------------------------------------------------------------------------
# End to end: the real command, every file it opens recorded

_AUDITED = textwrap.dedent("""
    import os, sys
    log = open(os.environ["XLC_AUDIT_LOG"], "w")
    def hook(event, args):
        if event in ("open", "os.listdir", "os.scandir") and args and isinstance(args[0], (str, bytes)):
            log.write(event + "\\t" + os.fsdecode(args[0]) + "\\n"); log.flush()
        elif event in ("socket.connect", "os.system", "subprocess.Popen"):
            log.write(event + "\\t" + repr(args[:2]) + "\\n"); log.flush()
    sys.addaudithook(hook)
    from xlcompute.cli import main
    main(sys.argv[1:], prog_name="xlcompute")
""")


def _audited(args: list[str], log: Path, timeout: int = 120) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run the CLI in a subprocess; (its result, every path it opened or listed)."""
    env = {**os.environ, "XLC_AUDIT_LOG": str(log)}
    proc = subprocess.run([sys.executable, "-P", "-c", _AUDITED, *args], capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=log.parent)
    events = [line.split("\t", 1) for line in log.read_text().splitlines()]
    assert not [e for e in events if e[0] in ("socket.connect", "os.system")], events
    return proc, [path for event, path in events if event != "subprocess.Popen"]


def _unexpected(opened: list[str], workbook: Path) -> list[str]:
    """What was opened or listed besides Python's modules and packages, xlcompute's package data
    and templates, the workbook, and the private copy the engine gets (and tempfile's probe of
    the temporary folder)."""
    import matplotlib  # the report draws its charts with it; its font cache is its own

    roots = tuple(str(Path(p).resolve()) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}) + (
        str(REPO / "xlcompute"), str(Path(matplotlib.get_cachedir()).resolve()))
    temporary = Path(tempfile.gettempdir()).resolve()

    def expected(path: str) -> bool:
        real = Path(path).resolve()
        return (str(real).startswith(roots) or path.endswith((".py", ".pyc", ".so", ".pth")) or real == workbook.resolve()
                or path in ("/etc/mime.types", "/dev/null", ".") or temporary in (real, real.parent)
                or real.parent.name.startswith("xlcompute-"))

    return sorted({p for p in opened if not expected(p)})


@pytest.fixture()
def planted(tmp_path) -> dict[str, Path]:
    """A workbook folder with files beside and above it that no workbook may make xlcompute read."""
    from openpyxl import Workbook

    work = tmp_path / "work"
    (tmp_path / "secret").mkdir()
    work.mkdir()
    other = work / "other.xlsx"
    wb = Workbook()
    wb.active.title = "Prices"
    wb.active["B1"] = 987654.321
    wb.save(other)
    shutil.copy(other, tmp_path / "secret" / "data.xlsx")
    config = tmp_path / "secret" / "config.json"
    config.write_text('{"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32, '
                      '"num_attention_heads": 32, "intermediate_size": 11008, "vocab_size": 32000}')
    fifo = tmp_path / "secret" / "pipe.json"
    os.mkfifo(fifo)
    return {"work": work, "other": other, "data": tmp_path / "secret" / "data.xlsx", "config": config,
            "fifo": fifo, "secret_dir": tmp_path / "secret"}


@pytest.mark.skipif(not SHIPPED.is_file(), reason="workbooks/training_quote.xlsx is not generated yet")
@pytest.mark.parametrize("formula", [
    "='[other.xlsx]Prices'!B1*2",
    "=[other.xlsx]Prices!B1",
    "='../secret/[data.xlsx]Sheet'!B1",
    "='{secret_dir}/[data.xlsx]Sheet'!B1",
    '=INDIRECT("\'[other.xlsx]Prices\'!B1")',
])
def test_check_and_report_open_only_the_workbook_and_the_templates(planted, formula):
    """Issue 11 class 1: the formula engine used to open other.xlsx and print its 987654.321."""
    workbook = with_formula(SHIPPED, planted["work"] / "quote.xlsx",
                            formula.format(secret_dir=planted["secret_dir"].as_posix()))
    for command in (["check", str(workbook)], ["report", str(workbook), "-o", str(planted["work"] / "q.pdf")]):
        proc, opened = _audited(command, planted["work"] / "audit.log")
        assert proc.returncode in (1, 2), proc.stderr
        assert "which xlcompute never opens" in proc.stderr or "xlcompute never evaluates it" in proc.stderr
        assert "Traceback" not in proc.stderr
        assert not {str(planted[k]) for k in ("other", "data")} & {str(Path(p).resolve()) for p in opened}
        assert _unexpected(opened, workbook) == []
        assert not (planted["work"] / "q.pdf").exists()


@pytest.mark.skipif(not SHIPPED.is_file(), reason="workbooks/training_quote.xlsx is not generated yet")
@pytest.mark.parametrize("reference", ["{config}", "{secret_dir}", "{fifo}", "~/config.json", "../secret/config.json"])
def test_a_model_cell_holding_a_path_is_never_read(planted, reference):
    """Issue 11 class 2: workbook text is never a path; a FIFO no longer hangs the process, and
    the message does not tell an existing file or folder from a missing one."""
    text = reference.format(**{k: v for k, v in planted.items()})
    workbook = with_values(SHIPPED, planted["work"] / "model.xlsx", {"MODEL": text})
    for command in (["check", str(workbook)], ["report", str(workbook), "-o", str(planted["work"] / "m.pdf")]):
        proc, opened = _audited(command, planted["work"] / "audit.log", timeout=120)
        assert proc.returncode in (1, 2), proc.stderr
        assert "looks like a file path" in proc.stderr and "never reads a file that a workbook names" in proc.stderr
        assert "does not exist" not in proc.stderr and "not a regular file" not in proc.stderr
        touched = {str(Path(p).resolve()) for p in opened}
        assert not touched & {str(planted[k]) for k in ("config", "fifo", "secret_dir")}
        assert _unexpected(opened, workbook) == []
    assert not (planted["work"] / "m.pdf").exists()


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
@pytest.mark.skipif(not SHIPPED.is_file(), reason="workbooks/training_quote.xlsx is not generated yet")
def test_strace_sees_no_system_call_naming_a_planted_file(planted):
    """The audit hook sees Python's opens; strace sees every file system call of every process
    (stat, access, openat ...), including the formula engine's and the C libraries'."""
    workbook = with_values(SHIPPED, planted["work"] / "both.xlsx", {"MODEL": str(planted["config"])})
    linked = with_formula(SHIPPED, planted["work"] / "linked.xlsx", "='[other.xlsx]Prices'!B1")
    for target in (workbook, linked):
        trace = planted["work"] / "strace.log"
        proc = subprocess.run(["strace", "-f", "-qq", "-e", "trace=%file", "-o", str(trace), sys.executable, "-P", "-c",
                               "from xlcompute.cli import main; main()", "check", str(target)],
                              capture_output=True, text=True, timeout=180, cwd=planted["work"])
        if "ptrace" in proc.stderr.lower() or not trace.exists():
            pytest.skip(f"strace cannot trace here: {proc.stderr[:200]}")
        assert proc.returncode == 2, proc.stderr
        log = trace.read_text()
        for name in ("other", "data", "config", "fifo"):
            assert str(planted[name]) not in log, name
        assert '"other.xlsx"' not in log and "secret/data.xlsx" not in log


# --------------------------------------------------------------------------------------------
# The catalog: paths only where a user typed them


def test_workbook_text_resolves_through_the_catalog_only(planted):
    from xlcompute.catalog import get_model, workbook_text
    from xlcompute.scenario.setups import resolve_model

    assert get_model(str(planted["config"])).arch.hidden_size == 4096  # the CLI and the user's Excel
    with pytest.raises(XlcomputeError, match="looks like a file path"):
        get_model(str(planted["config"]), allow_paths=False)
    with workbook_text():
        assert resolve_model("llama-3.1-70b").id == "llama-3.1-70b"  # catalog ids still resolve
        for reference in (planted["config"], planted["fifo"], planted["secret_dir"], "~/x/config.json"):
            with pytest.raises(XlcomputeError, match="looks like a file path"):
                get_model(str(reference), allow_paths=True)  # the block wins over an explicit True
        with pytest.raises(XlcomputeError, match="unknown model"):
            resolve_model("no-such-model-9b")
    assert get_model(str(planted["secret_dir"])).arch.num_layers == 32  # a folder holding config.json


def test_a_fifo_named_on_the_command_line_is_refused_not_waited_on(planted):
    from xlcompute.catalog import get_model

    with pytest.raises(XlcomputeError, match="not a regular file"):
        get_model(str(planted["fifo"]))
