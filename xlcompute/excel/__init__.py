"""The xlwings face: Excel functions generated from the registry (:mod:`xlcompute.functions`).

:func:`xlwings_functions` decorates one thin function per registry entry with xlwings'
``func``/``arg``/``ret`` decorators (classic COM add-in or xlwings Lite, whichever
``import xlwings`` provides); :mod:`xlcompute.udfs` is the module users name in the add-in.
"""

from .adapter import COM_RANGE, OFFICE_JS_RANGE, converter_options, xlwings_functions

__all__ = ["COM_RANGE", "OFFICE_JS_RANGE", "converter_options", "xlwings_functions"]
