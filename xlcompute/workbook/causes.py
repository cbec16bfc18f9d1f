"""Errors by root cause: one problem where an error starts, one line for the cells it spreads to.

A typo in one input cell makes every formula below it show ``#VALUE!``: listing each of them
buries the one thing to fix. :func:`group_by_cause` finds the cells where errors *start* (an
error cell none of whose precedents shows an error) and, for an xlcompute function that failed
on one of its arguments, follows that argument to the input cell it names:

    Inputs!B5: GPU: unknown gpu 'h100-sxn'. Did you mean 'h100-sxm', ...? (it is the gpu of
    GPU_PRICE in Inputs!B13, the gpu of TRAIN_GPU_HOURS in Estimate!B6); 17 cell(s) depend on
    it and show errors (check again once it is fixed): Inputs!B13, Estimate!B6, ...

The function's own reason (an unknown id with the catalog's closest ids, no on-demand price
from that provider with the providers that have one) is the message; the problems the error
cells would each have given (``SUBTOTAL expected a number, found #VALUE!``) are folded into the
one line. An error that starts in a formula (``=1/0``) is reported at that formula; error cells
no cause can be found for (a cycle) keep their own problems.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, Iterable

from openpyxl.formula.tokenizer import Token, Tokenizer

from ..functions import REGISTRY
from ..functions.excel_values import address, error_code, is_error, parse_reference
from .dependencies import formula_graph
from .evaluate import CellIssue, Evaluation, base_name

Key = tuple[str, str]  # (sheet, cell)

#: Dependent cells listed by address in a cause's line; past this, counted.
LISTED_DEPENDENTS = 8
#: The errors of a name or reference that does not resolve.
_UNRESOLVED = ("#NAME?", "#REF!")


def _error_cells(ev: Evaluation) -> set[Key]:
    return {key for key in ev.formulas if is_error(ev.values.get(key)) or is_error(ev.computed.get(key))}


def _graphs(wb: Any, ev: Evaluation, errors: set[Key]) -> tuple[dict[Key, set[Key]], dict[Key, set[Key]]]:
    """(precedents, dependents) among the error cells, structured references to tables included."""
    edges: dict[Key, set[Key]] = defaultdict(set)
    for (sheet, row, column), sources in formula_graph(wb, max_formulas=10**7).items():
        key = (sheet, address(column, row))
        if key in errors:
            edges[key] |= {(s, address(c, r)) for s, r, c in sources}
    for key in errors:
        if "[" in ev.formulas[key] or any(name.lower() in ev.formulas[key].lower() for name in ev.tables):
            edges[key] |= _structured_precedents(key, ev)
    before: dict[Key, set[Key]] = defaultdict(set)
    after: dict[Key, set[Key]] = defaultdict(set)
    for key, sources in edges.items():
        for source in sources & errors - {key}:
            before[key].add(source)
            after[source].add(key)
    return before, after


_STRUCTURED = re.compile(r"([A-Za-z_\\][\w.]*)?\[(.*)\]", re.S)


def _structured_precedents(key: Key, ev: Evaluation) -> set[Key]:
    """The cells the structured references of ``key``'s formula name (``LineItems[Amount]``,
    ``[@Quantity]``, ``LineItems[[Quantity]:[Amount]]``, ``LineItems``): the data rows of the
    columns named (of the formula's own row for ``@``), all columns when none is."""
    try:
        items = Tokenizer(ev.formulas[key]).items
    except Exception:  # noqa: BLE001 - an unreadable formula names no cell
        return set()
    tables = {name.lower(): where for name, where in ev.tables.items()}
    row = _row_col(key[1])[0]
    found: set[Key] = set()
    for token in items:
        if not (token.type == Token.OPERAND and token.subtype == Token.RANGE):
            continue
        match = _STRUCTURED.fullmatch(token.value)
        name, spec = (match[1], match[2]) if match else (token.value, "")
        where = tables.get((name or "").lower()) if name else next(
            (w for w in tables.values() if w[0] == key[0] and _inside(row, w[1])), None)
        if where is None:
            continue
        sheet, ref = where
        c1, r1, c2, r2 = parse_reference(ref).bounds()
        header = {str(ev.values.get((sheet, address(c, r1)), "")).strip().lower(): c for c in range(c1, c2 + 1)}
        named = []
        for part in re.findall(r"\[([^\[\]]*)\]", spec) if "[" in spec else [spec]:
            title = part.strip().lstrip("@").strip().lower()
            if title and not title.startswith("#") and title in header:
                named.append(header[title])
        columns = range(min(named), max(named) + 1) if ":" in spec and named else named or range(c1, c2 + 1)
        rows = [row] if "@" in spec or "#this row" in spec.lower() else range(r1 + 1, r2 + 1)
        found |= {(sheet, address(c, r)) for c in columns for r in rows}
    return found


def _inside(row: int, ref: str) -> bool:
    _, r1, _, r2 = parse_reference(ref).bounds()
    return r1 < row <= r2


def _downstream(start: Key, after: dict[Key, set[Key]]) -> set[Key]:
    seen: set[Key] = set()
    todo = [start]
    while todo:
        for nxt in after.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def argument_text(formula: str, function: str, position: int) -> str | None:
    """The text of argument ``position`` (from 0) of the first call of ``function`` in ``formula``
    when it is one reference or name (``GPU``, ``Inputs!B5``); None otherwise."""
    try:
        items = Tokenizer(formula).items
    except Exception:  # noqa: BLE001 - an unreadable formula has no argument to follow
        return None
    depth = index = 0
    found: list[Any] = []
    for token in items:
        if depth == 0:
            if token.type == Token.FUNC and token.subtype == Token.OPEN and base_name(token.value[:-1]) == function:
                depth = 1
            continue
        if token.subtype == Token.OPEN:
            depth += 1
        elif token.subtype == Token.CLOSE:
            depth -= 1
            if depth == 0:
                break
        elif depth == 1 and token.type == Token.SEP and token.subtype == Token.ARG:
            index += 1
            continue
        if index == position and token.type != Token.WSPACE:
            found.append(token)
    if len(found) == 1 and found[0].type == Token.OPERAND and found[0].subtype == Token.RANGE:
        return found[0].value
    return None


def _cell_of(text: str, sheet: str, ev: Evaluation) -> Key | None:
    """The one cell ``text`` (a single-cell name or reference seen from ``sheet``) names, or None."""
    named = ev.names.get(text.upper())
    if named is not None:
        return named if named[0] in ev.sheets else None  # a name into a missing sheet names no cell
    reference = parse_reference(text)
    if reference is None or not reference.is_cell or reference.book is not None:
        return None
    if reference.sheet is None:
        return sheet, reference.coordinate
    titles = {title.lower(): title for title in ev.sheets}
    title = titles.get(reference.sheet.lower())
    return (title, reference.coordinate) if title else None


class _Cause:
    """Where one error starts: the input cell (or the failing cell) and what went wrong there."""

    def __init__(self, location: Key, why: str, failing: tuple[str, str, str] | None = None) -> None:
        self.location = location
        self.whys = [why]
        self.failing = [failing] if failing else []  # ("gpu", "GPU_PRICE", "Inputs!B13")
        self.dependents: set[Key] = set()


def _origin(root: Key, ev: Evaluation, issues: dict[Key, str], xl_cells: dict[Key, Any],
            bad_inputs: frozenset[Key] = frozenset()) -> tuple[Key, str, tuple[str, str, str] | None]:
    """(where the error at ``root`` comes from, why, which function failed where) for one root:
    the input cell an xlcompute function failed on (directly, or through computed cells that
    come from one of the ``bad_inputs``), else a cell holding an error value that the formula
    names, else ``root`` itself."""
    cell = xl_cells.get(root)
    failed = next((call for call in cell.calls if call.error), None) if cell is not None else None
    if failed is not None:
        text = str(failed.error)
        argument, _, why = text[len(error_code(text) or ""):].strip().partition(":")
        parameters = list(REGISTRY[failed.function].signature.parameters) if failed.function in REGISTRY else []
        source = argument_text(cell.formula, failed.function, parameters.index(argument)) \
            if argument in parameters else None
        target = _cell_of(source, root[0], ev) if source else None
        if target is not None and target in ev.formulas:  # computed: from an input already reported?
            target = _bad_precedent(target, ev, bad_inputs)
        if target is not None and target not in ev.formulas:  # a typed input, not a literal or a computed value
            names = [name for name, where in ev.names.items() if where == target]
            return (target, f"{names[0] if names else argument}: {why.strip()}",
                    (argument, failed.function, f"{root[0]}!{root[1]}"))
    own = issues.get(root, f"shows the error {ev.values.get(root)}")
    typed = _typed_error(root, ev)
    return (typed, issues.get(typed, own), None) if typed else (root, own, None)


def _bad_precedent(start: Key, ev: Evaluation, bad_inputs: frozenset[Key], depth: int = 6) -> Key | None:
    """The first of ``bad_inputs`` that the computed cell ``start`` is calculated from (cells its
    formula names, followed through ``depth`` formulas), or None."""
    frontier, seen = [start], {start}
    for _ in range(depth):
        following = []
        for key in frontier:
            try:
                items = Tokenizer(ev.formulas[key]).items
            except Exception:  # noqa: BLE001 - an unreadable formula names no cell
                continue
            for token in items:
                if token.type != Token.OPERAND or token.subtype != Token.RANGE:
                    continue
                cell = _cell_of(token.value, key[0], ev)
                if cell is None or cell in seen:
                    continue
                if cell in bad_inputs:
                    return cell
                seen.add(cell)
                if cell in ev.formulas:
                    following.append(cell)
        frontier = following
    return None


def _typed_error(root: Key, ev: Evaluation) -> Key | None:
    """The first cell ``root``'s formula names that holds an error as a value (typed, or pasted
    as a value), not computed: where an error then starts."""
    try:
        items = Tokenizer(ev.formulas[root]).items
    except Exception:  # noqa: BLE001 - an unreadable formula names no cell
        return None
    for token in items:
        if token.type == Token.OPERAND and token.subtype == Token.RANGE:
            cell = _cell_of(token.value, root[0], ev)
            if cell is not None and cell not in ev.formulas and is_error(ev.values.get(cell)):
                return cell
    return None


def _uses(failing: list[tuple[str, str, str]]) -> str:
    """``the gpu of GPU_PRICE in Inputs!B13, the gpu of TRAIN_GPU_HOURS in Estimate!B6``, cells of
    the same argument and function together."""
    cells: dict[tuple[str, str], list[str]] = {}
    for argument, function, cell in failing:
        cells.setdefault((argument, function), []).append(cell)
    return ", ".join(f"the {argument} of {function} in {_listed(where)}" for (argument, function), where in cells.items())


def _listed(cells: Iterable[Key | str]) -> str:
    cells = list(cells)
    shown = ", ".join(cell if isinstance(cell, str) else f"{cell[0]}!{cell[1]}" for cell in cells[:LISTED_DEPENDENTS])
    return shown + (f" and {len(cells) - LISTED_DEPENDENTS} more" if len(cells) > LISTED_DEPENDENTS else "")


def group_by_cause(wb: Any, ev: Evaluation, problems: list[CellIssue], inputs: Iterable[CellIssue] = ()
                   ) -> list[CellIssue]:
    """``problems`` with the error cells' problems replaced by one line per root cause (see the module).

    ``inputs`` are the problems of named inputs (also in ``problems``): the first one that is not at
    an error cell also takes the cells whose error starts at a name or reference that does not
    resolve (``#NAME?``, ``#REF!``), such as every name of a renamed sheet."""
    errors = _error_cells(ev)
    if not errors:
        return problems
    inputs = list(inputs)
    anchor = next(((p.sheet, p.cell) for p in inputs if (p.sheet, p.cell) not in errors), None)
    bad_inputs = frozenset((p.sheet, p.cell) for p in inputs)
    before, after = _graphs(wb, ev, errors)
    issues: dict[Key, str] = {}
    for p in ev.issues:
        issues.setdefault((p.sheet, p.cell), p.message)
    xl_cells = {(c.sheet, c.cell): c for c in ev.xlcompute_cells}
    order = {title: i for i, title in enumerate(ev.sheets)}

    def position(key: Key) -> tuple[int, int, int]:
        return (order.get(key[0], len(order)), *_row_col(key[1]))

    roots = sorted((k for k in errors if not before.get(k)), key=position)
    causes: dict[Key, _Cause] = {}
    for root in roots:
        location, why, failing = _origin(root, ev, issues, xl_cells, bad_inputs)
        if location == root and anchor is not None and error_code(ev.values.get(root)) in _UNRESOLVED:
            location = anchor
        cause = causes.get(location)
        if cause is None:
            cause = causes[location] = _Cause(location, why, failing)
        else:
            cause.whys += [why] if why not in cause.whys else []
            cause.failing += [failing] if failing else []
        cause.dependents |= _downstream(root, after) | ({root} if root != location else set())
    explained = set(causes) | {cell for cause in causes.values() for cell in cause.dependents}
    own_lines: dict[Key, CellIssue] = {}
    for p in problems:
        own_lines.setdefault((p.sheet, p.cell), p)
    lines, merged = [], []
    for location in sorted(causes, key=position):
        cause = causes[location]
        dependents = sorted(cause.dependents - {location}, key=position)
        kept = own_lines.get(location)
        whys = [why.rstrip(".") for why in cause.whys]
        if kept is not None:  # the contract's check of the cell speaks first (it names the input)
            merged.append(kept)
            whys = [kept.message.rstrip(".")] + ([] if location not in errors else
                                                  [why for why in whys if why != kept.message.rstrip(".")])
        text = "; ".join(whys)
        if cause.failing and location not in errors and kept is None:
            text += f" (it is {_uses(cause.failing)})"
        if dependents:
            text += (f"; {len(dependents)} cell(s) depend on it and show errors (check again once it is fixed): "
                     f"{_listed(dependents)}")
        lines.append(CellIssue(location[0], location[1], text))
    merged_ids = {id(p) for p in merged}
    return lines + [p for p in problems if id(p) not in merged_ids
                    and ((p.sheet, p.cell) not in errors or (p.sheet, p.cell) not in explained)]


def _row_col(cell: str) -> tuple[int, int]:
    reference = parse_reference(cell)
    if reference is None:
        return (0, 0)
    return (reference.first.row or 0, reference.first.column or 0)
