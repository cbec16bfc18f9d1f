"""The registry of Excel functions: one declaration per function, read by every face.

``REGISTRY["TRAIN_COST"]`` is an :class:`ExcelFunction`: call it with Excel-style arguments
for the value a cell shows (never raises), or ``.run(...)`` for the same call with its
formula breakdown and the catalog rows its setups resolved. The xlwings adapter
(:mod:`xlcompute.excel`) generates the add-in's functions from it; the headless workbook
evaluator and the CLI use it directly and never import xlwings.
"""

from . import catalog_functions, demand_functions, ownership_functions, range_functions, serving_functions  # noqa: F401 - registers
from . import training_functions  # noqa: F401 - registers
from . import ownership_catalog_functions  # noqa: F401 - registers
from .calling import COM_MISSING, is_blank
from .excel_values import COM_ERRORS, EXCEL_ERRORS, error_code, is_error
from .spec import CATEGORY, REGISTRY, Argument, ExcelFunction, Outcome

__all__ = ["CATEGORY", "COM_ERRORS", "COM_MISSING", "EXCEL_ERRORS", "REGISTRY", "Argument", "ExcelFunction", "Outcome",
           "error_code", "is_blank", "is_error"]
