"""xlwings' classic COM machinery on Linux, for tests and benchmarks.

- :func:`com_udfs` stubs the three pywin32 modules, imports the real ``xlwings.udfs``, swaps
  ``xw.func/arg/ret`` for its COM decorators, installs a fake "excel" engine and reloads
  ``xlcompute.udfs`` (decorators bind at import); everything is undone on exit.
- :func:`call_like_com` does what ``xlwings.udfs.call_udf`` does for each call with value
  arguments: look the module up (``get_udf_module``, which checks its file's mtime), pass every
  argument through ``xlwings.conversion.read`` and the result through ``conversion.write`` (a
  Range argument is read with the same options from ``Range.raw_value``: the same rows).
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
    pywintypes = types.ModuleType("pywintypes")
    pywintypes.com_error = type("com_error", (Exception,), {})
    client = types.ModuleType("win32com.client")
    client.Dispatch = lambda *a, **k: None
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


def call_like_com(fn: Callable[..., Any], *values: Any) -> Any:
    """Mirror of ``xlwings.udfs.call_udf`` for value arguments (needs the fake engine): the
    per-call module look-up (``get_udf_module``), then ``conversion.read`` of every argument,
    the call and ``conversion.write`` of the result with the registered options."""
    from xlwings import conversion

    xl_udfs = sys.modules.get("xlwings.udfs")
    if xl_udfs is not None and fn.__module__ in xl_udfs.udf_modules:
        fn = getattr(xl_udfs.get_udf_module(fn.__module__, None), fn.__name__)
    info = fn.__xlfunc__
    args_info = info["args"]
    values = list(values) + [MISSING] * (len(args_info) - len(values))
    args = []
    for i, value in enumerate(values):
        arg_info = args_info[min(i, len(args_info) - 1)]
        if isinstance(value, int) and value == MISSING:
            args.append(arg_info.get("optional", None))
        else:
            args.append(conversion.read(None, value, arg_info["options"]))
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
