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

from ..locale import N_
from .formatting import number

NAVY = "#1F3A5F"
TEAL = "#2A7F8F"
GREY = "#8A96A3"
ACCENT = "#D9822B"

#: Arguments a sensitivity chart may vary, with the values tried, an axis label and the short
#: name its title uses.
SENSITIVITY_ARGUMENTS = {
    "mfu": ([0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6], N_("Model FLOPs utilisation (MFU)"), N_("MFU")),
    "batch": ([1, 2, 4, 8, 16, 32, 64, 128, 256], N_("Concurrent requests per replica"),
              N_("concurrent requests per replica")),
}
COST_TITLE, AMOUNT_AXIS = N_("Cost by line item"), N_("Amount [%(currency)s]")
BUILD_UP_TITLE = N_("Price build-up")
#: A sensitivity chart's title and its marker's legend.
SENSITIVITY_TITLE = N_("%(quantity)s against %(argument)s")
THIS_QUOTE = N_("this quote: %(used)s → %(value)s")


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
        "text.parse_math": False,  # a $ in a workbook's label is a dollar, never TeX
    })
    return plt


#: Fonts for chart text: Latin first, then CJK fonts for Chinese labels (the proposal's CSS order).
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


def cost_by_line_item(descriptions: Sequence[str], amounts: Sequence[float], currency: str,
                      translate: Any = str) -> Markup:
    """Horizontal bars: amount of every line item."""
    plt = _pyplot()
    descriptions = [translate(d) for d in descriptions]
    height = 0.45 + 0.42 * len(descriptions)
    # Room for the longest label (DejaVu Sans at 9 pt averages about 0.075 in a character):
    # a long one widens the figure, which the page then scales down, as a tight bounding box would.
    left = 0.25 + 0.075 * max((_text_width(d) for d in descriptions), default=0)
    fig, ax = plt.subplots(figsize=(max(6.6, left + 4.4), max(1.6, height)))
    positions = list(range(len(descriptions)))[::-1]
    bars = ax.barh(positions, amounts, color=NAVY, height=0.6)
    ax.set_yticks(positions, labels=list(descriptions))
    ax.set_xlabel(translate(AMOUNT_AXIS) % {"currency": currency})
    _title(ax, translate(COST_TITLE))
    top = max(amounts) if amounts else 1
    ax.set_xlim(0, top * 1.22)
    for bar, amount in zip(bars, amounts):
        ax.text(bar.get_width() + top * 0.01, bar.get_y() + bar.get_height() / 2, f"{amount:,.0f}",
                va="center", fontsize=8)
    ax.xaxis.set_major_formatter(_thousands())
    ax.xaxis.set_major_locator(_few_ticks())
    return _svg(fig, "cost", left_in=left)


def price_build_up(steps: Sequence[tuple[str, float]], currency: str, translate: Any = str) -> Markup:
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
    ax.set_xticks(range(len(steps)), labels=[translate(label) for label, _ in steps])
    ax.set_ylabel(f"[{currency}]")
    _title(ax, translate(BUILD_UP_TITLE))
    ax.yaxis.set_major_locator(_few_ticks())
    ax.yaxis.set_major_formatter(_thousands())
    return _svg(fig, "build-up")


def sensitivity_series(function: Any, args: tuple[Any, ...]) -> dict[str, Any] | None:
    """The result of ``function(*args)`` with one argument (MFU, batch ...) varied, or None.

    ``function`` is a registry function (``REGISTRY[name]``): each point is one call of it,
    hence of the core formula.
    """
    parameters = [argument.name for argument in function.arguments]
    for argument, (grid, _, _) in SENSITIVITY_ARGUMENTS.items():
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
            return {"argument": argument, "xs": xs, "ys": ys, "used": args[index]}
    return None


def sensitivity(series: dict[str, Any], label: str, unit: str, current: float | None,
                translate: Any = str) -> Markup:
    """A line chart of a :func:`sensitivity_series`, with this quote's point marked."""
    argument, used = series["argument"], series["used"]
    _, axis_label, short = SENSITIVITY_ARGUMENTS[argument]
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.6, 2.1))
    ax.plot(series["xs"], series["ys"], marker="o", color=NAVY, linewidth=1.6, markersize=4)
    if isinstance(used, (int, float)) and isinstance(current, (int, float)):
        ax.plot([used], [current], marker="D", color=ACCENT, markersize=7, linestyle="none",
                label=translate(THIS_QUOTE) % {"used": number(used), "value": number(current)})
        ax.legend(frameon=False, fontsize=8)
    ax.set_xlabel(translate(axis_label))
    unit = translate(unit)
    ax.set_ylabel(f"[{unit}]" if unit else "")  # the title names the quantity
    _title(ax, translate(SENSITIVITY_TITLE) % {"quantity": translate(label), "argument": translate(short)})
    ax.grid(axis="y", color="#DDE3EA", linewidth=0.6)
    if argument == "batch":
        ax.set_xscale("log", base=2)
        ax.xaxis.set_major_formatter(_plain_numbers())  # 1, 2, 4 ... rather than 2⁰, 2¹ (mathtext)
    else:
        ax.xaxis.set_major_locator(_few_ticks(5))
    ax.yaxis.set_major_locator(_few_ticks())
    ax.yaxis.set_major_formatter(_thousands())
    return _svg(fig, f"sensitivity-{argument}")


def _title(ax: Any, title: str) -> None:
    """The chart's title; the CJK font has no bold face, so a title with wide characters is regular."""
    ax.set_title(title, fontweight="bold" if _text_width(title) == len(title) else "normal")


def _text_width(text: str) -> int:
    """Width of ``text`` in Latin characters: a wide (CJK) character counts two."""
    import unicodedata  # noqa: PLC0415

    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


TORNADO_TITLE = N_("What moves the total")
TORNADO_AXIS = N_("Total price if one driver moves")


def tornado(bars: Sequence[dict[str, Any]], base: float, currency: str, translate: Any = str) -> Markup:
    """Horizontal bars, widest on top: the total when one driver moves to its low and to its
    high value (:func:`~xlcompute.report.ranges.tornado_bars`), about this quote's total.
    Labels are plain text (``parse_math`` off: a ``$`` in a label is a dollar, never TeX)."""
    plt = _pyplot()
    labels = [f"{translate(b['label'])}\n{b['low_text']} – {b['high_text']}" for b in bars]
    title, axis = translate(TORNADO_TITLE), translate(TORNADO_AXIS)
    left = 0.3 + 0.065 * max((_text_width(line) for label in labels for line in label.split("\n")), default=0)
    fig, ax = plt.subplots(figsize=(max(6.6, left + 4.6), 0.9 + 0.6 * len(bars)))
    positions = list(range(len(bars)))[::-1]
    for y, bar in zip(positions, bars):
        for end, is_low in ((bar["at_low"], True), (bar["at_high"], False)):
            ax.barh(y, end - base, left=base, height=0.6, color=TEAL if end < base else ACCENT)
            ax.text(end, y + (0.18 if is_low else -0.18), f" {end:,.0f} ", va="center", fontsize=7,
                    ha="right" if end < base else "left")
    ax.axvline(base, color=NAVY, linewidth=1.2)
    ax.set_yticks(positions, labels=labels)
    ax.set_xlabel(f"{axis} [{currency}]")
    _title(ax, title)
    lo = min([base] + [min(b["at_low"], b["at_high"]) for b in bars])
    hi = max([base] + [max(b["at_low"], b["at_high"]) for b in bars])
    pad = (hi - lo) * 0.18 or abs(base) * 0.1 or 1
    ax.set_xlim(lo - pad, hi + pad * 1.6)  # room on the right for the last tick's label and bar labels
    ax.xaxis.set_major_formatter(_thousands())
    ax.xaxis.set_major_locator(_few_ticks(3))
    return _svg(fig, "tornado", left_in=left)


CUMULATIVE_TITLE = N_("Cumulative cost of owning and renting")
CUMULATIVE_AXIS = N_("Month")
OWNING, RENTING = N_("Owning"), N_("Renting")


def cumulative_cost(months: Sequence[float], own: Sequence[float], rent: Sequence[float], currency: str,
                    translate: Any = str) -> Markup:
    """Two lines, month by month: what owning (purchase, then running costs) and renting have
    cost so far; where they cross, buying has paid for itself."""
    plt = _pyplot()
    texts = [translate(t) for t in (CUMULATIVE_TITLE, CUMULATIVE_AXIS, OWNING, RENTING)]
    title, axis, owning, renting = texts
    fig, ax = plt.subplots(figsize=(6.6, 3.2))
    ax.plot(months, own, color=NAVY, linewidth=1.6, label=owning)
    ax.plot(months, rent, color=ACCENT, linewidth=1.6, label=renting)
    ax.set_xlabel(axis)
    ax.set_ylabel(f"[{currency}]")
    _title(ax, title)
    ax.yaxis.set_major_formatter(_thousands())
    ax.yaxis.set_major_locator(_few_ticks(4))
    ax.legend(frameon=False, fontsize=8)
    return _svg(fig, "cumulative", left_in=1.0)


#: What draws each kind of chart of the context, from its ``data``.
DRAW = {"cost": cost_by_line_item, "build-up": price_build_up, "sensitivity": sensitivity, "tornado": tornado}


def draw(chart: dict[str, Any], translate: Any = str) -> Markup:
    """The SVG of one chart of the template context (``{"id", "data", ...}``), its texts
    through ``translate``."""
    return DRAW[chart["id"]](**chart["data"], translate=translate)


def draw_charts(context: dict[str, Any], translate: Any = str) -> dict[str, Any]:
    """``context`` with every chart's SVG drawn (``chart.svg`` in the templates); the range's
    tornado (``price_range.chart``), every text and caption through ``translate``
    (:func:`xlcompute.locale.translate_text` for the language: a workbook's label the catalog knows
    is shown translated, an empty one stays empty)."""
    for chart in context["charts"]:
        chart["svg"] = draw(chart, translate)
        args = {key: translate(value) for key, value in chart.get("caption_args", {}).items()}
        chart["caption"] = translate(chart["caption"]) % args if args else translate(chart["caption"])
    chart = (context.get("price_range") or {}).get("chart")
    if chart:
        chart["svg"] = tornado(**chart["data"], translate=translate)
    chart = (context.get("ownership") or {}).get("chart")
    if chart:
        chart["svg"] = cumulative_cost(**chart["data"], translate=translate)
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
