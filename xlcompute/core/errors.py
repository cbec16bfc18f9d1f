"""The one error type of xlcompute, and the argument checks every formula uses.

Checks accept a number or an array-like (anything with ``.any()`` and comparison
operators, e.g. a numpy array) so the same formula serves one cell and a spilled range,
without the core importing numpy.
"""

from __future__ import annotations

import difflib
import math
from typing import Any, Iterable


class XlcomputeError(ValueError):
    """Bad input to xlcompute. ``argument`` names the offending argument.

    The message says which argument, what was expected, what was found and, for ids,
    the closest valid ids.
    """

    def __init__(self, message: str, *, argument: str | None = None, suggestions: Iterable[str] = ()):
        self.argument = argument
        self.suggestions = list(suggestions)
        super().__init__(message)

    def for_argument(self, argument: str) -> "XlcomputeError":
        """The same error reported against ``argument``: the message's leading ``name:`` label
        (the core's own argument name) is replaced, e.g. ``"batch: ..."`` -> ``"concurrent_requests: ..."``
        for an Excel function or ``"--concurrent-requests: ..."`` for a CLI option."""
        message = str(self)
        head, sep, rest = message.partition(": ")
        if sep and " " not in head:
            message = rest
        return XlcomputeError(f"{argument}: {message}", argument=argument, suggestions=self.suggestions)


def closest(name: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The ids in ``choices`` closest to ``name`` (case-insensitive)."""
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    hits = difflib.get_close_matches(str(name).lower(), list(lowered), n=n, cutoff=0.4)
    return [lowered[h] for h in hits]


def unknown_id(kind: str, argument: str, name: Any, choices: Iterable[str]) -> XlcomputeError:
    """An error for an id that is not in a catalog, suggesting the closest ids."""
    choices = list(choices)
    hints = closest(str(name), choices)
    hint = f" Did you mean {', '.join(repr(h) for h in hints)}?" if hints else ""
    return XlcomputeError(
        f"{argument}: unknown {kind} {str(name)!r}.{hint} "
        f"Run `xlcompute {kind}s` to list the {len(choices)} known ids.",
        argument=argument,
        suggestions=hints,
    )


def _is_array(value: Any) -> bool:
    return hasattr(value, "any") and hasattr(value, "shape")


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, bool):
        return f"the boolean {value}"
    if value is None:
        return "nothing (an empty value)"
    return repr(value)


def check_number(argument: str, value: Any, *, minimum: float | None = 0.0, strict: bool = False,
                 maximum: float | None = None, integer: bool = False) -> None:
    """Raise :class:`XlcomputeError` unless ``value`` is a finite number in range.

    ``minimum``/``maximum`` bound the value (``strict`` excludes ``minimum`` itself).
    Arrays are checked element-wise.
    """
    if _is_array(value):
        try:
            finite = value == value  # NaN != NaN
            bad = (~finite).any() or (abs(value) == math.inf).any()
        except TypeError as exc:
            raise XlcomputeError(f"{argument}: expected numbers, found non-numeric values.", argument=argument) from exc
        if bad:
            raise XlcomputeError(f"{argument}: expected finite numbers, found NaN or infinity.", argument=argument)
        if minimum is not None and ((value <= minimum) if strict else (value < minimum)).any():
            relation = "greater than" if strict else "at least"
            raise XlcomputeError(f"{argument}: every value must be {relation} {minimum:g}.", argument=argument)
        if maximum is not None and (value > maximum).any():
            raise XlcomputeError(f"{argument}: every value must be at most {maximum:g}.", argument=argument)
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        # numpy scalars and similar expose __float__; accept them.
        if isinstance(value, bool) or not hasattr(value, "__float__") or isinstance(value, str):
            raise XlcomputeError(f"{argument}: expected a number, found {_describe(value)}.", argument=argument)
        value = float(value)
    if not math.isfinite(value):
        raise XlcomputeError(f"{argument}: expected a finite number, found {value!r}.", argument=argument)
    if minimum is not None and (value <= minimum if strict else value < minimum):
        relation = "greater than" if strict else "at least"
        raise XlcomputeError(f"{argument}: must be {relation} {minimum:g}, found {value:g}.", argument=argument)
    if maximum is not None and value > maximum:
        raise XlcomputeError(f"{argument}: must be at most {maximum:g}, found {value:g}.", argument=argument)
    if integer and value != int(value):
        raise XlcomputeError(f"{argument}: must be a whole number, found {value:g}.", argument=argument)


def check_positive(argument: str, value: Any) -> None:
    """A finite number greater than zero."""
    check_number(argument, value, minimum=0.0, strict=True)


def check_fraction(argument: str, value: Any) -> None:
    """A fraction in (0, 1], e.g. MFU or usable memory share."""
    check_number(argument, value, minimum=0.0, strict=True, maximum=1.0)


def check_choice(argument: str, value: Any, choices: Iterable[Any]) -> None:
    """One of ``choices`` (compared as given)."""
    choices = list(choices)
    if value not in choices:
        hints = closest(str(value), [str(c) for c in choices])
        hint = f" Did you mean {hints[0]!r}?" if hints else ""
        raise XlcomputeError(
            f"{argument}: expected one of {', '.join(repr(c) for c in choices)}, found {_describe(value)}.{hint}",
            argument=argument,
            suggestions=hints,
        )
