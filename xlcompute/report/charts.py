"""Charts of the proposal, drawn with matplotlib as vector SVG (inlined in the HTML).

The context holds each chart's data (the sensitivity series are computed where the context
is built); :func:`draw` turns it into SVG. The SVG is
deterministic (fixed hash salt, no date metadata) so that two renders of the
same workbook give identical PDFs. Text stays text (``svg.fonttype = none``) so that it is
searchable in the PDF. Sensitivity series come from calling the registry's Excel function with
one argument varied: the chart draws what the core computes, nothing else; the workbook is not
evaluated again.
"""

from __future__ import annotations

import io
import re
from typing import Any, Sequence

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
    import logging  # noqa: PLC0415

    import matplotlib.pyplot as plt  # noqa: PLC0415

    # "no bold weight of WenQuanYi": the regular one is used, which is what a reader sees anyway.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)

    plt.rcParams.update({
        "svg.fonttype": "none",
        "svg.hashsalt": "xlcompute",
        "font.family": _font_families(),
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.edgecolor": GREY,
        "axes.titleweight": "bold",
        "axes.titlesize": 10,
    })
    return plt


#: Fonts for chart text: Latin first, then a CJK font for Chinese labels (the PDF's own order).
CHART_FONTS = ("DejaVu Sans", "WenQuanYi Micro Hei", "Noto Sans CJK SC")


def _font_families() -> list[str]:
    """The :data:`CHART_FONTS` installed here (matplotlib falls back along the list, glyph by glyph)."""
    from matplotlib import font_manager  # noqa: PLC0415

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return [name for name in CHART_FONTS if name in installed] or ["DejaVu Sans"]


def _svg(fig: Any, salt: str, left_in: float = 0.95) -> Markup:
    """The figure as inline SVG. Margins are fixed (``left_in`` inches for the y labels) rather
    than ``bbox_inches="tight"``, which draws every figure twice to measure it."""
    plt = _pyplot()
    plt.rcParams["svg.hashsalt"] = f"xlcompute-{salt}"
    width, height = fig.get_size_inches()
    fig.subplots_adjust(left=left_in / width, right=1 - 0.15 / width, bottom=0.5 / height, top=1 - 0.3 / height)
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "xlcompute"})
    plt.close(fig)
    return Markup(_lean(buffer.getvalue()))


def _lean(svg: str) -> str:
    """The SVG without what costs WeasyPrint time and shows nothing: the XML prolog and
    DOCTYPE (it is inlined), the RDF metadata, identity rotations of every label and the
    indentation between elements."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r' transform="rotate\(-?0 [^)]*\)"', "", svg)
    return _unwrap_plain_groups(re.sub(r">\s+<", "><", svg))


def _unwrap_plain_groups(svg: str) -> str:
    """Drop the ``<g>`` / ``<g id="...">`` wrappers matplotlib puts around every tick and
    label (half the elements): a group with no other attribute changes nothing drawn."""
    out, plain, last = [], [], 0
    for tag in re.finditer(r"<g(?:\s[^>]*)?>|</g>", svg):
        text = tag.group(0)
        if text == "</g>":
            drop = plain.pop() if plain else False
        elif text.endswith("/>"):
            continue
        else:
            drop = re.fullmatch(r'<g(?: id="[^"]*")?>', text) is not None
            plain.append(drop)
        if drop:
            out.append(svg[last:tag.start()])
            last = tag.end()
    out.append(svg[last:])
    return "".join(out)


def cost_by_line_item(descriptions: Sequence[str], amounts: Sequence[float], currency: str) -> Markup:
    """Horizontal bars: amount of every line item."""
    plt = _pyplot()
    height = 0.45 + 0.42 * len(descriptions)
    # Room for the longest label (DejaVu Sans at 9 pt averages about 0.075 in a character):
    # a long one widens the figure, which the page then scales down, as a tight bounding box would.
    left = 0.25 + 0.075 * max((len(d) for d in descriptions), default=0)
    fig, ax = plt.subplots(figsize=(max(6.6, left + 4.4), max(1.6, height)))
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
    ax.xaxis.set_major_locator(_few_ticks())
    return _svg(fig, "cost", left_in=left)


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
    ax.yaxis.set_major_locator(_few_ticks())
    ax.yaxis.set_major_formatter(_thousands())
    return _svg(fig, "build-up")


def sensitivity_series(function: Any, args: tuple[Any, ...]) -> dict[str, Any] | None:
    """The result of ``function(*args)`` with one argument (MFU, batch ...) varied, or None.

    ``function`` is a registry function (``REGISTRY[name]``): each point is one call of it,
    hence of the core formula.
    """
    parameters = [argument.name for argument in function.arguments]
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
        if len(xs) >= 2:
            return {"argument": argument, "axis_label": axis_label, "xs": xs, "ys": ys, "used": args[index]}
    return None


def sensitivity(series: dict[str, Any], label: str, unit: str, current: float | None) -> Markup:
    """A line chart of a :func:`sensitivity_series`, with this quote's point marked."""
    argument, axis_label, used = series["argument"], series["axis_label"], series["used"]
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.6, 2.1))
    ax.plot(series["xs"], series["ys"], marker="o", color=NAVY, linewidth=1.6, markersize=4)
    if isinstance(used, (int, float)) and isinstance(current, (int, float)):
        ax.plot([used], [current], marker="D", color=ACCENT, markersize=7, linestyle="none",
                label=f"this quote: {number(used)} → {number(current)}")
        ax.legend(frameon=False, fontsize=8)
    ax.set_xlabel(axis_label)
    ax.set_ylabel(f"[{unit}]" if unit else "")  # the title names the quantity
    short = axis_label[axis_label.find("(") + 1:-1] if axis_label.endswith(")") else axis_label.lower()
    ax.set_title(f"{label} against {short}")
    ax.grid(axis="y", color="#DDE3EA", linewidth=0.6)
    if argument == "batch":
        ax.set_xscale("log", base=2)
        ax.xaxis.set_major_formatter(_plain_numbers())  # 1, 2, 4 ... rather than 2⁰, 2¹ (mathtext)
    else:
        ax.xaxis.set_major_locator(_few_ticks(5))
    ax.yaxis.set_major_locator(_few_ticks())
    ax.yaxis.set_major_formatter(_thousands())
    return _svg(fig, f"sensitivity-{argument}")


#: What draws each kind of chart of the context, from its ``data``.
DRAW = {"cost": cost_by_line_item, "build-up": price_build_up, "sensitivity": sensitivity}


def draw(chart: dict[str, Any]) -> Markup:
    """The SVG of one chart of the template context (``{"id", "data", ...}``)."""
    return DRAW[chart["id"]](**chart["data"])


def draw_charts(context: dict[str, Any]) -> dict[str, Any]:
    """``context`` with every chart's SVG drawn (``chart.svg`` in the templates)."""
    for chart in context["charts"]:
        chart["svg"] = draw(chart)
    return context


def _few_ticks(bins: int = 4) -> Any:
    """At most ``bins`` + 1 round ticks: labels must not collide on a narrow axis, and each
    one costs the PDF renderer a text layout."""
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

    return MaxNLocator(nbins=bins, steps=[1, 2, 2.5, 5, 10])


def _plain_numbers() -> Any:
    from matplotlib.ticker import FuncFormatter  # noqa: PLC0415

    return FuncFormatter(lambda v, _pos: f"{v:g}")


def _thousands() -> Any:
    from matplotlib.ticker import FuncFormatter  # noqa: PLC0415

    return FuncFormatter(lambda v, _pos: f"{v:,.0f}" if abs(v) >= 10 or v == 0 else f"{v:g}")
