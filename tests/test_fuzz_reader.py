"""Fuzzing the workbook reader: mutated valid workbooks give a value or an XlcomputeError, never
another exception, each in bounded time.

CI runs a fixed, seeded number of cases (about 10 s); the long run is
``python -m bench.fuzz_reader --cases 5000`` (see bench/README.md).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import random
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.workbook.defined_name import DefinedName

from bench.fuzz_reader import MUTATORS, exercise, run
from tests.hostile_corpus import write_base_workbook
from xlcompute.core.errors import XlcomputeError
from xlcompute.workbook.cells import read_number, read_text
from xlcompute.workbook.errors import WorkbookError
from xlcompute.workbook.guard import open_workbook

CI_CASES = 400


def test_seeded_mutation_run_raises_only_the_documented_error():
    report = run(CI_CASES, seed=20251121, max_seconds=5.0)
    assert report.cases >= CI_CASES * 0.95
    assert not report.failures, "\n\n".join(report.failures[:5])
    # The run exercised both outcomes, so it is not vacuous.
    assert report.opened > CI_CASES * 0.1 and sum(report.rejected.values()) > CI_CASES * 0.3


def test_mutators_change_the_workbook_and_are_deterministic(tmp_path):
    base = write_base_workbook(tmp_path / "base.xlsx").read_bytes()
    for mutator in set(MUTATORS):
        first = mutator(base, random.Random("x"))
        assert first == mutator(base, random.Random("x"))
        assert first != base


@pytest.fixture(scope="module")
def base_bytes(tmp_path_factory) -> bytes:
    return write_base_workbook(tmp_path_factory.mktemp("fuzz") / "base.xlsx").read_bytes()


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_bytes_inside_any_part_never_escape_as_another_exception(base_bytes, tmp_path_factory, data):
    with zipfile.ZipFile(io.BytesIO(base_bytes)) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    name = data.draw(st.sampled_from(sorted(parts)))
    content = bytearray(parts[name])
    pos = data.draw(st.integers(0, len(content)))
    cut = data.draw(st.integers(0, 64))
    content[pos:pos + cut] = data.draw(st.binary(max_size=64))
    parts[name] = bytes(content)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for part, value in parts.items():
            z.writestr(part, value)
    path = tmp_path_factory.mktemp("case") / "mutated.xlsx"
    path.write_bytes(out.getvalue())
    try:
        exercise(path)
    except XlcomputeError:
        pytest.fail("exercise() must catch XlcomputeError itself")


CELL_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40), st.sampled_from(["#REF!", "#DIV/0!", "#N/A", "=1/0", "=A1", " 42 ", "1e3", "{{ 7*7 }}"]),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)), st.dates(dt.date(1900, 3, 1)),
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(value=CELL_VALUES)
def test_read_number_returns_a_finite_number_in_range_or_a_workbook_error(value):
    wb = Workbook()
    ws = wb.active
    ws.title = "Inputs"
    try:
        ws["B2"] = value
    except Exception:  # openpyxl refuses the value (control characters): nothing to read
        return
    wb.defined_names["X"] = DefinedName("X", attr_text="Inputs!$B$2")
    try:
        number = read_number(wb, "X", file="fuzz.xlsx", maximum=1e20)
    except WorkbookError as exc:
        assert exc.file == "fuzz.xlsx" and exc.sheet == "Inputs" and exc.cell == "B2"
        assert "\n" not in str(exc)
        return
    assert isinstance(number, (int, float)) and not isinstance(number, bool)
    assert math.isfinite(number) and 0 < number <= 1e20
    try:
        text = read_text(wb, "X", file="fuzz.xlsx")
    except WorkbookError:
        return
    assert text == str(int(number))  # whole numbers read as text too (quote numbers)


def test_open_and_read_round_trip_of_a_valid_workbook_is_unaffected(base_bytes, tmp_path):
    path = tmp_path / "valid.xlsx"
    path.write_bytes(base_bytes)
    assert exercise(path) == "ok"
    wb = open_workbook(path)
    assert read_number(wb, "TRAIN_TOKENS") == 15e12
    assert read_text(wb, "MODEL") == "llama-3-70b"
