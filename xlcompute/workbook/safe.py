"""Opening untrusted workbooks: guards, clear errors, and safe reading and writing of cells.

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
the file. :func:`read_number` and :func:`read_text` read one named cell with messages naming
sheet and cell; :func:`safety_problems` lists external links and circular references;
:func:`write_text` and :func:`safe_cell_text` keep user strings from becoming formulas.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import os
import re
import stat
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Iterable

from ..atomic import atomic_write
from ..core.errors import XlcomputeError, closest

__all__ = [
    "DEFAULT_LIMITS",
    "EXCEL_ERRORS",
    "Limits",
    "WorkbookError",
    "WorkbookInfo",
    "atomic_write",
    "describe_value",
    "find_circular_references",
    "find_external_links",
    "open_workbook",
    "read_number",
    "read_text",
    "resolve_cell",
    "safe_cell_text",
    "safety_problems",
    "workbook_info",
    "write_text",
]

#: The error values Excel stores in cells (``t="e"``).
EXCEL_ERRORS = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
     "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "#CONNECT!", "#BUSY!"}
)

#: Largest magnitude read_number accepts unless told otherwise: above any real token count,
#: parameter count, price or FLOP total (GPT-4-scale training is ~2e25 FLOP).
DEFAULT_MAXIMUM = 1e30


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


DEFAULT_LIMITS = Limits()


# --------------------------------------------------------------------------------------
# The error type


class WorkbookError(XlcomputeError):
    """A workbook that cannot be used, and why: file, sheet, cell, expected, found.

    ``str(error)`` is one paragraph: ``"<file>, sheet 'Inputs', cell B4 (name 'tokens'):
    expected <expected>, found <found>. <hint>"``.
    """

    def __init__(self, file: str | os.PathLike | None, message: str | None = None, *,
                 sheet: str | None = None, cell: str | None = None, name: str | None = None,
                 expected: str | None = None, found: str | None = None, hint: str | None = None,
                 suggestions: Iterable[str] = ()):
        self.file = os.fspath(file) if file is not None else None
        self.sheet = sheet
        self.cell = cell
        self.name = name
        self.expected = expected
        self.found = found
        self.hint = hint
        where = [f"{self.file}" if self.file else "workbook"]
        if sheet is not None:
            where.append(f"sheet {sheet!r}")
        if cell is not None:
            where.append(f"cell {cell}")
        location = ", ".join(where) + (f" (name {name!r})" if name else "")
        parts = []
        if message:
            parts.append(message.rstrip("."))
        if expected is not None or found is not None:
            parts.append(f"expected {expected or 'a valid value'}, found {found or 'something else'}")
        detail = f"{'; '.join(parts) or 'cannot be used'}."
        if hint:
            detail += f" {hint}" + ("" if hint.endswith((".", "?", "!")) else ".")
        #: The message without the location, for listings that print sheet and cell themselves.
        self.detail = " ".join(detail.split())
        super().__init__(f"{location}: {self.detail}", argument=name, suggestions=suggestions)


# --------------------------------------------------------------------------------------
# What a workbook contains, learned while checking it


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


def workbook_info(wb: Any) -> WorkbookInfo | None:
    """The :class:`WorkbookInfo` of a workbook returned by :func:`open_workbook`."""
    return getattr(wb, "xlcompute_info", None)


# --------------------------------------------------------------------------------------
# Recognising what a file is

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_SAVE_AS = "Open it in Excel and save it as an Excel Workbook (.xlsx)"


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def _not_a_zip(file: str, data: bytes) -> WorkbookError:
    """The error for a file that is not a zip: say what it looks like instead."""
    head = data[:8]
    if head == _OLE2_MAGIC:
        # An OLE2 compound file: legacy .xls, or OOXML encrypted with a password (MS-OFFCRYPTO
        # stores it as EncryptionInfo + EncryptedPackage streams); stream names are UTF-16LE.
        if _utf16("EncryptionInfo") in data or _utf16("EncryptedPackage") in data:
            return WorkbookError(
                file, "the workbook is password-protected (encrypted)",
                expected="an unencrypted .xlsx workbook", found="an encrypted OLE2 package",
                hint="Remove the password in Excel (File > Info > Protect Workbook > Encrypt with Password) and save again",
            )
        if _utf16("Workbook") in data or _utf16("Book") in data:
            return WorkbookError(
                file, "this is a legacy Excel 97-2003 workbook (.xls), which xlcompute does not read",
                expected="an .xlsx workbook", found="the binary .xls format", hint=_SAVE_AS,
            )
        return WorkbookError(
            file, "this is an OLE2 compound document (an old Office file), not an Excel workbook",
            expected="an .xlsx workbook", found="an OLE2 file without a Workbook stream", hint=_SAVE_AS,
        )
    if data.startswith(_ZIP_MAGICS):
        return WorkbookError(
            file, "the file is truncated or damaged: it starts like a zip but its directory is missing",
            expected="a complete .xlsx file", found=f"{len(data):,} bytes without the end of the zip",
            hint="Download or copy the file again",
        )
    if not data.strip():
        return WorkbookError(file, "the file is empty", expected="an .xlsx workbook", found="0 bytes of content")
    sample = data[:4096]
    text = _as_text(sample)
    if text is not None:
        lowered = text.lstrip("\ufeff \r\n\t").lower()
        if lowered.startswith(("<html", "<!doctype html", "<table")):
            kind = "an HTML page (some systems export 'Excel' files as HTML)"
        elif lowered.startswith("<?xml") and "urn:schemas-microsoft-com:office:spreadsheet" in lowered:
            kind = "an Excel 2003 XML spreadsheet"
        elif _looks_like_csv(text):
            kind = "a CSV or text table"
        else:
            kind = "a text file"
        return WorkbookError(file, f"this is {kind}, not an Excel workbook",
                             expected="an .xlsx workbook (a zip package)", found=kind.split(" (")[0], hint=_SAVE_AS)
    return WorkbookError(
        file, "this is not an Excel workbook",
        expected="an .xlsx workbook (a zip package starting with 'PK')",
        found=f"unknown binary content starting with bytes {data[:8].hex(' ')}",
    )


def _as_text(sample: bytes) -> str | None:
    if b"\x00" in sample and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    for encoding in ("utf-8-sig", "utf-16", "cp1252"):
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError:
            continue
        printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
        if text and printable / len(text) > 0.95:
            return text
    return None


def _looks_like_csv(text: str) -> bool:
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if not lines:
        return False
    for sep in (",", ";", "\t", "|"):
        counts = [line.count(sep) for line in lines]
        if counts[0] > 0 and all(c > 0 for c in counts):
            return True
    return False


# --------------------------------------------------------------------------------------
# The zip checks


_DTD_PATTERNS = tuple(
    pattern
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for pattern in (marker.encode(), _utf16(marker), marker.encode("utf-16-be"))
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


_MERGE = re.compile(rb'mergeCell\s+ref="\$?([A-Z]{1,3})\$?(\d{1,7})(?::\$?([A-Z]{1,3})\$?(\d{1,7}))?"')


def _merged_cells(chunk: bytes, tail: bytes) -> int:
    """Cells covered by <mergeCell ref="A1:C3"> elements that end in ``chunk`` (not in ``tail``)."""
    if b"mergeCell" not in chunk and b"mergeCell" not in tail:
        return 0
    buffer = tail + chunk
    total = 0
    for match in _MERGE.finditer(buffer):
        if match.end() <= len(tail):
            continue  # seen with the previous chunk
        c1, r1, c2, r2 = match.groups()
        if c2 is None:
            continue
        total += (abs(_column_index(c2.decode()) - _column_index(c1.decode())) + 1) * (abs(int(r2) - int(r1)) + 1)
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

    def scan(self, name: str, *, count_rows: bool = False, count_strings: bool = False) -> tuple[bytes | None, int, int]:
        """Read part ``name`` with a bounded read; reject DTDs; count rows and cells (a sheet)
        or strings (the shared-strings part, returned as cells) if asked.

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
        raise WorkbookError(file, "this is not an Excel workbook", expected="an .xlsx workbook", found=found, hint=_SAVE_AS)
    if main.endswith(".bin"):
        raise WorkbookError(file, "this is an Excel binary workbook (.xlsb), which xlcompute does not read",
                            expected="an .xlsx workbook", found="the .xlsb format", hint=_SAVE_AS)
    info.has_macros = any(n.lower().endswith("vbaproject.bin") for n in names)
    if info.has_macros:
        info.notes.append("The workbook contains VBA macros; they were not run and are not kept.")

    # Sheet names and their parts, from the workbook part and its relationships.
    rels = {rid: (kind, target, mode) for rid, kind, target, mode in package.relationships(main)}
    for element in package.xml(main).iter():
        tag = _local(element.tag)
        if tag == "sheet":
            rid = _attribute(element, "id")
            kind, target, _ = rels.get(rid or "", ("", "", ""))
            if target in names:
                info.sheets[element.get("name", target)] = target
    for rid, (kind, target, mode) in rels.items():
        if kind.endswith("/externalLink") and target in names:
            for _, _, link, link_mode in package.relationships(target):
                info.external_links.append(link)
    if any(n.startswith("xl/externalLinks/") and n.endswith(".xml") for n in names) and not info.external_links:
        info.external_links.append("(an external workbook)")

    # Every part through the bounded, DTD-rejecting scan; sheets counted as they stream.
    sheet_of_part = {part: sheet for sheet, part in info.sheets.items()}
    for name in sorted(names, key=lambda n: (n in sheet_of_part, n)):
        sheet = sheet_of_part.get(name)
        if name in package.scanned and sheet is None:
            continue
        strings = name.lower().endswith("sharedstrings.xml")
        _, rows, cells = package.scan(name, count_rows=sheet is not None, count_strings=strings)
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
        if data.startswith(b"PK\x03\x04"):
            raise _not_a_zip(file, data)  # truncated: starts like a zip, no directory
        raise _not_a_zip(file, data)
    info = _inspect_package(file, data, limits)

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
        located = _locate_unreadable_number(file, data, info)
        if located is not None:
            raise located from None
        raise WorkbookError(file, "openpyxl could not read the workbook", expected="a valid .xlsx workbook",
                            found=f"{type(exc).__name__}: {exc}", hint=_SAVE_AS + " again") from None
    except RecursionError:
        raise WorkbookError(file, "the workbook's XML is nested too deeply", expected="a valid .xlsx workbook",
                            found="runaway nesting") from None
    except MemoryError:
        raise WorkbookError(file, "the workbook needs more memory than available to open",
                            expected="a workbook within the documented limits", found="too much content") from None
    except Exception as exc:
        raise WorkbookError(file, "openpyxl could not read the workbook", expected="a valid .xlsx workbook",
                            found=f"{type(exc).__name__}: {exc}", hint=_SAVE_AS + " again") from None
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
                from openpyxl.utils import get_column_letter

                wb.close()
                raise WorkbookError(file, "the sheet's used range is too large", sheet=ws.title,
                                    expected=f"a used range of at most {limits.max_sheet_area:,} cells",
                                    found=f"A1:{get_column_letter(max_col)}{max_row} ({max_row * max_col:,} cells)",
                                    hint="Delete stray content far from the data (Ctrl+End shows the last cell)")
    wb.xlcompute_info = info
    return wb


def _read_bounded(file: str, limits: Limits) -> bytes:
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


# --------------------------------------------------------------------------------------
# Reading one cell


def describe_value(value: Any) -> str:
    """How a cell value reads in an error message ("the text 'ten'", "the date 2024-01-05")."""
    if value is None:
        return "an empty cell"
    if isinstance(value, bool):
        return f"the boolean {str(value).upper()}"
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return f"the date/time {value.isoformat()} (a number formatted as a date)"
    if isinstance(value, _dt.timedelta):
        return f"the duration {value}"
    if isinstance(value, str):
        if value.strip() in EXCEL_ERRORS:
            return f"the Excel error {value.strip()}"
        if value.startswith("="):
            return f"the formula {_short(value)} without a computed value"
        return f"the text {_short(value)!r}"
    if isinstance(value, float) and math.isnan(value):
        return "NaN (not a number)"
    if isinstance(value, (int, float)):
        return f"{value:g}"
    name = type(value).__name__
    if name in ("ArrayFormula", "DataTableFormula"):
        text = getattr(value, "text", "")
        return f"the array formula {_short(str(text))} without a computed value"
    return f"a {name} value"


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


def _split_ref(ref: str) -> tuple[str | None, str]:
    if "!" not in ref:
        return None, ref
    sheet, _, coord = ref.rpartition("!")
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    return sheet, coord


def _defined_names(wb: Any) -> dict[str, Any]:
    """Workbook-level and sheet-level defined names, keyed lower-case."""
    names: dict[str, Any] = {}
    for ws in wb.worksheets:
        for key, dn in (getattr(ws, "defined_names", None) or {}).items():
            names.setdefault(key.lower(), dn)
    for key, dn in (getattr(wb, "defined_names", None) or {}).items():
        names[key.lower()] = dn
    return names


def _file_of(wb: Any, file: str | os.PathLike | None) -> str | None:
    if file is not None:
        return os.fspath(file)
    info = workbook_info(wb)
    return info.file if info else None


def resolve_cell(wb: Any, name_or_ref: str, *, file: str | os.PathLike | None = None) -> tuple[str | None, str | None, Any]:
    """(sheet title, coordinate, cell) for a defined name or a ``Sheet!A1`` reference.

    A defined name that is a constant (``=0.4``) gives ``(None, None, value)``. Raises
    :class:`WorkbookError` listing the sheets or names that exist when one is missing.
    """
    file = _file_of(wb, file)
    names = _defined_names(wb)
    label = None
    ref = name_or_ref.strip()
    if "!" not in ref and not _REF.match(ref):
        label = ref
        dn = names.get(ref.lower())
        if dn is None:
            known = sorted(getattr(d, "name", k) for k, d in names.items())
            hints = closest(ref, known)
            raise WorkbookError(
                file, f"the workbook has no defined name {ref!r}",
                expected=f"a named cell {ref!r}",
                found=f"{len(known)} defined name(s): {', '.join(known[:30]) or 'none'}" + (" …" if len(known) > 30 else ""),
                hint=(f"Did you mean {', '.join(repr(h) for h in hints)}? " if hints else "")
                + "Define it with Formulas > Name Manager",
                suggestions=hints)
        text = (dn.attr_text or "").strip()
        if "#REF!" in text.upper():
            raise WorkbookError(file, "the defined name points to a deleted cell", name=ref,
                                expected="a reference to one cell", found=f"the reference {text!r}",
                                hint="Fix it in Formulas > Name Manager")
        constant = _constant(text)
        if constant is not None:
            return None, None, constant
        if text.startswith("[") or re.match(r"^'?\[", text):
            raise WorkbookError(file, "the defined name points into another workbook (an external link)", name=ref,
                                expected="a cell in this workbook", found=f"the reference {text!r}")
        ref = text.lstrip("=")
    sheet, coord = _split_ref(ref)
    coord = coord.replace("$", "")
    if ":" in coord:
        first, _, last = coord.partition(":")
        if first.upper() != last.upper():
            raise WorkbookError(file, "the reference covers more than one cell", sheet=sheet, cell=coord, name=label,
                                expected="a single cell", found=f"the range {coord}")
        coord = first
    if not _REF.match(coord):
        raise WorkbookError(file, "the reference is not a cell", sheet=sheet, name=label,
                            expected="a cell reference such as Inputs!B4", found=f"{ref!r}")
    titles = list(wb.sheetnames)
    if sheet is None:
        raise WorkbookError(file, "the reference does not name a sheet", cell=coord, name=label,
                            expected="a reference such as Inputs!B4", found=f"{ref!r}")
    if sheet not in titles:
        match = next((t for t in titles if t.lower() == sheet.lower()), None)
        if match is None:
            hints = closest(sheet, titles)
            raise WorkbookError(file, f"the workbook has no sheet {sheet!r}", cell=coord, name=label,
                                expected=f"a sheet named {sheet!r}", found=f"the sheets {', '.join(repr(t) for t in titles)}",
                                hint=f"Did you mean {hints[0]!r}?" if hints else None, suggestions=hints)
        sheet = match
    coord = coord.upper()
    ws = wb[sheet]
    return sheet, coord, ws[coord]


def _constant(text: str) -> float | None:
    try:
        value = float(text.lstrip("="))
    except ValueError:
        return None
    return value


def _cell_value(cell: Any) -> tuple[Any, str | None]:
    if cell is None or not hasattr(cell, "value"):
        return cell, None
    value = cell.value
    if getattr(cell, "data_type", None) == "e" and isinstance(value, str):
        return value, "e"
    return value, getattr(cell, "data_type", None)


def read_number(wb: Any, name_or_ref: str, *, file: str | os.PathLike | None = None, label: str | None = None,
                minimum: float | None = 0.0, strict: bool = True, maximum: float | None = DEFAULT_MAXIMUM,
                integer: bool = False) -> float | int:
    """The number in a named cell (or ``Sheet!A1``), or :class:`WorkbookError` naming sheet and cell.

    Rejects empty cells, text (including numbers stored as text), dates, booleans, Excel
    errors (#REF!, #DIV/0!, ...), formulas without a value, NaN and infinity, and numbers
    outside ``[minimum, maximum]`` (``strict`` excludes ``minimum``: by default the number
    must be positive). ``label`` says what the number is ("training tokens").
    """
    file = _file_of(wb, file)
    sheet, coord, cell = resolve_cell(wb, name_or_ref, file=file)
    value, kind = _cell_value(cell) if coord else (cell, "n")
    name = name_or_ref if "!" not in name_or_ref else None
    what = f"a number{f' ({label})' if label else ''}"

    def fail(found: str, hint: str | None = None, expected: str = what) -> WorkbookError:
        return WorkbookError(file, sheet=sheet, cell=coord, name=name, expected=expected, found=found, hint=hint)

    if isinstance(value, bool) or kind == "b":
        raise fail(describe_value(bool(value)))
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.upper() in EXCEL_ERRORS or kind == "e":
            raise fail(describe_value(stripped), "Fix the formula or the cells it refers to")
        if stripped.startswith("="):
            raise fail(describe_value(value), "Open and save the workbook in Excel so it stores values, or let xlcompute evaluate it")
        try:
            float(stripped.replace(",", ""))
            hint = "The number is stored as text: retype it, or use Data > Text to Columns"
        except ValueError:
            hint = None
        raise fail(describe_value(value), hint)
    if value is None:
        raise fail(describe_value(None), "Fill in the cell")
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time, _dt.timedelta)):
        raise fail(describe_value(value), "Format the cell as a number (Home > Number Format > General)")
    if not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise fail(describe_value(value)) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise fail(describe_value(value) if math.isnan(value) else f"{value}", expected=f"a finite number{f' ({label})' if label else ''}")
    if minimum is not None and (value <= minimum if strict else value < minimum):
        relation = "greater than" if strict else "at least"
        raise fail(f"{value:g}", expected=f"{what} {relation} {minimum:g}")
    if maximum is not None and value > maximum:
        raise fail(f"{value:g}", "The value is implausibly large; check the units", expected=f"{what} at most {maximum:g}")
    if integer and value != int(value):
        raise fail(f"{value:g}", expected=f"a whole number{f' ({label})' if label else ''}")
    return int(value) if integer else value


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def read_text(wb: Any, name_or_ref: str, *, file: str | os.PathLike | None = None, label: str | None = None,
              choices: Iterable[str] | None = None, required: bool = True, allow_number: bool = True,
              max_length: int = 255) -> str | None:
    """The text in a named cell (an id, a customer name), stripped, or :class:`WorkbookError`.

    Whole numbers are accepted as text when ``allow_number`` (quote number 1042). With
    ``choices`` the text must be one of them (case-insensitive; the canonical spelling is
    returned) and the closest ones are suggested. Control characters and Excel errors are
    rejected; the text is returned as data, never interpreted.
    """
    file = _file_of(wb, file)
    sheet, coord, cell = resolve_cell(wb, name_or_ref, file=file)
    value, kind = _cell_value(cell) if coord else (cell, "n")
    name = name_or_ref if "!" not in name_or_ref else None
    what = f"text{f' ({label})' if label else ''}"

    def fail(found: str, hint: str | None = None, expected: str = what, suggestions: Iterable[str] = ()) -> WorkbookError:
        return WorkbookError(file, sheet=sheet, cell=coord, name=name, expected=expected, found=found, hint=hint,
                             suggestions=suggestions)

    if value is None or (isinstance(value, str) and not value.strip()):
        if not required:
            return None
        raise fail(describe_value(None), "Fill in the cell")
    if isinstance(value, bool) or isinstance(value, (_dt.datetime, _dt.date, _dt.time, _dt.timedelta)):
        raise fail(describe_value(value))
    if isinstance(value, (int, float)):
        if allow_number and isinstance(value, int) or (isinstance(value, float) and value.is_integer() and allow_number):
            value = str(int(value))
        else:
            raise fail(describe_value(value))
    if not isinstance(value, str):
        raise fail(describe_value(value))
    text = value.strip()
    if text.upper() in EXCEL_ERRORS or kind == "e":
        raise fail(describe_value(text), "Fix the formula or the cells it refers to")
    if kind == "f" or (text.startswith("=") and kind != "s"):
        raise fail(describe_value(text), "Open and save the workbook in Excel so it stores values")
    if _CONTROL.search(text):
        raise fail("text with control characters", "Retype the cell")
    if len(text) > max_length:
        raise fail(f"{len(text):,} characters", expected=f"{what} of at most {max_length} characters")
    if choices is not None:
        options = list(choices)
        lowered = {str(c).lower(): str(c) for c in options}
        if text.lower() not in lowered:
            hints = closest(text, options)
            raise fail(f"{text!r}", (f"Did you mean {', '.join(repr(h) for h in hints)}?" if hints else None),
                       expected=f"one of {', '.join(repr(o) for o in options[:12])}{' …' if len(options) > 12 else ''}",
                       suggestions=hints)
        return lowered[text.lower()]
    return text


# --------------------------------------------------------------------------------------
# External links and circular references


def find_external_links(wb: Any) -> list[str]:
    """Targets of the workbook's links to other files (from its xl/externalLinks/ parts)."""
    info = workbook_info(wb)
    links = list(info.external_links) if info else []
    for link in getattr(wb, "_external_links", None) or []:
        target = getattr(getattr(link, "file_link", None), "Target", None)
        if target and target not in links:
            links.append(target)
    return links


_RANGE = re.compile(r"^\$?([A-Za-z]{1,3})?\$?(\d{1,7})?(?::\$?([A-Za-z]{1,3})?\$?(\d{1,7})?)?$")


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index


def _box(coord: str, max_row: int, max_col: int) -> tuple[int, int, int, int] | None:
    """(min_col, min_row, max_col, max_row) of A1, A1:B3, A:A or 1:1; None if not a range."""
    match = _RANGE.match(coord)
    if not match or not any(match.groups()):
        return None
    c1, r1, c2, r2 = match.groups()
    if ":" not in coord:
        if not (c1 and r1):
            return None
        c, r = _column_index(c1), int(r1)
        return c, r, c, r
    cols = (_column_index(c1) if c1 else 1, _column_index(c2) if c2 else max_col)
    rows = (int(r1) if r1 else 1, int(r2) if r2 else max_row)
    return min(cols), min(rows), max(cols), max(rows)


def find_circular_references(wb: Any, *, max_formulas: int = 200_000) -> list[list[str]]:
    """Groups of formula cells that depend on themselves (``Sheet!A1`` each), from the formulas.

    Needs a workbook opened with ``data_only=False``. References are found with openpyxl's
    formula Tokenizer (cells, ranges, whole rows/columns and defined names); each group
    is a strongly connected component of the formula graph, or one cell referring to itself.
    """
    from openpyxl.formula.tokenizer import Token, Tokenizer

    formulas: dict[tuple[str, int, int], str] = {}
    by_sheet: dict[str, list[tuple[int, int]]] = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = getattr(cell, "value", None)
                text = value if isinstance(value, str) else getattr(value, "text", None)
                if isinstance(text, str) and text.startswith("=") and getattr(cell, "data_type", "f") != "s":
                    formulas[(ws.title, cell.row, cell.column)] = text
                    by_sheet.setdefault(ws.title, []).append((cell.row, cell.column))
                    if len(formulas) > max_formulas:
                        return []
    if not formulas:
        return []
    names = _defined_names(wb)
    extent = {ws.title: (ws.max_row or 1, ws.max_column or 1) for ws in wb.worksheets}
    titles = {t.lower(): t for t in wb.sheetnames}

    def targets(sheet: str, operand: str, depth: int = 0) -> list[tuple[str, int, int]]:
        ref_sheet, coord = _split_ref(operand)
        if ref_sheet is not None:
            if ref_sheet.startswith("[") or "[" in ref_sheet:
                return []  # external workbook
            ref_sheet = titles.get(ref_sheet.lower())
            if ref_sheet is None:
                return []
        else:
            ref_sheet = sheet
            dn = names.get(operand.lower())
            if dn is not None and depth < 5:
                out = []
                for part in re.split(r",(?![^']*'(?:[^']*'[^']*')*[^']*$)", (dn.attr_text or "")):
                    out += targets(sheet, part.strip().lstrip("="), depth + 1)
                return out
        max_row, max_col = extent.get(ref_sheet, (1, 1))
        box = _box(coord.replace("$", ""), max_row, max_col)
        if box is None:
            return []
        c1, r1, c2, r2 = box
        if (c2 - c1 + 1) * (r2 - r1 + 1) <= 10_000:
            return [(ref_sheet, r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)
                    if (ref_sheet, r, c) in formulas]
        return [(ref_sheet, r, c) for r, c in by_sheet.get(ref_sheet, []) if r1 <= r <= r2 and c1 <= c <= c2]

    graph: dict[tuple[str, int, int], set[tuple[str, int, int]]] = {}
    for key, text in formulas.items():
        edges: set[tuple[str, int, int]] = set()
        try:
            items = Tokenizer(text).items
        except Exception:
            items = []
        for token in items:
            if token.type == Token.OPERAND and token.subtype == Token.RANGE:
                edges.update(targets(key[0], token.value))
        graph[key] = edges

    return [[_a1(node) for node in group] for group in _cycles(graph)]


def _a1(node: tuple[str, int, int]) -> str:
    from openpyxl.utils import get_column_letter

    sheet, row, col = node
    quoted = sheet if re.fullmatch(r"[A-Za-z_][\w.]*", sheet) else "'" + sheet.replace("'", "''") + "'"
    return f"{quoted}!{get_column_letter(col)}{row}"


def _cycles(graph: dict[Any, set[Any]]) -> list[list[Any]]:
    """Strongly connected components with a cycle (Tarjan, iterative), each sorted."""
    index: dict[Any, int] = {}
    low: dict[Any, int] = {}
    on_stack: set[Any] = set()
    stack: list[Any] = []
    out: list[list[Any]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1 or node in graph.get(node, ()):
                    out.append(sorted(group))
    return sorted(out)


def safety_problems(wb: Any, *, file: str | os.PathLike | None = None) -> list[WorkbookError]:
    """Problems that do not stop a workbook from opening but make its numbers untrustworthy:
    links to other workbooks, and circular references (for ``xlcompute check`` to list)."""
    file = _file_of(wb, file)
    problems = []
    for link in find_external_links(wb):
        problems.append(WorkbookError(
            file, "the workbook links to another file, whose values xlcompute cannot see",
            expected="a self-contained workbook", found=f"an external link to {_short(link, 120)!r}",
            hint="Break the link in Excel (Data > Edit Links > Break Link) and save"))
    for group in find_circular_references(wb):
        sheet, _, cell = group[0].rpartition("!")
        problems.append(WorkbookError(
            file, "circular reference: these cells depend on themselves", sheet=sheet.strip("'"), cell=cell,
            expected="formulas without cycles",
            found=", ".join(group[:10]) + (f" and {len(group) - 10} more" if len(group) > 10 else ""),
            hint="Excel cannot compute them without iteration; remove the cycle"))
    return problems


# --------------------------------------------------------------------------------------
# Writing user strings into workbooks (formula injection)

#: Leading characters that make Excel, LibreOffice or a CSV import treat text as a formula
#: (OWASP "CSV Injection"), including the full-width forms some IMEs produce.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell_text(value: Any) -> Any:
    """``value`` made safe to hand to a spreadsheet as a plain value (OWASP CSV-injection rule).

    Strings starting with ``= + - @``, tab, CR or LF get a leading apostrophe, which Excel
    shows as text; other values are returned unchanged. Use it where the cell type cannot be
    set (CSV, values returned to Excel); with openpyxl prefer :func:`write_text`, which keeps
    the exact string.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def write_text(cell: Any, value: Any) -> Any:
    """Write user text into an openpyxl cell as text, never as a formula.

    openpyxl turns any string starting with ``=`` into a formula; this stores it as a string
    cell instead, and sets Excel's quote prefix on strings starting with a formula trigger so
    Excel keeps them as text when the cell is edited. Returns the cell.
    """
    text = "" if value is None else str(value)
    cell.value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True
    return cell
