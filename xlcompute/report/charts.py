"""Charts of the proposal, drawn with matplotlib as vector SVG (inlined in the HTML).

The SVG is deterministic (fixed hash salt, no date metadata) so that two renders of the
same workbook give identical PDFs. Text stays text (``svg.fonttype = none``) so that it is
searchable in the PDF. Sensitivity series come from calling the xlcompute functions again
with one argument varied: the chart draws what the core computes, nothing else.
"""

from __future__ import annotations

import inspect
import io
from typing import Any, Callable, Sequence

from markupsafe import Markup

from .formatting import number

NAVY = "#1F3A5F"
TEAL = "#2A7F8F"
GREY = "#8A96A3"
ACCENT = "#D9822B"

#: Arguments a sensitivity chart may vary, with the values tried and an axis label.
SENSITIVITY_ARGUMENTS = {
    "mfu": ([0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6], "Model FLOPs utilisation (MFU)"),
    "batch": ([1, 2, 4, 8, 16, 32, 64, 128, 256], "Concurrent requests per replica"),
}


def _pyplot() -> Any:
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    plt.rcParams.update({
        "svg.fonttype": "none",
        "svg.hashsalt": "xlcompute",
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.edgecolor": GREY,
        "axes.titleweight": "bold",
        "axes.titlesize": 10,
    })
    return plt


def _svg(fig: Any, salt: str) -> Markup:
    plt = _pyplot()
    plt.rcParams["svg.hashsalt"] = f"xlcompute-{salt}"
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "xlcompute"}, bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    text = text[text.index("<svg"):]  # drop the XML prolog and DOCTYPE: the SVG is inlined
    return Markup(text)


def cost_by_line_item(descriptions: Sequence[str], amounts: Sequence[float], currency: str) -> Markup:
    """Horizontal bars: amount of every line item."""
    plt = _pyplot()
    height = 0.45 + 0.42 * len(descriptions)
    fig, ax = plt.subplots(figsize=(6.6, max(1.6, height)))
    positions = list(range(len(descriptions)))[::-1]
    bars = ax.barh(positions, amounts, color=NAVY, height=0.6)
    ax.set_yticks(positions, labels=list(descriptions))
    ax.set_xlabel(f"Amount [{currency}]")
    ax.set_title("Cost by line item")
    top = max(amounts) if amounts else 1
    ax.set_xlim(0, top * 1.22)
    for bar, amount in zip(bars, amounts):
        ax.text(bar.get_width() + top * 0.01, bar.get_y() + bar.get_height() / 2, f"{amount:,.0f}",
                va="center", fontsize=8)
    ax.xaxis.set_major_formatter(_thousands())
    return _svg(fig, "cost")


def price_build_up(steps: Sequence[tuple[str, float]], currency: str) -> Markup:
    """A waterfall from the subtotal to the total (margin up, discount down, tax up)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.6, 2.6))
    running = 0.0
    for i, (label, amount) in enumerate(steps):
        is_total = i in (0, len(steps) - 1)
        bottom = 0.0 if is_total else (running if amount >= 0 else running + amount)
        color = NAVY if is_total else (TEAL if amount >= 0 else ACCENT)
        ax.bar(i, abs(amount), bottom=bottom, color=color, width=0.6)
        ax.text(i, bottom + abs(amount), f"{amount:,.0f}", ha="center", va="bottom", fontsize=8)
        running = amount if is_total else running + amount
    ax.set_xticks(range(len(steps)), labels=[label for label, _ in steps])
    ax.set_ylabel(f"[{currency}]")
    ax.set_title("Price build-up")
    ax.yaxis.set_major_formatter(_thousands())
    return _svg(fig, "build-up")


def sensitivity(function: Callable[..., Any], args: tuple[Any, ...], label: str, unit: str,
                current: float | None) -> Markup | None:
    """The result of ``function(*args)`` with one argument (MFU, batch ...) varied, or None.

    Each point is a real call of the Excel function (hence the core formula).
    """
    try:
        parameters = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return None
    for argument, (grid, axis_label) in SENSITIVITY_ARGUMENTS.items():
        if argument not in parameters or parameters.index(argument) >= len(args):
            continue
        index = parameters.index(argument)
        xs, ys = [], []
        for x in grid:
            varied = list(args)
            varied[index] = x
            y = function(*varied)
            if isinstance(y, (int, float)) and not isinstance(y, bool):
                xs.append(x)
                ys.append(float(y))
        if len(xs) < 2:
            continue
        plt = _pyplot()
        fig, ax = plt.subplots(figsize=(6.6, 2.6))
        ax.plot(xs, ys, marker="o", color=NAVY, linewidth=1.6, markersize=4)
        used = args[index]
        if isinstance(used, (int, float)) and isinstance(current, (int, float)):
            ax.plot([used], [current], marker="D", color=ACCENT, markersize=7, linestyle="none",
                    label=f"this quote: {number(used)} → {number(current)}")
            ax.legend(frameon=False, fontsize=8)
        ax.set_xlabel(axis_label)
        ax.set_ylabel(f"{label} [{unit}]" if unit else label)
        short = axis_label[axis_label.find("(") + 1:-1] if axis_label.endswith(")") else axis_label.lower()
        ax.set_title(f"{label} against {short}")
        ax.grid(axis="y", color="#DDE3EA", linewidth=0.6)
        if argument == "batch":
            ax.set_xscale("log", base=2)
        ax.yaxis.set_major_formatter(_thousands())
        return _svg(fig, f"sensitivity-{argument}")
    return None


def _thousands() -> Any:
    from matplotlib.ticker import FuncFormatter  # noqa: PLC0415

    return FuncFormatter(lambda v, _pos: f"{v:,.0f}" if abs(v) >= 10 or v == 0 else f"{v:g}")
