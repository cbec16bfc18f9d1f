"""Opening untrusted workbooks: every check a file passes before openpyxl reads it.

Scenario workbooks arrive by e-mail; every byte in them is hostile until checked.
:func:`open_workbook` is the only way xlcompute opens a workbook. Before openpyxl sees the
file it checks, from the file itself and the zip directory, that it is

- a readable file no bigger than :attr:`Limits.max_file_bytes`;
- a zip (else it says what it is: legacy ``.xls``, a password-protected workbook, CSV, an
  OpenDocument or Word file, or unknown bytes), not truncated, with no encrypted entries;
- not a zip bomb: at most :attr:`Limits.max_entries` parts, :attr:`Limits.max_uncompressed_bytes`
  in all, :attr:`Limits.max_part_bytes` per part, and no part over 1 MB inflating more than
  :attr:`Limits.max_compression_ratio` times (Apache POI's default); every part is then read
  with a bounded read that also checks its CRC;
- free of DTDs: any ``<!DOCTYPE`` or ``<!ENTITY`` in an XML part is rejected (entity bombs,
  external entities); openpyxl additionally parses through defusedxml;
- no sheet over :attr:`Limits.max_rows_per_sheet` rows, no more than :attr:`Limits.max_cells`
  cells in all (counted while scanning, before openpyxl builds a single cell).

Macros (``.xlsm``) are never run: openpyxl cannot run them, and ``keep_vba=False`` drops them.
Every exception from zipfile, XML parsing or openpyxl becomes a :class:`WorkbookError` naming
the file. The targets of links to other workbooks are recorded in :class:`WorkbookInfo`.
"""

from __future__ import annotations

import io
import os
import re
import stat
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable

from ..core.errors import XlcomputeError, closest
from ..functions.excel_values import MAX_COLUMNS, MAX_ROWS, column_letters, parse_reference
from .errors import WorkbookError
from .file_kind import SAVE_AS, not_a_zip, utf16
from .formula_text import (MAX_CELL_TEXT, FormulaFinding, LocatedFormula, PartScanner, formula_findings, limit_problem,
                           scan_formula)

__all__ = ["DEFAULT_LIMITS", "Limits", "WorkbookInfo", "checked_bytes", "open_workbook", "workbook_info"]


@dataclass(frozen=True)
class Limits:
    """Resource limits for one workbook. The defaults are documented in docs/safety.md."""

    #: Size of the .xlsx file itself [bytes]; 25 MB is the usual e-mail attachment limit.
    max_file_bytes: int = 25_000_000
    #: Sum of the uncompressed sizes of all parts [bytes].
    max_uncompressed_bytes: int = 200_000_000
    #: Uncompressed size of any one part [bytes].
    max_part_bytes: int = 100_000_000
    #: Uncompressed/compressed size of a part, checked for parts over ``ratio_floor_bytes``
    #: (Apache POI ZipSecureFile's default minimum inflate ratio 0.01 = 100x).
    max_compression_ratio: float = 100.0
    ratio_floor_bytes: int = 1_000_000
    #: Parts in the zip.
    max_entries: int = 10_000
    #: Rows in one sheet, and cells in the whole workbook (merged areas count every cell
    #: they cover: openpyxl creates one object per merged cell).
    max_rows_per_sheet: int = 100_000
    max_cells: int = 200_000
    #: Rows × columns from A1 to a sheet's last cell: iterating a sheet visits every one.
    max_sheet_area: int = 1_000_000
    #: Formula cells and defined names: a scenario workbook has about a hundred (a thousand line
    #: items, a few thousand); the formula engine compiles each formula that shares no shape
    #: with another (5,000 such take about 7 s to check, 19,000 about 54 s).
    max_formulas: int = 5_000


DEFAULT_LIMITS = Limits()


@dataclass
class WorkbookInfo:
    """Facts gathered by :func:`open_workbook` (attached to the workbook it returns)."""

    file: str
    parts: list[str] = field(default_factory=list)
    uncompressed_bytes: int = 0
    sheets: dict[str, str] = field(default_factory=dict)  #: sheet name -> part name
    rows: dict[str, int] = field(default_factory=dict)  #: sheet name -> rows present
    cells: int = 0
    has_macros: bool = False
    external_links: list[str] = field(default_factory=list)  #: targets of external links
    notes: list[str] = field(default_factory=list)  #: facts worth telling the user
    formulas: int = 0  #: formula cells and defined names scanned
    #: What the formula scan refused or flagged (other workbooks, DDE, functions reaching
    #: outside, volatile functions), each with where it is; see :mod:`.formula_text`.
    formula_findings: list[tuple[LocatedFormula, FormulaFinding]] = field(default_factory=list)
    date1904: bool = False  #: the workbook counts dates from 1904 (``<workbookPr date1904="1">``)
    data: bytes = field(default=b"", repr=False)  #: the bytes that were checked (see :func:`checked_bytes`)


def workbook_info(wb: Any) -> WorkbookInfo | None:
    """The :class:`WorkbookInfo` of a workbook returned by :func:`open_workbook`."""
    return getattr(wb, "xlcompute_info", None)


def checked_bytes(wb: Any) -> bytes | None:
    """The exact bytes :func:`open_workbook` checked, for a formula engine to load instead of
    the path: the file on disk may have changed since, and an engine that judges a file by its
    extension would refuse a workbook saved as ``quote.html`` or without an extension."""
    info = workbook_info(wb)
    return info.data if info is not None and info.data else None


# --------------------------------------------------------------------------------------
# The zip checks


_DTD_PATTERNS = tuple(
    pattern
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for pattern in (marker.encode(), utf16(marker), marker.encode("utf-16-be"))
)
_NOT_XML_PREFIXES = ("xl/media/", "xl/embeddings/")
_NOT_XML_SUFFIXES = (".bin", ".png", ".jpeg", ".jpg", ".gif", ".emf", ".wmf", ".tif", ".tiff", ".bmp", ".svg")
# Row and cell start tags, with or without a namespace prefix (``<row `` or ``<x:row ``).
# Counted with bytes.count, which is fast and allocates nothing per match.
_ROW_TAGS = (b"<row ", b"<row>", b":row ", b":row>")
_CELL_TAGS = (b"<c ", b"<c>", b"<c/>", b":c ", b":c>", b":c/>")
_STRING_TAGS = (b"<si>", b"<si ", b":si>", b":si ")
_OVERLAP = 64  # longer than any pattern counted across chunk boundaries
_CHUNK = 1 << 20


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attribute(element: Any, name: str) -> str | None:
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return None


def _resolve_target(base_part: str, target: str) -> str:
    """A relationship target as a part name (rels targets are relative to the source part)."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = []
    for piece in (str(PurePosixPath(base_part).parent) + "/" + target).split("/"):
        if piece in ("", "."):
            continue
        if piece == "..":
            if parts:
                parts.pop()
        else:
            parts.append(piece)
    return "/".join(parts)


def _rels_part(part: str) -> str:
    path = PurePosixPath(part)
    return str(path.parent / "_rels" / (path.name + ".rels")).lstrip("./")


def _count(chunk: bytes, tail: bytes, patterns: tuple[bytes, ...]) -> int:
    """Occurrences of ``patterns`` in ``chunk`` and across the boundary with the previous ``tail``."""
    total = 0
    for pattern in patterns:
        edge = tail[-(len(pattern) - 1):] + chunk[: len(pattern) - 1] if tail else b""
        total += chunk.count(pattern) + edge.count(pattern)
    return total


_MERGE = re.compile(rb'mergeCell\s+ref="([^"]{1,64})"')


def _merged_cells(chunk: bytes, tail: bytes) -> int:
    """Cells covered by <mergeCell ref="A1:C3"> elements that end in ``chunk`` (not in ``tail``)."""
    if b"mergeCell" not in chunk and b"mergeCell" not in tail:
        return 0
    buffer = tail + chunk
    total = 0
    for match in _MERGE.finditer(buffer):
        if match.end() <= len(tail):
            continue  # seen with the previous chunk
        reference = parse_reference(match[1].decode("ascii", "replace"))
        if reference is None or reference.is_cell:
            continue
        c1, r1, c2, r2 = reference.bounds(MAX_ROWS, MAX_COLUMNS)
        total += (c2 - c1 + 1) * (r2 - r1 + 1)
    return total


class _Package:
    """A zip package read with bounded reads, every XML part checked for DTDs."""

    def __init__(self, file: str, data: bytes, limits: Limits):
        self.file = file
        self.limits = limits
        self.total = 0
        self.scanned: set[str] = set()
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            self.infos = {info.filename: info for info in self.zip.infolist()}
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise WorkbookError(file, "the zip package is damaged", expected="a readable .xlsx zip",
                                found=f"{type(exc).__name__}: {exc}", hint="Download or copy the file again") from None
        self._check_directory()

    def _check_directory(self) -> None:
        limits, file = self.limits, self.file
        infos = list(self.infos.values())
        if len(infos) > limits.max_entries:
            raise WorkbookError(file, "the zip has too many parts (a possible zip bomb)",
                                expected=f"at most {limits.max_entries:,} parts", found=f"{len(infos):,}")
        declared = sum(info.file_size for info in infos)
        if declared > limits.max_uncompressed_bytes:
            raise WorkbookError(file, "the workbook inflates to more than the limit (a possible zip bomb)",
                                expected=f"at most {limits.max_uncompressed_bytes:,} bytes uncompressed",
                                found=f"{declared:,} bytes declared in the zip directory")
        for info in infos:
            if info.flag_bits & 0x1:
                raise WorkbookError(file, f"the zip part {info.filename} is encrypted",
                                    expected="an unencrypted .xlsx", found="an encrypted zip entry")
            if info.file_size > limits.max_part_bytes:
                raise WorkbookError(file, f"the part {info.filename} is too large (a possible zip bomb)",
                                    expected=f"at most {limits.max_part_bytes:,} bytes", found=f"{info.file_size:,} bytes")
            if info.file_size > limits.ratio_floor_bytes:
                ratio = info.file_size / max(info.compress_size, 1)
                if ratio > limits.max_compression_ratio:
                    raise WorkbookError(
                        file, f"the part {info.filename} is compressed suspiciously well (a zip bomb)",
                        expected=f"a compression ratio of at most {limits.max_compression_ratio:g}",
                        found=f"{ratio:,.0f} ({info.compress_size:,} bytes inflating to {info.file_size:,})")

    def scan(self, name: str, *, count_rows: bool = False, count_strings: bool = False,
             consumer: Callable[[bytes], None] | None = None) -> tuple[bytes | None, int, int]:
        """Read part ``name`` with a bounded read; reject DTDs; count rows and cells (a sheet)
        or strings (the shared-strings part, returned as cells) if asked; hand each chunk
        read to ``consumer``.

        Returns (content or None when not kept, rows, cells). Only parts up to 4 MB are kept.
        """
        info = self.infos[name]
        self.scanned.add(name)
        is_xml = not (name.startswith(_NOT_XML_PREFIXES) or name.lower().endswith(_NOT_XML_SUFFIXES))
        keep = info.file_size <= 4_000_000
        kept: list[bytes] = []
        rows = cells = size = 0
        tail = b""
        try:
            with self.zip.open(info) as stream:
                while True:
                    chunk = stream.read(_CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    self.total += len(chunk)
                    if size > self.limits.max_part_bytes or self.total > self.limits.max_uncompressed_bytes:
                        raise WorkbookError(self.file, f"the part {name} inflates beyond the limit (a zip bomb)",
                                            expected=f"at most {self.limits.max_uncompressed_bytes:,} bytes in all",
                                            found=f"more than {self.total:,} bytes")
                    if keep:
                        kept.append(chunk)
                    # Matches inside the chunk, plus those spanning the previous boundary.
                    junction = tail + chunk[:_OVERLAP]
                    if is_xml and any(p in chunk or p in junction for p in _DTD_PATTERNS):
                        raise WorkbookError(
                            self.file, f"the part {name} declares a DTD or XML entities, which can read local "
                            "files or expand without bound (an XML entity bomb)",
                            expected="plain Office XML without <!DOCTYPE> or <!ENTITY>",
                            found="a <!DOCTYPE>/<!ENTITY> declaration",
                            hint="Excel never writes these; the file was crafted or damaged")
                    if count_rows:
                        rows += _count(chunk, tail, _ROW_TAGS)
                        cells += _count(chunk, tail, _CELL_TAGS) + _merged_cells(chunk, tail)
                        if rows > self.limits.max_rows_per_sheet or cells > self.limits.max_cells:
                            break  # over a limit already: the caller reports it, no need to read on
                    if count_strings:
                        cells += _count(chunk, tail, _STRING_TAGS)
                    if consumer is not None:
                        consumer(chunk)
                    tail = chunk[-_OVERLAP:]
        except WorkbookError:
            raise
        except Exception as exc:  # BadZipFile (bad CRC), zlib.error, EOFError, NotImplementedError ...
            raise WorkbookError(self.file, f"the zip part {name} is damaged", expected="a readable .xlsx zip",
                                found=f"{type(exc).__name__}: {exc}", hint="Download or copy the file again") from None
        return (b"".join(kept) if keep else None), rows, cells

    def xml(self, name: str) -> Any:
        """Parse a (small, scanned) XML part with defusedxml."""
        from defusedxml import ElementTree as SafeET

        content, _, _ = self.scan(name)
        if content is None:
            raise WorkbookError(self.file, f"the part {name} is too large for a workbook directory part",
                                expected="at most 4,000,000 bytes", found=f"{self.infos[name].file_size:,} bytes")
        try:
            return SafeET.fromstring(content)
        except Exception as exc:  # ParseError, defusedxml's DTDForbidden/EntitiesForbidden, ...
            raise WorkbookError(self.file, f"the part {name} is not well-formed XML",
                                expected="well-formed Office XML", found=f"{type(exc).__name__}: {exc}") from None

    def relationships(self, part: str) -> list[tuple[str, str, str, str]]:
        """(id, type, target part or URL, mode) of ``part``'s relationships."""
        rels = _rels_part(part) if part else "_rels/.rels"
        if rels not in self.infos:
            return []
        out = []
        for element in self.xml(rels).iter():
            if _local(element.tag) != "Relationship":
                continue
            target = element.get("Target", "")
            mode = element.get("TargetMode", "Internal")
            resolved = target if mode == "External" else _resolve_target(part, target)
            out.append((element.get("Id", ""), element.get("Type", ""), resolved, mode))
        return out


def _external_links(package: _Package, parts: list[str]) -> list[str]:
    """Targets of the external-link ``parts`` the workbook part relates to; a part under
    ``xl/externalLinks/`` that none of them names still counts, as "(an external workbook)"."""
    links = [link for part in parts if part in package.infos for _, _, link, _ in package.relationships(part)]
    if not links and any(n.startswith("xl/externalLinks/") and n.endswith(".xml") for n in package.infos):
        links.append("(an external workbook)")
    return links


def package_external_links(data: bytes, file: str = "workbook", limits: Limits = DEFAULT_LIMITS) -> list[str]:
    """Targets of the links to other files in the .xlsx package ``data`` (its ``xl/externalLinks/``
    parts), read with the same bounded, DTD-rejecting scan as :func:`open_workbook`."""
    package = _Package(file, data, limits)
    main = next((target for _, kind, target, _ in package.relationships("") if kind.endswith("/officeDocument")),
                "xl/workbook.xml")
    return _external_links(package, [target for _, kind, target, _ in package.relationships(main)
                                     if kind.endswith("/externalLink")])


def _inspect_package(file: str, data: bytes, limits: Limits) -> WorkbookInfo:
    package = _Package(file, data, limits)
    names = set(package.infos)
    info = WorkbookInfo(file=file, parts=sorted(names))
    main = next((target for _, kind, target, _ in package.relationships("")
                 if kind.endswith("/officeDocument")), None)
    if main is None or main not in names:
        if "xl/workbook.bin" in names:
            found = "an Excel binary workbook (.xlsb)"
        elif "word/document.xml" in names:
            found = "a Word document"
        elif "ppt/presentation.xml" in names:
            found = "a PowerPoint presentation"
        elif "content.xml" in names and "mimetype" in names:
            found = "an OpenDocument file (.ods/.odt)"
        elif "xl/workbook.xml" in names:
            found = "an .xlsx whose package relationships (_rels/.rels) are missing or broken"
        else:
            found = f"a zip with {len(names)} part(s) and no workbook part"
        raise WorkbookError(file, "this is not an Excel workbook", expected="an .xlsx workbook", found=found, hint=SAVE_AS)
    if main.endswith(".bin"):
        raise WorkbookError(file, "this is an Excel binary workbook (.xlsb), which xlcompute does not read",
                            expected="an .xlsx workbook", found="the .xlsb format", hint=SAVE_AS)
    info.has_macros = any(n.lower().endswith("vbaproject.bin") for n in names)
    if info.has_macros:
        info.notes.append("The workbook contains VBA macros; they were not run and are not kept.")

    # Sheet names and their parts, from the workbook part and its relationships.
    rels = {rid: (kind, target, mode) for rid, kind, target, mode in package.relationships(main)}
    defined: list[LocatedFormula] = []
    for element in package.xml(main).iter():
        tag = _local(element.tag)
        if tag == "workbookPr":
            info.date1904 = (_attribute(element, "date1904") or "").lower() in ("1", "true")
        elif tag == "definedName" and element.text:
            defined.append(LocatedFormula("=" + element.text.lstrip("="), name=element.get("name", "?")))
        elif tag == "sheet":
            rid = _attribute(element, "id")
            kind, target, _ = rels.get(rid or "", ("", "", ""))
            if target in names:
                info.sheets[element.get("name", target)] = target
    info.external_links = _external_links(package, [target for kind, target, _ in rels.values()
                                                    if kind.endswith("/externalLink")])

    # Every part through the bounded, DTD-rejecting scan; sheets counted and their formulas
    # and texts checked as they stream.
    check = _formula_checker(info, limits)
    for formula in defined:
        check(formula)
    sheet_of_part = {part: sheet for sheet, part in info.sheets.items()}
    for name in sorted(names, key=lambda n: (n in sheet_of_part, n)):
        sheet = sheet_of_part.get(name)
        if name in package.scanned and sheet is None:
            continue
        strings = name.lower().endswith("sharedstrings.xml")
        scanner = PartScanner(sheet, check, _text_too_long(file, sheet)) if sheet is not None or strings else None
        _, rows, cells = package.scan(name, count_rows=sheet is not None, count_strings=strings,
                                      consumer=scanner.feed if scanner else None)
        if scanner is not None:
            scanner.close()
        if strings and cells > limits.max_cells:
            raise WorkbookError(file, f"the shared-strings part {name} holds more strings than the workbook may have cells",
                                expected=f"at most {limits.max_cells:,} strings", found=f"{cells:,} strings")
        if sheet is not None:
            info.rows[sheet] = rows
            info.cells += cells
            if rows > limits.max_rows_per_sheet:
                raise WorkbookError(file, "the sheet has too many rows", sheet=sheet,
                                    expected=f"at most {limits.max_rows_per_sheet:,} rows",
                                    found=f"at least {rows:,} rows", hint="Scenario workbooks need only a few hundred rows; "
                                    "move bulk data out of the workbook")
            if info.cells > limits.max_cells:
                raise WorkbookError(file, "the workbook has too many cells", sheet=sheet,
                                    expected=f"at most {limits.max_cells:,} cells in all",
                                    found=f"at least {info.cells:,} cells by this sheet (a merged area counts every cell it covers)")
    info.uncompressed_bytes = package.total
    package.zip.close()
    return info


def _formula_checker(info: WorkbookInfo, limits: Limits) -> Callable[[LocatedFormula], None]:
    """What the guard does with each formula as the parts stream (cells and defined names): count
    it, hold it to Excel's length and nesting limits, and record what it refers to outside the
    workbook (:mod:`.formula_text`), before openpyxl or any engine reads one."""
    sheets = list(info.sheets)

    def check(formula: LocatedFormula) -> None:
        info.formulas += 1
        if info.formulas > limits.max_formulas:
            raise WorkbookError(info.file, "the workbook has too many formulas", sheet=formula.sheet,
                                expected=f"at most {limits.max_formulas:,} formulas",
                                found=f"more than {limits.max_formulas:,}")
        scan = scan_formula(formula.text)
        over = limit_problem(formula.text, scan)
        if over is not None:
            raise WorkbookError(info.file, "the formula is over Excel's limits", sheet=formula.sheet, cell=formula.cell,
                                name=formula.name, expected=over[0], found=over[1],
                                hint="Excel cannot hold this formula; the file was crafted or damaged")
        info.formula_findings.extend((formula, f) for f in formula_findings(formula.text, sheets, scan))

    return check


def _text_too_long(file: str, sheet: str | None) -> Callable[[str | None, int], None]:
    def fail(cell: str | None, length: int) -> None:
        raise WorkbookError(file, "a cell holds more text than Excel allows", sheet=sheet, cell=cell,
                            expected=f"at most {MAX_CELL_TEXT:,} characters (Excel's limit)",
                            found=f"{length:,} characters" if cell else f"a run of {length:,} bytes of text")
    return fail


def _locate_unreadable_number(file: str, data: bytes, info: WorkbookInfo) -> WorkbookError | None:
    """Find the cell behind openpyxl's ValueError on a number it cannot parse (e.g. NaN)."""
    cell_re = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        for sheet, part in info.sheets.items():
            xml = archive.read(part)
            for match in cell_re.finditer(xml):
                attrs = dict(re.findall(rb'([\w:]+)="([^"]*)"', match.group(1)))
                if attrs.get(b"t", b"n") != b"n" or not match.group(2):
                    continue
                value = re.search(rb"<(?:\w+:)?v>([^<]*)</", match.group(2))
                if value is None:
                    continue
                text = value.group(1).decode("utf-8", "replace").strip()
                try:
                    float(text) if any(ch in text for ch in ".eE") else int(text)
                except ValueError:
                    return WorkbookError(file, "a number cell holds something that is not a number",
                                         sheet=sheet, cell=attrs.get(b"r", b"?").decode("ascii", "replace"),
                                         expected="a number", found=f"{text!r}")
    except Exception:  # best effort only
        return None
    return None


def _reraise_ours(exc: BaseException) -> None:
    """Raise the xlcompute error (the time limit, from a signal handler) that openpyxl wrapped into
    its own "could not read" error, if there is one behind ``exc``."""
    seen = exc.__cause__ or exc.__context__
    while seen is not None:
        if isinstance(seen, XlcomputeError):
            raise seen from None
        seen = seen.__cause__ or seen.__context__


def open_workbook(path: str | os.PathLike, *, data_only: bool = False, read_only: bool = False,
                  keep_vba: bool = False, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Open an untrusted .xlsx/.xlsm workbook with openpyxl, or raise :class:`WorkbookError`.

    ``data_only=True`` reads the values Excel cached instead of the formulas. The input file
    is read once into memory and never written. Macros are never run; ``keep_vba`` is
    accepted for symmetry with openpyxl but must stay False (xlcompute never writes them back).
    The returned workbook carries a :class:`WorkbookInfo` (see :func:`workbook_info`).
    """
    file = os.fspath(path)
    if keep_vba:
        raise WorkbookError(file, "keep_vba=True is not allowed: xlcompute never keeps or runs macros")
    data = _read_bounded(file, limits)
    if not data.startswith(b"PK\x03\x04") or not zipfile.is_zipfile(io.BytesIO(data)):
        raise not_a_zip(file, data)  # judged by its bytes: says what it is (or that a zip is truncated)
    info = _inspect_package(file, data, limits)
    info.data = data

    import openpyxl

    if not openpyxl.DEFUSEDXML:  # pragma: no cover - defusedxml is a dependency
        info.notes.append("defusedxml is not installed; DTDs are still rejected by the scan above.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=read_only, data_only=data_only,
                                        keep_vba=False, keep_links=True, rich_text=False)
    except WorkbookError:
        raise
    except ValueError as exc:
        _reraise_ours(exc)
        located = _locate_unreadable_number(file, data, info)
        if located is not None:
            raise located from None
        raise WorkbookError(file, "openpyxl could not read the workbook", expected="a valid .xlsx workbook",
                            found=f"{type(exc).__name__}: {exc}", hint=SAVE_AS + " again") from None
    except RecursionError:
        raise WorkbookError(file, "the workbook's XML is nested too deeply", expected="a valid .xlsx workbook",
                            found="runaway nesting") from None
    except MemoryError:
        raise WorkbookError(file, "the workbook needs more memory than available to open",
                            expected="a workbook within the documented limits", found="too much content") from None
    except Exception as exc:
        _reraise_ours(exc)
        raise WorkbookError(file, "openpyxl could not read the workbook", expected="a valid .xlsx workbook",
                            found=f"{type(exc).__name__}: {exc}", hint=SAVE_AS + " again") from None
    if read_only:
        # A read-only sheet iterates up to its declared <dimension>, which a file can inflate
        # to A1:XFD1048576; past the rows actually counted, let openpyxl measure the content.
        for ws in wb.worksheets:
            declared = getattr(ws, "max_row", None) or 0
            if declared > info.rows.get(ws.title, 0) or (getattr(ws, "max_column", None) or 0) > 16_384:
                ws.reset_dimensions()
    else:
        for ws in wb.worksheets:
            max_row, max_col = getattr(ws, "max_row", 0) or 0, getattr(ws, "max_column", 0) or 0
            if max_row > limits.max_rows_per_sheet:
                wb.close()
                raise WorkbookError(file, "the sheet extends past the row limit", sheet=ws.title,
                                    expected=f"at most {limits.max_rows_per_sheet:,} rows",
                                    found=f"content at row {max_row:,}")
            if max_row * max_col > limits.max_sheet_area:
                wb.close()
                raise WorkbookError(file, "the sheet's used range is too large", sheet=ws.title,
                                    expected=f"a used range of at most {limits.max_sheet_area:,} cells",
                                    found=f"A1:{column_letters(max_col)}{max_row} ({max_row * max_col:,} cells)",
                                    hint="Delete stray content far from the data (Ctrl+End shows the last cell)")
    wb.xlcompute_info = info
    return wb


def check_file(path: str | os.PathLike, limits: Limits = DEFAULT_LIMITS) -> os.stat_result:
    """Raise :class:`WorkbookError` unless ``path`` is a regular file within the size limit
    (missing, a folder, a device, unreadable or too large: one message each); its ``stat``."""
    file = os.fspath(path)
    try:
        st = os.stat(file)
    except FileNotFoundError:
        parent = Path(file).parent
        hint = None
        if parent.is_dir():
            near = closest(Path(file).name, [p.name for p in parent.iterdir() if p.suffix.lower() in (".xlsx", ".xlsm")])
            hint = f"Did you mean {', '.join(near)}?" if near else None
        raise WorkbookError(file, "the file does not exist", hint=hint) from None
    except OSError as exc:
        raise WorkbookError(file, f"the file cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise WorkbookError(file, "this is a folder, not a workbook file")
    if not stat.S_ISREG(st.st_mode):
        raise WorkbookError(file, "this is not a regular file (a device, pipe or socket)")
    if st.st_size > limits.max_file_bytes:
        raise WorkbookError(file, "the file is too large", expected=f"at most {limits.max_file_bytes:,} bytes",
                            found=f"{st.st_size:,} bytes")
    if not os.access(file, os.R_OK):
        raise WorkbookError(file, "the file cannot be read (permission denied)")
    return st


def _read_bounded(file: str, limits: Limits) -> bytes:
    check_file(file, limits)
    try:
        chunks, size = [], 0
        with open(file, "rb") as handle:  # chunked: read(n) would allocate n bytes up front
            while size <= limits.max_file_bytes and (chunk := handle.read(min(1 << 20, limits.max_file_bytes + 1 - size))):
                chunks.append(chunk)
                size += len(chunk)
        data = b"".join(chunks)
    except OSError as exc:
        raise WorkbookError(file, f"the file cannot be read ({exc.strerror or exc})") from None
    if len(data) > limits.max_file_bytes:
        raise WorkbookError(file, "the file is too large", expected=f"at most {limits.max_file_bytes:,} bytes",
                            found=f"more than {limits.max_file_bytes:,} bytes")
    return data
