"""Shared helpers of the catalogs: reading the packaged CSV files and forgiving id lookups.

Standard library only (the catalog also runs in xlwings Lite's Pyodide). Package data is
found with ``importlib.resources``, falling back to the directory of this file.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import math
import re
from dataclasses import fields
from pathlib import Path
from typing import Any, Callable, Iterable

from ..core.errors import XlcomputeError, closest, unknown_id

DATA_DIR = Path(__file__).resolve().parent / "data"


def read_data_rows(name: str) -> list[tuple[int, dict[str, str]]]:
    """``(line, row)`` pairs of the packaged ``data/<name>`` CSV, each row a dict of stripped strings."""
    return parse_csv_rows(_data_text(name), name)


@functools.lru_cache(maxsize=None)
def data_columns(name: str) -> tuple[str, ...]:
    """The header of the packaged ``data/<name>`` CSV: the columns a user file may use."""
    return tuple(c.strip() for c in next(csv.reader(io.StringIO(_data_text(name)))))


def _data_text(name: str) -> str:
    try:
        from importlib.resources import files

        return files("xlcompute.catalog").joinpath("data", name).read_text(encoding="utf-8")
    except (ImportError, FileNotFoundError, ModuleNotFoundError, OSError):
        return (DATA_DIR / name).read_text(encoding="utf-8")


def read_user_csv(path: str | Path, required: Iterable[str], *, what: str = "prices file",
                  argument: str = "prices_file", known: Iterable[str] | None = None) -> list[tuple[int, dict[str, str]]]:
    """``(line, row)`` pairs of a user-supplied CSV; a clear error if it cannot be read, lacks a
    ``required`` column or (with ``known``) names a column that is not one of ``known``."""
    label = f"{what} {str(path)!r}"
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise XlcomputeError(f"{label}: cannot be read ({exc.strerror or exc}).", argument=argument) from exc
    except UnicodeDecodeError as exc:
        raise XlcomputeError(f"{label}: expected UTF-8 text, found byte {exc.object[exc.start]:#04x} at offset "
                             f"{exc.start}; save it as CSV UTF-8.", argument=argument) from exc
    try:
        header = [c.strip() for c in next(csv.reader(io.StringIO(text)), [])]
    except csv.Error as exc:
        raise XlcomputeError(f"{label}, line 1: expected a CSV header, found unreadable text ({exc}).",
                             argument=argument) from exc
    missing = [c for c in required if c not in header]
    if missing:
        raise XlcomputeError(
            f"{label}, line 1: missing column(s) {', '.join(missing)}; expected a header with "
            f"{', '.join(required)}, found {', '.join(h for h in header if h) or 'nothing'}.", argument=argument)
    if known is not None:
        known = list(known)
        for column in header:
            if column and column not in known:
                hints = closest(column, known)
                raise XlcomputeError(
                    f"{label}, line 1, column {column}: expected one of the shipped columns ({', '.join(known)}), "
                    f"found {column!r}." + (f" Did you mean {hints[0]}?" if hints else ""),
                    argument=argument, suggestions=hints)
    return parse_csv_rows(text, label, argument)


def parse_csv_rows(text: str, label: str, argument: str = "catalog") -> list[tuple[int, dict[str, str]]]:
    """``(line, row)`` pairs of a CSV text, blank rows left out; ``line`` is the file line where
    the row ends (a quoted cell may span lines)."""
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    try:
        width = len(reader.fieldnames or ())
        for row in reader:
            if None in row:
                raise XlcomputeError(f"{label}, line {reader.line_num}: expected at most {width} cells (the header's "
                                     f"columns), found {width + len(row[None])}.", argument=argument)
            clean = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            if any(clean.values()):
                rows.append((reader.line_num, clean))
    except csv.Error as exc:
        raise XlcomputeError(f"{label}, line {reader.line_num}: expected CSV, found unreadable text ({exc}).",
                             argument=argument) from exc
    return rows


def parse_bool(text: str, label: str = "") -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "y"):
        return True
    if value in ("", "0", "false", "no", "n"):
        return False
    raise XlcomputeError(f"{label}: expected true or false, found {text!r}.", argument=label or "catalog")


_SUFFIX = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}


def parse_count(text: str, label: str = "") -> float | None:
    """A count as written by its source: ``"6.74B"``, ``"340M"``, ``"8030261248"``; empty -> None."""
    value = text.strip().replace(",", "").replace("_", "")
    if not value:
        return None
    scale = _SUFFIX.get(value[-1].lower())
    number = value[:-1] if scale else value
    try:
        return float(number) * (scale or 1.0)
    except ValueError as exc:
        raise XlcomputeError(f"{label}: expected a count such as 6.74B or 8030261248, found {text!r}.",
                             argument=label or "catalog") from exc


def quoted_half_unit(text: str) -> float:
    """Half a unit in the last digit of a count as quoted (``"37B"`` -> 0.5e9, ``"6.74B"`` -> 0.005e9)."""
    value = text.strip().replace(",", "").replace("_", "")
    scale = _SUFFIX.get(value[-1].lower()) if value else None
    number = value[:-1] if scale else value
    decimals = len(number.split(".")[1]) if "." in number else 0
    return 0.5 * 10.0 ** (-decimals) * (scale or 1.0)


_KINDS = {"int": "a whole number", "float": "a number", "bool": "true or false"}


def typed_fields(cls: type, row: dict[str, str], label: str) -> dict[str, Any]:
    """Values for the dataclass ``cls`` taken from ``row`` (int/float/bool/str by field type; empty = default).
    Numbers must be finite and not negative; whole-number fields take whole numbers only."""
    values: dict[str, Any] = {}
    for f in fields(cls):
        text = row.get(f.name, "")
        if text == "":
            continue
        kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        where = f"{label}, column {f.name}"
        if kind in ("int", "float"):
            number = parse_number(text, where, whole=kind == "int")
            values[f.name] = int(number) if kind == "int" else number
        elif kind == "bool":
            values[f.name] = parse_bool(text, where)
        elif kind == "str":
            values[f.name] = text
    return values


def parse_number(text: str, where: str, *, whole: bool = False) -> float:
    """A finite, non-negative number from a catalog cell (``where`` names file, line and column)."""
    expected = _KINDS["int" if whole else "float"]
    try:
        number = float(text)
    except ValueError as exc:
        raise XlcomputeError(f"{where}: expected {expected}, found {text!r}.", argument="catalog") from exc
    if not math.isfinite(number) or number < 0:
        expected += " (finite, not negative)"
    elif not whole or number.is_integer():
        return number
    raise XlcomputeError(f"{where}: expected {expected}, found {text!r}.", argument="catalog")


_ID = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def check_row(row: dict[str, str], where: str, source_columns: Iterable[str], id_column: str = "id") -> None:
    """The contract every catalog row keeps (shipped or a user's): a lower-case id (in
    ``id_column``), a source in each of ``source_columns`` and the ISO date of the cited source."""
    row_id = row.get(id_column, "")
    if not _ID.fullmatch(row_id):
        raise XlcomputeError(f"{where}, column {id_column}: expected a lower-case id of letters, digits, '-' and '.' "
                             f"(such as 'a40' or 'qwen2.5-0.5b'), found {row_id!r}.", argument="catalog")
    for column in source_columns:
        if not row.get(column):
            raise XlcomputeError(f"{where} ({row_id}), column {column}: expected where the row's figures come "
                                 "from (datasheet, paper, model card or URL), found nothing.", argument="catalog")
    date = row.get("date", "")
    try:
        valid = bool(_ISO_DATE.fullmatch(date)) and bool(dt.date.fromisoformat(date))
    except ValueError:
        valid = False
    if not valid:
        raise XlcomputeError(f"{where} ({row_id}), column date: expected the ISO date (YYYY-MM-DD) of the cited "
                             f"source, found {date!r}.", argument="catalog")


def check_required(row: dict[str, str], label: str, columns: Iterable[str]) -> None:
    """Each of ``columns`` holds a value (``label`` names file, line and id)."""
    for column in columns:
        if not row.get(column):
            raise XlcomputeError(f"{label}, column {column}: expected a value, found nothing.", argument="catalog")


def split_list(text: str) -> tuple[str, ...]:
    """``"a; b;c"`` -> ``("a", "b", "c")`` (lists inside one CSV cell are ;-separated)."""
    return tuple(part.strip() for part in text.split(";") if part.strip())


def build_catalog(file: str, kind: str, make: Callable[[dict[str, str], str, str], Any],
                  names: Callable[[Any, dict[str, str]], Iterable[str]],
                  user: tuple[str, list[tuple[int, dict[str, str]]]] | None = None) -> tuple[dict[str, Any], "Index"]:
    """Items of the packaged ``file`` keyed by id (``make(row, where, origin)`` builds one), and
    the lookup index over each item's id and ``names(item, row)``.

    ``user`` is ``(path, rows)`` of a user file with the same columns, merged over the shipped
    rows: a row with a new id adds an item (after the shipped ones), a row with a shipped id
    replaces that row, all its columns (the item's ``origin`` is then ``path``)."""
    entries: dict[str, tuple[Any, dict[str, str]]] = {}
    for line, row in read_data_rows(file):
        item = make(row, f"{file}, line {line}", "catalog")
        if item.id in entries:
            raise XlcomputeError(f"{file}, line {line}: duplicate id {item.id!r}.", argument="catalog")
        entries[item.id] = (item, row)
    added: dict[str, str] = {}  # user ids not in the shipped file -> where their row is
    if user is not None:
        path, rows = user
        lines: dict[str, int] = {}
        for line, row in rows:
            where = f"catalog file {path!r}, line {line}"
            item = make(row, where, path)
            if item.id in lines:
                raise XlcomputeError(f"{where}, column id: expected each id once, found {item.id!r} again (first on "
                                     f"line {lines[item.id]}).", argument="catalog")
            lines[item.id] = line
            if item.id not in entries:
                added[item.id] = where
            entries[item.id] = (item, row)
    index = Index(kind, kind)
    for item_id, (item, row) in entries.items():
        holder = index.holder(item_id)
        if item_id in added and holder is not None:
            raise XlcomputeError(
                f"{added[item_id]}, column id: expected an id that no other row answers to, found {item_id!r}, a "
                f"name of {holder!r}. Use another id, or {holder!r} to replace that row.", argument="catalog")
        index.add(item_id, *names(item, row))
    return {item_id: item for item_id, (item, _) in entries.items()}, index


def lookup_key(text: str) -> str:
    """Case- and separator-insensitive key: ``"Llama-3.1 70B"`` -> ``"llama3.170b"``."""
    return re.sub(r"[^a-z0-9.]", "", str(text).lower())


# Suffixes that name a variant sharing the base model's architecture, and prefixes that
# only name the vendor, tried one at a time after an exact match fails.
_VARIANT_SUFFIXES = ("instruct", "chat", "hf", "it", "base", "fp8", "bf16", "awq", "gptq", "sft", "rl")
_VERSION_SUFFIX = re.compile(r"v\d+(\.\d+)*$")
_VENDOR_PREFIXES = ("meta", "google", "microsoft", "mistralai", "openai", "tiiuae", "qwen", "deepseekai")


class Index:
    """Maps forgiving spellings (ids, aliases, Hugging Face repo names) to catalog ids."""

    def __init__(self, kind: str, argument: str) -> None:
        self.kind = kind
        self.argument = argument
        self.ids: list[str] = []
        self.names: dict[str, tuple[str, ...]] = {}  # id -> the other names it was added with
        self._keys: dict[str, str] = {}

    def add(self, item_id: str, *names: str) -> None:
        self.ids.append(item_id)
        self.names[item_id] = names
        for name in (item_id, *names):
            if not name:
                continue
            for key in {lookup_key(name), lookup_key(name.rsplit("/", 1)[-1])}:
                if key:
                    self._keys.setdefault(key, item_id)

    def holder(self, name: str) -> str | None:
        """The id that ``name`` itself already means (no forgiving variants), if any."""
        return self._keys.get(lookup_key(name))

    def find(self, ref: Any) -> str | None:
        text = str(ref).strip()
        candidates = [text, text.rsplit("/", 1)[-1]] if "/" in text else [text]
        for candidate in candidates:
            key = lookup_key(candidate)
            for variant in _variants(key):
                if variant in self._keys:
                    return self._keys[variant]
        return None

    def resolve(self, ref: Any) -> str:
        found = self.find(ref)
        if found is None:
            raise unknown_id(self.kind, self.argument, ref, self.ids)
        return found


def _variants(key: str) -> list[str]:
    """``key`` and the keys left after stripping variant suffixes and vendor prefixes."""
    out = [key]
    current = key
    for _ in range(4):
        stripped = _VERSION_SUFFIX.sub("", current)
        for suffix in _VARIANT_SUFFIXES:
            if stripped.endswith(suffix) and len(stripped) > len(suffix) + 2:
                stripped = stripped[: -len(suffix)]
        if stripped == current:
            break
        current = stripped
        out.append(current)
    for prefix in _VENDOR_PREFIXES:
        for item in list(out):
            if item.startswith(prefix) and len(item) > len(prefix) + 2:
                out.append(item[len(prefix):])
    return out
