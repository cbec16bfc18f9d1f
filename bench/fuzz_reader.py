"""Fuzz the workbook reader: mutated valid workbooks must give a result or a WorkbookError.

Every case takes a valid workbook, mutates it (byte flips in the zip, XML mutations inside a
part then re-zipped, or random cell values written with openpyxl), then opens it with
``open_workbook`` and reads every defined name with ``read_number`` and ``read_text``,
lists ``safety_problems`` and the circular references. Any exception other than
:class:`~xlcompute.core.errors.XlcomputeError`, or a case slower than ``--max-seconds``,
is a failure; the failing file is kept for reproduction.

    python -m bench.fuzz_reader --cases 5000            # the long run
    python -m bench.fuzz_reader --cases 200 --seed 7 --keep failures/

CI runs a fixed number of cases through tests/test_fuzz_reader.py.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import io
import random
import sys
import tempfile
import time
import traceback
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from xlcompute.core.errors import XlcomputeError

#: Fragments spliced into XML parts: markup that breaks structure, hostile declarations,
#: out-of-range references and values openpyxl has to convert.
XML_TOKENS = [
    b"<", b">", b"&", b'"', b"'", b"</c>", b"</row>", b"<row>", b"<c>", b"&amp;", b"&#0;", b"&#xFFFF;", b"]]>",
    b"<!DOCTYPE x>", b'<!ENTITY e "x">', b'<?xml version="1.0"?>', b"\xff\xfe", b"\xc3\x28", b"\x00",
    b'<row r="1048577">', b'<row r="0">', b'<row r="-1">', b'<c r="XFE1">', b'<c r="A0">', b'<c r="A1" t="e"><v>#REF!</v></c>',
    b'<c r="A1" t="s"><v>999999</v></c>', b'<c r="A1" t="b"><v>2</v></c>', b'<c r="A1" t="d"><v>not-a-date</v></c>',
    b"<v>NaN</v>", b"<v>1e999</v>", b"<v>-0</v>", b"<v></v>", b"<f>A1</f>", b"<f>SUM(A:A)+A1</f>",
    b'<f t="shared" si="0"/>', b'<f t="array" ref="A1:XFD1048576">1</f>', b"<definedName name=\"X\">Inputs!$Q$9999999</definedName>",
    b'<definedName name="TRAIN_TOKENS">#REF!</definedName>', b'<sheet name="" sheetId="0" r:id="rId999"/>',
    b'Target="../../../../etc/passwd"', b'TargetMode="External"', b'<dimension ref="A1:XFD1048576"/>',
    b'<mergeCell ref="A1:XFD1048576"/>', b'<col min="1" max="16384" width="1e308"/>', b'numFmtId="9999"',
    b'<numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>', b's="99999"', b'<xf numFmtId="14"/>',
]

VALUE_POOL = [None, "", " ", "=1/0", "=A1", "=HYPERLINK(\"http://example.invalid\")", "#REF!", "#DIV/0!", "#N/A",
              "1e12", "15,000", "NaN", "inf", "-1", "\u202e", "x" * 300, True, False, 0, -1, -0.0, 1e308, -1e308,
              5e-324, 2**63, 1e40, 0.5, 42, dt.datetime(1900, 1, 1), dt.date(2024, 2, 29), dt.time(12, 0),
              dt.timedelta(days=3), "{{ 7*7 }}", '<img src="file:///etc/passwd">']


@dataclass
class Report:
    cases: int = 0
    opened: int = 0
    rejected: collections.Counter = field(default_factory=collections.Counter)
    failures: list[str] = field(default_factory=list)
    slowest: float = 0.0
    seconds: float = 0.0


def _rezip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """Flip, zero or overwrite a few bytes anywhere in the zip, or cut or extend it."""
    raw = bytearray(data)
    choice = rng.random()
    if choice < 0.1:
        return bytes(raw[: rng.randrange(len(raw))])
    if choice < 0.15:
        return bytes(raw) + rng.randbytes(rng.randrange(1, 512))
    for _ in range(rng.randint(1, 16)):
        pos = rng.randrange(len(raw))
        raw[pos] = rng.choice([raw[pos] ^ (1 << rng.randrange(8)), 0, 0xFF, rng.randrange(256)])
    return bytes(raw)


def mutate_xml(data: bytes, rng: random.Random) -> bytes:
    """Unzip, damage one XML part (splice tokens, delete or duplicate slices), re-zip validly."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    xml_names = [n for n in parts if n.endswith((".xml", ".rels"))]
    name = rng.choice(xml_names)
    part = bytearray(parts[name])
    for _ in range(rng.randint(1, 4)):
        pos = rng.randrange(len(part) + 1)
        op = rng.random()
        if op < 0.5:
            part[pos:pos] = rng.choice(XML_TOKENS)
        elif op < 0.75:
            del part[pos:pos + rng.randint(1, 64)]
        else:
            start = rng.randrange(len(part) + 1)
            part[pos:pos] = part[start:start + rng.randint(1, 256)]
    parts[name] = bytes(part)
    if rng.random() < 0.05:
        del parts[rng.choice(list(parts))]
    return _rezip(parts)


def mutate_values(data: bytes, rng: random.Random) -> bytes:
    """Write random values of every type into random named and unnamed cells (openpyxl)."""
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data))
    targets = []
    for dn in wb.defined_names.values():
        try:
            targets += [(title, coord.replace("$", "")) for title, coord in dn.destinations]
        except Exception:
            pass
    for _ in range(rng.randint(1, 6)):
        if targets and rng.random() < 0.7:
            title, coord = rng.choice(targets)
            cell = wb[title][coord]
        else:
            ws = rng.choice(wb.worksheets)
            cell = ws.cell(row=rng.randint(1, 40), column=rng.randint(1, 8))
        try:
            cell.value = rng.choice(VALUE_POOL)
        except Exception:  # openpyxl refuses some strings (control characters): fine
            pass
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


MUTATORS = (mutate_bytes, mutate_xml, mutate_xml, mutate_values)


def exercise(path: Path) -> str:
    """Everything the report reads from a workbook; returns "ok" or the rejection's first words."""
    from xlcompute.workbook.cells import read_number, read_text
    from xlcompute.workbook.dependencies import find_circular_references, safety_problems
    from xlcompute.workbook.guard import open_workbook

    outcome = "ok"
    for data_only in (False, True):
        try:
            wb = open_workbook(path, data_only=data_only)
        except XlcomputeError as exc:
            return "rejected: " + str(exc).split(": ", 1)[-1].split(";")[0][:60]
        names = list(wb.defined_names)
        for name in names:
            for reader in (read_number, read_text):
                try:
                    reader(wb, name)
                except XlcomputeError:
                    pass
        if not data_only:
            safety_problems(wb)
            find_circular_references(wb)
    return outcome


def seeds() -> list[bytes]:
    """Valid workbooks to mutate: the corpus base workbook and the shipped scenario workbooks."""
    repo = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(repo))
    from tests.hostile_corpus import write_base_workbook

    with tempfile.TemporaryDirectory() as tmp:
        out = [write_base_workbook(Path(tmp) / "base.xlsx").read_bytes()]
    out += [p.read_bytes() for p in sorted((repo / "workbooks").glob("*.xlsx"))]
    return out


def run(cases: int, seed: int = 0, *, keep: Path | None = None, max_seconds: float = 5.0,
        progress: bool = False) -> Report:
    """Run ``cases`` mutated workbooks (deterministic for a ``seed``)."""
    report = Report()
    bases = seeds()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(cases):
            rng = random.Random(f"{seed}:{index}")
            base = rng.choice(bases)
            mutator = rng.choice(MUTATORS)
            try:
                data = mutator(base, rng)
            except Exception:  # a mutation openpyxl cannot even write: skip it
                continue
            path = Path(tmp) / f"case_{seed}_{index}.xlsx"
            path.write_bytes(data)
            report.cases += 1
            began = time.perf_counter()
            try:
                outcome = exercise(path)
            except Exception as exc:  # the defect we are looking for
                outcome = None
                report.failures.append(f"case {seed}:{index} ({mutator.__name__}): {type(exc).__name__}: {exc}\n"
                                       + traceback.format_exc(limit=-4))
            elapsed = time.perf_counter() - began
            report.slowest = max(report.slowest, elapsed)
            if elapsed > max_seconds:
                report.failures.append(f"case {seed}:{index} ({mutator.__name__}): took {elapsed:.1f} s")
                outcome = None
            if outcome is None:
                if keep is not None:
                    keep.mkdir(parents=True, exist_ok=True)
                    (keep / path.name).write_bytes(data)
            elif outcome == "ok":
                report.opened += 1
            else:
                report.rejected[outcome] += 1
            path.unlink()
            if progress and (index + 1) % 500 == 0:
                print(f"{index + 1} cases, {len(report.failures)} failures", file=sys.stderr)
    report.seconds = time.perf_counter() - start
    return report


def corpus_figures() -> list[tuple[str, str, float, float]]:
    """(case, outcome, seconds, peak MB of Python allocations) for every hostile-corpus file,
    plus a workbook at the cell limit that must open: the bounds docs/safety.md states."""
    import tracemalloc

    from tests.hostile_corpus import build_corpus
    from xlcompute.workbook.guard import DEFAULT_LIMITS, open_workbook

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = [(c.name, c.path) for c in build_corpus(Path(tmp) / "corpus")]
        at_limit = Path(tmp) / "at_cell_limit.xlsx"
        _write_grid(at_limit, DEFAULT_LIMITS.max_cells // 10 - 10, 10)
        cases.append((f"at the cell limit ({DEFAULT_LIMITS.max_cells:,} cells)", at_limit))
        for name, path in cases:
            began = time.perf_counter()
            try:
                open_workbook(path)
                outcome = "opened"
            except XlcomputeError:
                outcome = "WorkbookError"
            seconds = time.perf_counter() - began
            tracemalloc.start()
            try:
                open_workbook(path)
            except XlcomputeError:
                pass
            peak = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
            rows.append((name, outcome, seconds, peak))
    return rows


def _write_grid(path: Path, rows: int, cols: int) -> None:
    """The corpus base workbook with its Estimate sheet replaced by rows × cols numbers."""
    from tests.hostile_corpus import grid_rows, sheet_part, stream_part, write_base_workbook

    base = write_base_workbook(path.with_name("grid_base.xlsx"))
    stream_part(base, path, sheet_part(base, "Estimate"), grid_rows(rows, cols))


def readme_section(report: Report, cases: int, seed: int, figures: list[tuple[str, str, float, float]]) -> str:
    import platform

    lines = [
        "## Untrusted workbooks: fuzzing and the hostile corpus",
        "",
        f"Command: `.venv/bin/python -m bench.fuzz_reader --cases {cases} --seed {seed} --readme` "
        "(mutated valid workbooks through `open_workbook`, `read_number`, `read_text`, `safety_problems`; "
        "then every file of `tests/hostile_corpus.py` opened once for time and once under tracemalloc for memory).",
        "",
        f"Fuzzing: {report.cases:,} cases in {report.seconds:.1f} s ({report.seconds / max(report.cases, 1) * 1000:.1f} ms "
        f"per case, slowest {report.slowest:.2f} s): {report.opened:,} read, {sum(report.rejected.values()):,} rejected "
        f"with WorkbookError, **{len(report.failures)} other exceptions** (target 0).",
        "",
        "| corpus file | outcome | seconds | peak MB (Python allocations) |",
        "|---|---|---|---|",
    ]
    lines += [f"| {name} | {outcome} | {seconds:.2f} | {peak:.1f} |" for name, outcome, seconds, peak in figures]
    worst_time = max(f[2] for f in figures)
    worst_peak = max(f[3] for f in figures)
    lines += ["", f"Worst case: {worst_time:.2f} s, {worst_peak:.0f} MB (targets: every file at most 5 s and 150 MB). "
              f"Machine: {platform.machine()}, Python {platform.python_version()}; a shared box, so times vary with load."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None, help="folder for the failing workbooks")
    parser.add_argument("--max-seconds", type=float, default=5.0, help="a slower case is a failure")
    parser.add_argument("--readme", action="store_true",
                        help="also time the hostile corpus and write the figures to bench/README.md (section safety)")
    args = parser.parse_args(argv)
    report = run(args.cases, args.seed, keep=args.keep, max_seconds=args.max_seconds, progress=True)
    if args.readme:
        from bench.readme_section import update_section

        figures = corpus_figures()
        update_section("safety", readme_section(report, args.cases, args.seed, figures))
        for name, outcome, seconds, peak in figures:
            print(f"  {name:40} {outcome:14} {seconds:6.2f} s {peak:7.1f} MB")
    print(f"{report.cases} cases in {report.seconds:.1f} s ({report.seconds / max(report.cases, 1) * 1000:.1f} ms/case, "
          f"slowest {report.slowest:.2f} s): {report.opened} read, {sum(report.rejected.values())} rejected with "
          f"WorkbookError, {len(report.failures)} failures")
    for reason, count in report.rejected.most_common(12):
        print(f"  {count:6}  {reason}")
    for failure in report.failures[:20]:
        print(failure)
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
