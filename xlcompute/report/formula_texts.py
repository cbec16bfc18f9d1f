"""The formula breakdown's texts in another language: each formula's title, the meaning of its
result and of each input, and its assumptions.

They are declared once, with the formula (``@formula`` in :mod:`xlcompute.core`), in English;
the internal proposal shows them through the language's catalog (the templates' ``tr`` filter).
:func:`extract_texts` is the Babel extractor that lists them (``make messages``, babel.cfg) from
the formula registry itself, so the catalog cannot miss a formula.
"""

from __future__ import annotations

from typing import Any, Iterator


def formula_texts() -> dict[str, str]:
    """Every reader-facing text of the registered formulas (units written as words, such as
    ``tokens`` or ``GPU-hours``, included), each with the formula it first came from."""
    from ..core.formula import REGISTRY  # noqa: PLC0415
    from ..functions import REGISTRY as EXCEL_FUNCTIONS  # noqa: PLC0415,F401 - registers every core formula

    texts: dict[str, str] = {}
    for name, fn in sorted(REGISTRY.items()):
        info = fn.__formula__
        terms = (info.result, *info.terms.values())
        for text in (info.title, *(t.description for t in terms), info.assumptions, *(t.unit for t in terms)):
            if text and text.strip() and any(ch.isalpha() for ch in text):
                texts.setdefault(text, name)
    return texts


def extract_texts(fileobj: Any, keywords: Any, comment_tags: Any, options: Any) -> Iterator[tuple]:
    """Babel extraction method (babel.cfg): the formulas' texts, as (line, function, message,
    comments) tuples."""
    for text, name in formula_texts().items():
        yield 0, None, text, [f"formula text ({name})"]


__all__ = ["extract_texts", "formula_texts"]
