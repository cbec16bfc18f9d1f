"""Languages of the documents xlcompute writes: message catalogs and locale formats.

English is the source language. Every other language is a gettext catalog in
``xlcompute/locale/<locale>/LC_MESSAGES/xlcompute.po`` (extracted from the templates and the
code with Babel: ``make messages``), read at run time with Babel, so there is no compiled file
to keep in step. Large numbers, percentages and dates are formatted by Babel from the CLDR data
of the language (``70.6 billion`` / ``706亿``, ``2 June 2025`` / ``2025年6月2日``); amounts keep
the same digits in every language, with the ISO currency code in front
(:func:`xlcompute.report.formatting.money`).
"""

from __future__ import annotations

import datetime as _dt
import functools
import gettext
import io
from decimal import Decimal
from importlib import resources
from typing import Any

from ..core.errors import XlcomputeError

#: Languages a document can be written in: the code users type, the name shown to them.
LANGUAGES = {"en": "English", "zh-CN": "简体中文"}
DEFAULT_LANGUAGE = "en"
DOMAIN = "xlcompute"
#: Above this magnitude words stop helping ("315 thousand trillion"): scientific notation.
MAX_WORDED = 1e15


def N_(message: str) -> str:
    """Mark ``message`` for translation where it is defined (Babel extracts ``N_`` calls); the
    template translates it where it is shown."""
    return message


class UnknownLanguage(XlcomputeError):
    pass


def check_language(lang: str) -> str:
    """``lang`` itself when xlcompute writes that language, else :class:`UnknownLanguage`."""
    if lang not in LANGUAGES:
        known = ", ".join(LANGUAGES)
        raise UnknownLanguage(f"unknown language {lang!r}: xlcompute writes {known}.")
    return lang


def babel_locale(lang: str) -> str:
    """The Babel/CLDR locale of a language code: ``zh-CN`` -> ``zh_CN``."""
    return check_language(lang).replace("-", "_")


@functools.lru_cache(maxsize=None)
def translations(lang: str = DEFAULT_LANGUAGE) -> gettext.NullTranslations:
    """The messages of ``lang`` (English: the source text itself)."""
    if check_language(lang) == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo  # noqa: PLC0415
    from babel.messages.pofile import read_po  # noqa: PLC0415

    po = resources.files(__package__) / babel_locale(lang) / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=babel_locale(lang), domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def gettext_for(lang: str):
    """The ``_()`` function of ``lang``."""
    return translations(lang).gettext


def translate_text(value: Any, lang: str = DEFAULT_LANGUAGE) -> Any:
    """A text xlcompute wrote (a generated workbook's label, a formula's title) in ``lang``, as
    plain text for the template to escape; anything else, or a text the catalog lacks, unchanged.

    Unlike the templates' ``_()``, the result is never markup and never a ``%`` format: the text
    may come from a workbook (an English label the catalog knows is shown translated).
    """
    if not isinstance(value, str) or not value.strip() or lang == DEFAULT_LANGUAGE:
        return value  # gettext("") would be the catalog's header
    return translations(lang).gettext(value)


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and not hasattr(value, "__len__"):  # numpy scalars
        value = value.item()
    return value


def format_number(value: Any, lang: str = DEFAULT_LANGUAGE, digits: int = 3) -> str:
    """A number for reading in ``lang``: ``1,234``, ``0.4``, ``70.6 billion`` / ``706亿``.

    Magnitudes from a million up are written in words with ``digits`` significant figures;
    above :data:`MAX_WORDED`, in scientific notation (``3.15 × 10²³``).
    """
    from babel.numbers import format_compact_decimal, format_decimal  # noqa: PLC0415

    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return str(value)
    locale = babel_locale(lang)
    magnitude = abs(float(value))
    if magnitude >= MAX_WORDED:
        mantissa, exponent = f"{float(value):.{digits - 1}e}".split("e")
        return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    if magnitude >= 1e6:
        rounded = float(f"{float(value):.{digits - 1}e}")  # ``digits`` significant figures first
        return format_compact_decimal(rounded, format_type="long", locale=locale, fraction_digits=digits - 1)
    if magnitude and magnitude < 1e-3:
        mantissa, exponent = f"{float(value):.{digits - 1}e}".split("e")
        return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    return format_decimal(value, format=_significant_pattern(magnitude, digits), locale=locale)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _significant_pattern(magnitude: float, digits: int) -> str:
    """A CLDR pattern with grouping and enough optional decimals for ``digits`` significant figures."""
    import math  # noqa: PLC0415

    whole_digits = int(math.floor(math.log10(magnitude))) + 1 if magnitude >= 1 else 0
    decimals = max(0, digits - whole_digits) if magnitude >= 1 else digits + int(-math.floor(math.log10(magnitude))) - 1
    return "#,##0" + ("." + "#" * decimals if decimals else "")


def format_date(value: Any, lang: str = DEFAULT_LANGUAGE) -> str:
    """A date in ``lang``'s long form: ``2 June 2025`` / ``2025年6月2日``."""
    from babel.dates import format_date as babel_date  # noqa: PLC0415

    if isinstance(value, _dt.datetime):
        value = value.date()
    if not isinstance(value, _dt.date):
        return str(value if value is not None else "")
    pattern = "d MMMM y" if lang == DEFAULT_LANGUAGE else "long"
    return babel_date(value, pattern, locale=babel_locale(lang))


def format_percent(value: Any, lang: str = DEFAULT_LANGUAGE) -> str:
    """A fraction as a percentage: ``0.15`` -> ``15%``."""
    from babel.numbers import format_percent as babel_percent  # noqa: PLC0415

    value = _plain(value)
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return str(value if value is not None else "")
    return babel_percent(value, format="#,##0.##%", locale=babel_locale(lang))
