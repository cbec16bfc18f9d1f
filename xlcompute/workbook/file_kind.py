"""What a file that is not an .xlsx zip is: the error that says so (legacy .xls, an encrypted
workbook, CSV, HTML, a truncated zip, unknown bytes). The file is judged by its bytes, never
by its name: a workbook saved as ``quote.html`` or without an extension is still a workbook.
"""

from __future__ import annotations

from .errors import WorkbookError

__all__ = ["SAVE_AS", "not_a_zip", "utf16"]


_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
SAVE_AS = "Open it in Excel and save it as an Excel Workbook (.xlsx)"


def utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def not_a_zip(file: str, data: bytes) -> WorkbookError:
    """The error for a file that is not a zip: say what it looks like instead."""
    head = data[:8]
    if head == _OLE2_MAGIC:
        # An OLE2 compound file: legacy .xls, or OOXML encrypted with a password (MS-OFFCRYPTO
        # stores it as EncryptionInfo + EncryptedPackage streams); stream names are UTF-16LE.
        if utf16("EncryptionInfo") in data or utf16("EncryptedPackage") in data:
            return WorkbookError(
                file, "the workbook is password-protected (encrypted)",
                expected="an unencrypted .xlsx workbook", found="an encrypted OLE2 package",
                hint="Remove the password in Excel (File > Info > Protect Workbook > Encrypt with Password) and save again",
            )
        if utf16("Workbook") in data or utf16("Book") in data:
            return WorkbookError(
                file, "this is a legacy Excel 97-2003 workbook (.xls), which xlcompute does not read",
                expected="an .xlsx workbook", found="the binary .xls format", hint=SAVE_AS,
            )
        return WorkbookError(
            file, "this is an OLE2 compound document (an old Office file), not an Excel workbook",
            expected="an .xlsx workbook", found="an OLE2 file without a Workbook stream", hint=SAVE_AS,
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
                             expected="an .xlsx workbook (a zip package)", found=kind.split(" (")[0], hint=SAVE_AS)
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
