"""xlwings' classic COM machinery on Linux, for tests and benchmarks.

- :func:`com_udfs` stubs the three pywin32 modules, imports the real ``xlwings.udfs``, swaps
  ``xw.func/arg/ret`` for its COM decorators, installs a fake "excel" engine and reloads
  ``xlcompute.udfs`` (decorators bind at import); everything is undone on exit.
- :func:`call_like_com` does what ``xlwings.udfs.call_udf`` does for each call with value
  arguments: look the module up (``get_udf_module``, which checks its file's mtime), put the
  calling cell (a :class:`FakeRange`) into the reserved ``caller`` argument, pass every other
  argument through ``xlwings.conversion.read`` and the result through ``conversion.write`` (a
  Range argument is read with the same options from ``Range.raw_value``: the same rows; a
  :class:`FakeRange` argument is passed as a reference, as COM passes a Range).
- The pywin32 stub has pywin32's ``win32com.client.VARIANT`` (``varianttype``, ``value``) and
  ``pythoncom.VT_ERROR``, so an error value written back is seen as the VARIANT COM would get.
- :func:`import_functions` runs the real ``xlwings.udfs.import_udfs`` ("Import Functions")
  against a fake workbook and returns the VBA module and the ``MacroOptions`` calls.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import types
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pytest

import xlwings
import xlwings as xw

#: What VBA passes for an omitted Optional argument.
MISSING = -2147352572
#: xlwings._xlwindows.cell_errors: COM codes of Excel's error values.
COM_ERRORS = {
    -2146826281: "#DIV/0!", -2146826246: "#N/A", -2146826259: "#NAME?", -2146826288: "#NULL!",
    -2146826252: "#NUM!", -2146826265: "#REF!", -2146826273: "#VALUE!",
}
NA = -2146826246
#: pythoncom.VT_ERROR: the VARTYPE of an error VARIANT (what VBA's CVErr makes).
VT_ERROR = 10


class VARIANT:
    """pywin32's ``win32com.client.VARIANT``: a value with an explicit VARTYPE, which pywin32's
    ``PyCom_VariantFromPyObject`` checks for first, alone or inside a returned array."""

    def __init__(self, vt: int, value: Any) -> None:
        self.varianttype = vt
        self.value = value

    def __repr__(self) -> str:
        return f"VARIANT({self.varianttype!r}, {self.value!r})"


def is_error_variant(value: Any, code: str) -> bool:
    """True for the error VARIANT of Excel's ``code`` (``"#VALUE!"``), as COM would receive it."""
    return (isinstance(value, VARIANT) and value.varianttype == VT_ERROR
            and COM_ERRORS.get(value.value) == code)


class FakeBook:
    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def app(self) -> types.SimpleNamespace:
        """The app whose engine ``xlwings.conversion`` reads a Range with: the fake "excel" engine."""
        return types.SimpleNamespace(engine=xlwings.engines["excel"])


class FakeSheet:
    def __init__(self, name: str, book: str) -> None:
        self.name = name
        self.book = FakeBook(book)


class FakeRange:
    """The parts of an ``xlwings.Range`` the add-in reads: its sheet, book, top-left cell and raw value."""

    def __init__(self, row: int, column: int, raw_value: Any = None, sheet: str = "Sheet1",
                 book: str = "excel_functions.xlsm") -> None:
        self.row, self.column, self.raw_value = row, column, raw_value
        self.sheet = FakeSheet(sheet, book)


class FakeExcelEngine:
    """``xlwings._xlwindows.Engine`` without COM: the same cleaning of values read and written."""

    name, type, apps = "excel", "desktop", None

    @staticmethod
    def prepare_xl_data_element(x: Any, date_format: Any) -> Any:
        if x is None:
            return ""
        if isinstance(x, (np.floating, float)) and np.isnan(x):
            return ""
        if isinstance(x, np.number):
            return float(x)
        return x

    @staticmethod
    def clean_value_data(data, datetime_builder, empty_as, number_builder, err_to_str):
        def clean(c: Any) -> Any:
            if c in ("", None):
                return empty_as
            if number_builder is not None and isinstance(c, float):
                return number_builder(c)
            if isinstance(c, int) and c in COM_ERRORS:
                return COM_ERRORS[c] if err_to_str else None
            return c

        return [[clean(c) for c in row] for row in data]


def _stub_pywin32(mp: pytest.MonkeyPatch) -> None:
    pythoncom = types.ModuleType("pythoncom")
    pythoncom.CoInitialize = lambda: None
    pythoncom.VT_ERROR = VT_ERROR
    pywintypes = types.ModuleType("pywintypes")
    pywintypes.com_error = type("com_error", (Exception,), {})
    client = types.ModuleType("win32com.client")
    client.Dispatch = lambda *a, **k: None
    client.VARIANT = VARIANT
    win32com = types.ModuleType("win32com")
    win32com.client = client
    for name, module in {"pythoncom": pythoncom, "pywintypes": pywintypes, "win32com": win32com,
                         "win32com.client": client}.items():
        mp.setitem(sys.modules, name, module)


@contextlib.contextmanager
def fake_excel_engine() -> Iterator[None]:
    """xlwings.engines holding only the fake "excel" engine (for ``xlwings.conversion``)."""
    mp = pytest.MonkeyPatch()
    engines = xlwings.main.Engines()
    engines.add(xlwings.main.Engine(impl=FakeExcelEngine()))
    mp.setattr(xlwings, "engines", engines)
    try:
        yield
    finally:
        mp.undo()


@contextlib.contextmanager
def com_udfs(module_name: str = "xlcompute.udfs") -> Iterator[tuple[types.ModuleType, types.ModuleType]]:
    """``(xlwings.udfs, module)`` with xlwings' COM decorators applied to ``module``."""
    mp = pytest.MonkeyPatch()
    had_xl_udfs = "xlwings.udfs" in sys.modules
    module = importlib.import_module(module_name)
    try:
        with fake_excel_engine():
            _stub_pywin32(mp)
            xl_udfs = importlib.import_module("xlwings.udfs")
            for name, decorator in {"func": xl_udfs.xlfunc, "arg": xl_udfs.xlarg, "ret": xl_udfs.xlret,
                                    "sub": xl_udfs.xlsub}.items():
                mp.setattr(xw, name, decorator)
            module = importlib.reload(module)
            # What xlwings caches after the first call of a module (checked by mtime on every call).
            xl_udfs.udf_modules[module_name] = {"filename": module.__file__,
                                                "filetime": os.path.getmtime(module.__file__), "module": module}
            yield xl_udfs, module
    finally:
        if "xlwings.udfs" in sys.modules:
            sys.modules["xlwings.udfs"].udf_modules.pop(module_name, None)
        mp.undo()
        if not had_xl_udfs:
            sys.modules.pop("xlwings.udfs", None)
            if "udfs" in vars(xlwings):
                delattr(xlwings, "udfs")
        importlib.reload(module)


def call_like_com(fn: Callable[..., Any], *values: Any, caller: FakeRange | None = None) -> Any:
    """Mirror of ``xlwings.udfs.call_udf`` (needs the fake engine): the per-call module look-up
    (``get_udf_module``), the calling cell in the reserved ``caller`` argument (``caller``,
    default A1 of Sheet1), then ``conversion.read`` of every other argument (a
    :class:`FakeRange` read as a Range, anything else as a value), the call and
    ``conversion.write`` of the result with the registered options."""
    from xlwings import conversion

    xl_udfs = sys.modules.get("xlwings.udfs")
    if xl_udfs is not None and fn.__module__ in xl_udfs.udf_modules:
        fn = getattr(xl_udfs.get_udf_module(fn.__module__, None), fn.__name__)
    info = fn.__xlfunc__
    args_info = [a for a in info["args"] if a["name"] != "caller"]
    values = list(values) + [MISSING] * (len(args_info) - len(values))
    args = []
    for i, value in enumerate(values):
        arg_info = args_info[min(i, len(args_info) - 1)]
        if isinstance(value, int) and value == MISSING:
            args.append(arg_info.get("optional", None))
        elif isinstance(value, FakeRange):
            args.append(conversion.read(value, None, arg_info["options"]))
        else:
            args.append(conversion.read(None, value, arg_info["options"]))
    for arg_info in info["args"]:
        if arg_info["name"] == "caller":
            args.insert(arg_info["pos"], FakeRange(1, 1) if caller is None else caller)
    return conversion.write(fn(*args), None, info["ret"]["options"])


class _VBComponents:
    """Captures the module "Import Functions" writes into the workbook's VBA project."""

    def __init__(self) -> None:
        self.imported = ""

    def __call__(self, name: str) -> str:
        return name

    def Remove(self, component: Any) -> None:  # noqa: N802 - COM name
        pass

    def Import(self, path: str) -> None:  # noqa: N802 - COM name
        self.imported = Path(path).read_text()


def import_functions(xl_udfs: types.ModuleType, module: types.ModuleType,
                     workbook_name: str = "excel_functions.xlsm") -> tuple[str, list[dict[str, Any]]]:
    """Run xlwings' own ``import_udfs`` against a fake workbook: (VBA module, MacroOptions calls)."""
    components = _VBComponents()
    macro_options: list[dict[str, Any]] = []
    workbook = types.SimpleNamespace(
        Name=workbook_name,
        VBProject=types.SimpleNamespace(VBComponents=components),
        Application=types.SimpleNamespace(
            Version="16.0",
            MacroOptions=lambda macro, **kw: macro_options.append({"Macro": macro, **kw}),
        ),
    )
    # The per-module cache xlwings fills on first use keeps import_udfs off the workbook's COM object.
    previous = xl_udfs.udf_modules.get(module.__name__)
    xl_udfs.udf_modules[module.__name__] = {"filename": module.__file__, "filetime": None, "module": module}
    try:
        xl_udfs.import_udfs(module.__name__, workbook)
    finally:
        if previous is None:
            xl_udfs.udf_modules.pop(module.__name__, None)
        else:
            xl_udfs.udf_modules[module.__name__] = previous
    return components.imported, macro_options
