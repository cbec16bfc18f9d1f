"""Excel error values and A1 references (xlcompute.functions.excel_values)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xlcompute.functions.excel_values import (
    COM_ERRORS,
    EXCEL_ERRORS,
    MAX_COLUMNS,
    Corner,
    Reference,
    address,
    column_index,
    column_letters,
    error_code,
    is_cell,
    is_error,
    is_name,
    parse_reference,
    quote_sheet,
    split_book,
    split_sheet,
    split_union,
)

# --------------------------------------------------------------------------------------------
# Error values


@pytest.mark.parametrize("code", EXCEL_ERRORS)
def test_every_code_and_an_xlcompute_message_starting_with_it_is_an_error(code):
    assert is_error(code) and error_code(code) == code
    assert is_error(f"{code} tokens: must be positive.") and error_code(f"{code} tokens: why") == code


def test_no_code_is_a_prefix_of_another():
    assert len(set(EXCEL_ERRORS)) == len(EXCEL_ERRORS)
    assert not [(a, b) for a in EXCEL_ERRORS for b in EXCEL_ERRORS if a != b and b.startswith(a)]


def test_the_formula_engines_error_objects_are_errors():
    class XlError(str):  # formulas.tokens.operand.XlError is a str subclass, as this one
        pass

    assert is_error(XlError("#DIV/0!")) and error_code(XlError("#REF!")) == "#REF!"


@pytest.mark.parametrize("value", ["#1 model", "#", "", "N/A", " #N/A", "#n/a", "#DIV/0", None, 0, 1.5, True,
                                   -2146826246, float("nan"), ["#N/A"]])
def test_ordinary_values_are_not_errors(value):
    assert not is_error(value)


def test_com_codes_are_excels_error_numbers_as_hresults():
    # Excel's xlErr constants (2000 + n) as COM passes them: HRESULT 0x800A0000 + n, signed 32-bit.
    xl_err = {"#NULL!": 2000, "#DIV/0!": 2007, "#VALUE!": 2015, "#REF!": 2023, "#NAME?": 2029, "#NUM!": 2036,
              "#N/A": 2042}
    assert COM_ERRORS == {0x800A0000 + n - 2**32: code for code, n in xl_err.items()}
    assert set(COM_ERRORS.values()) <= set(EXCEL_ERRORS)


def test_error_code_reads_com_ints_but_not_floats_or_booleans():
    for number, code in COM_ERRORS.items():
        assert error_code(number) == code and not is_error(number)
        assert error_code(float(number)) is None
    assert error_code(True) is None and error_code(0) is None and error_code("text") is None and error_code(None) is None


def test_the_excel_functions_use_the_same_codes():
    """An input cell holding a COM error code comes back as that error from any Excel function."""
    from xlcompute.functions import REGISTRY

    for number, code in COM_ERRORS.items():
        assert REGISTRY["TRAIN_FLOPS"](7e9, number).startswith(code + " tokens:")


# --------------------------------------------------------------------------------------------
# Columns


@pytest.mark.parametrize(("letters", "index"), [("A", 1), ("Z", 26), ("AA", 27), ("AZ", 52), ("BA", 53),
                                                ("ZZ", 702), ("AAA", 703), ("XFD", MAX_COLUMNS), ("ZZZ", 18_278)])
def test_column_letters_and_numbers(letters, index):
    assert column_index(letters) == index == column_index(letters.lower())
    assert column_letters(index) == letters


@pytest.mark.parametrize("bad", ["", "A1", "AAAA", "$A", "Ä", " A"])
def test_column_index_rejects_what_is_not_a_column(bad):
    with pytest.raises(ValueError):
        column_index(bad)


def test_column_letters_rejects_numbers_below_one():
    with pytest.raises(ValueError):
        column_letters(0)


@given(st.integers(min_value=1, max_value=18_278))
def test_column_number_round_trip(index):
    assert column_index(column_letters(index)) == index


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=3))
def test_column_letters_round_trip(letters):
    assert column_letters(column_index(letters)) == letters


# --------------------------------------------------------------------------------------------
# Parsing references


def test_cells_with_and_without_dollars():
    assert parse_reference("B3") == Reference(Corner(2, 3))
    assert parse_reference("$B$3") == Reference(Corner(2, 3, True, True))
    assert parse_reference("b$3") == Reference(Corner(2, 3, False, True))
    assert parse_reference("$B3").coordinate == "B3" and str(parse_reference("$b3")) == "$B3"


def test_ranges_whole_columns_and_whole_rows():
    cells = parse_reference("A1:$C$4")
    assert cells == Reference(Corner(1, 1), Corner(3, 4, True, True)) and cells.coordinate == "A1:C4"
    assert cells.bounds() == (1, 1, 3, 4) and parse_reference("C4:A1").bounds() == (1, 1, 3, 4)
    columns = parse_reference("$A:C")
    assert columns == Reference(Corner(1, None, True), Corner(3, None)) and columns.coordinate == "A:C"
    assert columns.bounds(max_row=10) == (1, 1, 3, 10)
    rows = parse_reference("2:$5")
    assert rows == Reference(Corner(None, 2), Corner(None, 5, False, True)) and str(rows) == "2:$5"
    assert rows.bounds(max_column=7) == (1, 2, 7, 5)
    with pytest.raises(ValueError, match="whole column"):
        columns.bounds()
    with pytest.raises(ValueError, match="whole row"):
        rows.bounds()


@pytest.mark.parametrize("text", ["", "A", "1", "$", "A0", "A01:", ":A1", "A1:B", "A:1", "ABCD1", "A12345678", "A1:B2:C3",
                                  "tokens", "Table1[Col]", "A1,B2", " A1", "A1 ", "@A1", "Sheet1!", "!A1", "=A1"])
def test_what_is_not_a_reference(text):
    assert parse_reference(text) is None and not is_cell(text)


def test_sheet_qualified_references():
    assert parse_reference("Data!B3") == Reference(Corner(2, 3), sheet="Data")
    assert parse_reference("'My Sheet'!A1:B2").sheet == "My Sheet"
    assert parse_reference("'It''s'!A1").sheet == "It's"
    assert parse_reference("'''quoted'''!A1").sheet == "'quoted'"
    assert parse_reference("'A!B'!C3") == Reference(Corner(3, 3), sheet="A!B")
    assert parse_reference("My Sheet!B4").sheet == "My Sheet"  # as users type it; Excel would quote it
    assert parse_reference("'unterminated!A1") is None


def test_references_into_other_workbooks():
    reference = parse_reference("'[book.xlsx]INPUTS'!$B$4")
    assert (reference.book, reference.sheet, reference.coordinate) == ("book.xlsx", "INPUTS", "B4")
    assert parse_reference("[1]Sheet1!A1") == Reference(Corner(1, 1), sheet="Sheet1", book="1")
    assert split_book("C:\\dir\\[Book1.xlsx]Data") == ("C:\\dir\\Book1.xlsx", "Data")
    assert split_book("Data") == (None, "Data")


def test_split_sheet_keeps_what_follows():
    assert split_sheet("'It''s'!tokens") == ("It's", "tokens")
    assert split_sheet("tokens") == (None, "tokens")
    assert split_sheet("[1]!Name") == ("[1]", "Name")


def test_names_and_unions():
    assert is_name("tokens") and is_name("_x.y") and is_name("\\rate")
    assert not is_name("A1") and not is_name("1x") and not is_name("a b") and not is_name("Table1[Col]")
    assert split_union("A1,Data!B2,'A, B'!C3") == ["A1", "Data!B2", "'A, B'!C3"]
    assert split_union("A1") == ["A1"]


def test_quote_sheet_quotes_only_what_needs_it():
    assert quote_sheet("Data") == "Data" and quote_sheet("Sheet_1.b") == "Sheet_1.b"
    for name, quoted in [("My Sheet", "'My Sheet'"), ("It's", "'It''s'"), ("2024", "'2024'"), ("A1", "'A1'"),
                         ("xfd9", "'xfd9'"), ("R1C1", "'R1C1'"), ("R", "'R'"), ("C", "'C'"), ("a-b", "'a-b'")]:
        assert quote_sheet(name) == quoted


def test_address_and_relative_form():
    assert address(2, 3) == "B3" and address(28, 10, "My Sheet") == "'My Sheet'!AB10"
    assert Corner(2, 3).relative_to(row=1, column=3) == "R[2]C[-1]"
    assert Corner(2, 3, True, True).relative_to(row=1, column=3) == "R3C2"
    assert Corner(2, None).relative_to(row=1, column=1) == "C[1]" and Corner(None, 5, row_absolute=True).relative_to(1, 1) == "R5"


# --------------------------------------------------------------------------------------------
# Round trips (hypothesis)

# Any sheet name Excel allows: 1-31 characters, none of []:*?/\ (brackets would read as a book).
sheet_names = st.text(st.characters(blacklist_characters="[]:*?/\\", blacklist_categories=("Cs",)),
                      min_size=1, max_size=31)
columns = st.integers(min_value=1, max_value=MAX_COLUMNS)
rows = st.integers(min_value=1, max_value=1_048_576)


@st.composite
def references(draw):
    kind = draw(st.sampled_from(["cell", "range", "columns", "rows"]))

    def corner():
        return Corner(None if kind == "rows" else draw(columns), None if kind == "columns" else draw(rows),
                      draw(st.booleans()) and kind != "rows", draw(st.booleans()) and kind != "columns")

    first = corner()
    last = None if kind == "cell" else corner()
    sheet = draw(st.none() | sheet_names)
    book = draw(st.none() | st.from_regex(r"[A-Za-z0-9 _.-]{1,20}", fullmatch=True)) if sheet is not None else None
    return Reference(first, last, sheet, book)


@given(references())
def test_reference_text_round_trip(reference):
    text = str(reference)
    assert parse_reference(text) == reference
    assert parse_reference(reference.coordinate).coordinate == reference.coordinate


@given(columns, rows, st.none() | sheet_names)
def test_address_round_trip(column, row, sheet):
    reference = parse_reference(address(column, row, sheet))
    assert reference == Reference(Corner(column, row), sheet=sheet)
    assert reference.bounds() == (column, row, column, row)


@given(sheet_names)
def test_quoted_sheet_round_trip(sheet):
    assert split_sheet(f"{quote_sheet(sheet)}!A1") == (sheet, "A1")
