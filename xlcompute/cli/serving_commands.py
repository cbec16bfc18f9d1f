"""`xlcompute plan`, `xlcompute validate` and `xlcompute mfu`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from . import main
from ..atomic import atomic_write
from ..core.errors import XlcomputeError

TABLE_COLUMNS = (("gpu", "GPU", "{}"), ("precision", "prec", "{}"), ("tp", "TP", "{}"), ("ep", "EP", "{}"),
                 ("attention_dp", "DP-attn", "{}"), ("replicas", "repl", "{}"),
                 ("gpus", "GPUs", "{}"), ("batch", "batch", "{}"), ("ttft_ms", "TTFT ms", "{:.0f}"),
                 ("tpot_ms", "TPOT ms", "{:.1f}"), ("tokens_per_s_per_request", "tok/s/req", "{:.1f}"),
                 ("usd_per_hour", "$/h", "{:,.2f}"), ("usd_per_million_tokens", "$/M tok", "{:.3f}"))


def _table(rows: list[Any]) -> str:
    cells = [[title for _, title, _ in TABLE_COLUMNS]]
    for row in rows:
        d = row.to_dict()
        cells.append([fmt.format(d[key]) for key, _, fmt in TABLE_COLUMNS])
    widths = [max(len(r[i]) for r in cells) for i in range(len(TABLE_COLUMNS))]
    return "\n".join("  ".join(c.rjust(w) if i > 1 else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
                     for r in cells)


def write_chart(result: Any, path: str) -> None:
    """Pareto frontier (and the SLO-meeting choices) as an SVG/PNG/PDF chart, written atomically."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".svg", ".png", ".pdf"):
        raise XlcomputeError(f"--chart: {path!r} must end in .svg, .png or .pdf.", argument="chart")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    by_gpu: dict[str, list[Any]] = {}
    for row in result.frontier:
        by_gpu.setdefault(f"{row.gpu} {row.precision}", []).append(row)
    ax.plot([r.usd_per_million_tokens for r in result.frontier], [r.tokens_per_s_per_request for r in result.frontier],
            color="0.6", linewidth=1, zorder=1)
    for label, rows in by_gpu.items():
        ax.scatter([r.usd_per_million_tokens for r in rows], [r.tokens_per_s_per_request for r in rows], label=label,
                   zorder=2, s=22)
    if result.cheapest:
        best = result.cheapest[0]
        ax.scatter([best.usd_per_million_tokens], [best.tokens_per_s_per_request], marker="*", s=180, color="black",
                   label=f"cheapest meeting SLO: {best.gpus}x {best.gpu} {best.precision}", zorder=3)
    if result.tpot_ms_max:
        ax.axhline(1000.0 / result.tpot_ms_max, color="red", linestyle="--", linewidth=0.8, label="TPOT limit")
    ax.set_xscale("log")
    from matplotlib.ticker import FuncFormatter, NullFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"${v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("$ per million output tokens (at the requested rate)")
    ax.set_ylabel("output tokens/s per request")
    ax.set_title(f"{result.model}: {result.requests_per_s:g} req/s, {result.input_tokens} in / {result.output_tokens} out")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    with atomic_write(path) as tmp:
        fig.savefig(tmp, format=suffix[1:])
    plt.close(fig)


#: planner.plan's argument names as `xlcompute plan` spells them.
PLAN_OPTIONS = {"requests_per_s": "--rate", "input_tokens": "--input", "output_tokens": "--output",
                "ttft_ms_max": "--ttft-max", "tpot_ms_max": "--tpot-max", "gpus": "--gpu", "gpu": "--gpu",
                "precisions": "--precision", "precision": "--precision", "provider": "--provider",
                "pricing": "--pricing", "top": "--top"}


def _as_plan_option(exc: XlcomputeError) -> XlcomputeError:
    """``exc`` with the planner's argument name replaced by the CLI option (``requests_per_s:`` -> ``--rate:``)."""
    name = exc.argument or ""
    message = str(exc)
    if name not in PLAN_OPTIONS or not message.startswith(name + ":"):
        return exc
    return exc.for_argument(PLAN_OPTIONS[name])


@main.command()
@click.argument("model")
@click.option("--rate", "requests_per_s", type=float, required=True, help="Requests per second to serve.")
@click.option("--input", "input_tokens", type=int, default=1024, show_default=True, help="Prompt tokens per request.")
@click.option("--output", "output_tokens", type=int, default=256, show_default=True, help="Output tokens per request.")
@click.option("--ttft-max", type=float, default=None, help="Time-to-first-token limit [ms].")
@click.option("--tpot-max", type=float, default=None, help="Time-per-output-token limit [ms].")
@click.option("--gpu", "gpus", multiple=True, help="GPU id to consider (repeat); default every priced catalog GPU.")
@click.option("--precision", "precisions", multiple=True, help="Precision to consider (repeat); default bf16 and fp8.")
@click.option("--provider", default=None, help="Price from this provider (default: median quote).")
@click.option("--pricing", default="on_demand", show_default=True, help="on_demand, spot, reserved_1y, ...")
@click.option("--top", type=int, default=10, show_default=True, help="How many cheapest configurations to list.")
@click.option("--chart", type=click.Path(dir_okay=False), default=None, help="Write the frontier chart (.svg/.png/.pdf).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
def plan(model: str, requests_per_s: float, input_tokens: int, output_tokens: int, ttft_max: float | None,
         tpot_max: float | None, gpus: tuple[str, ...], precisions: tuple[str, ...], provider: str | None, pricing: str,
         top: int, chart: str | None, as_json: bool) -> None:
    """Cheapest GPU configurations serving MODEL at --rate within the TTFT/TPOT limits, and the cost/speed frontier."""
    from ..scenario.planner import plan as run_plan

    try:
        result = run_plan(model, requests_per_s, input_tokens, output_tokens, ttft_max, tpot_max, list(gpus) or None,
                          precisions or ("bf16", "fp8"), provider=provider, pricing=pricing, top=top)
    except XlcomputeError as exc:
        raise _as_plan_option(exc) from None
    if chart:
        write_chart(result, chart)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
        return
    limits = ", ".join(f"{k} ≤ {v:g} ms" for k, v in (("TTFT", ttft_max), ("TPOT", tpot_max)) if v) or "no latency limit"
    click.echo(f"{result.model}: {requests_per_s:g} req/s, {input_tokens} in / {output_tokens} out, {limits}; "
               f"{result.evaluated:,} configurations searched.")
    click.echo("")
    if result.cheapest:
        click.echo("Cheapest configurations meeting the service level:")
        click.echo(_table(result.cheapest))
    else:
        click.echo("No configuration meets the service level; the frontier below shows what is possible.")
    click.echo("")
    click.echo("Pareto frontier (tokens/s per request vs $ per million output tokens):")
    click.echo(_table(result.frontier))
    if result.skipped:
        click.echo("")
        click.echo(f"Skipped {len(result.skipped)} GPU/precision choices without a price or spec (--json lists them).")
    if chart:
        click.echo(f"\nChart written to {chart}")


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print every row and the summaries as JSON.")
@click.option("--fit", is_flag=True, help="Also re-fit the efficiency constants and print them (takes seconds).")
@click.option("--output", type=click.Path(dir_okay=False), default=None, help="Write to this file instead of stdout.")
def validate(fmt: str, as_json: bool, fit: bool, output: str | None) -> None:
    """Predicted vs published: serving measurements and training runs, with errors and sources."""
    from .. import validation
    from ..validation.serving import render_engines, validation_by_engine

    serving = validation.serving_table()
    training = validation.training_table()
    engines = validation_by_engine()
    if as_json:
        payload: dict[str, Any] = {
            "serving": {"summary": validation.summary(serving), "rows": [c.to_dict() for c in serving]},
            "serving_by_engine": engines,
            "training": {"summary": validation.summary(training), "rows": [c.to_dict() for c in training]},
            "mfu_defaults": validation.mfu_defaults(),
        }
        if fit:
            from ..validation.fit import report

            payload["fit"] = report()
        text = json.dumps(payload, indent=2, default=str)
    else:
        title = ("Serving by engine: in sample (shipped settings) and out of source (each source predicted by a fit "
                 "without it); 80% band = 10th-90th percentile of out-of-source measured/predicted speed, each source "
                 "weighted equally, levels corrected for the sample's size")
        text = (("### " if fmt == "markdown" else "") + title + "\n\n" + render_engines(engines, fmt) + "\n\n"
                + validation.render(serving, training, fmt))
        if fit:
            from ..validation.fit import report

            text += "\nRe-fit (global constants):\n" + json.dumps(report(), indent=2, default=str)
    if output:
        with atomic_write(output) as tmp:
            Path(tmp).write_text(text + "\n", encoding="utf-8")
        click.echo(f"Wrote {output}")
    else:
        click.echo(text)


@main.command()
@click.argument("run", required=False)
@click.option("--params", type=float, default=None, help="Parameters (active, for MoE), e.g. 70e9.")
@click.option("--tokens", type=float, default=None, help="Training tokens, e.g. 15e12.")
@click.option("--gpu", default=None, help="GPU id (catalog) for the peak FLOP/s.")
@click.option("--precision", default="bf16", show_default=True, help="Precision of the peak (bf16, fp8).")
@click.option("--gpus", "num_gpus", type=float, default=None, help="Number of GPUs.")
@click.option("--days", type=float, default=None, help="Wall-clock days.")
@click.option("--gpu-hours", type=float, default=None, help="GPU-hours (instead of --gpus and --days).")
@click.option("--tokens-per-s-per-gpu", type=float, default=None, help="Throughput per GPU (instead of tokens and time).")
@click.option("--json", "as_json", is_flag=True)
def mfu(run: str | None, params: float | None, tokens: float | None, gpu: str | None, precision: str,
        num_gpus: float | None, days: float | None, gpu_hours: float | None, tokens_per_s_per_gpu: float | None,
        as_json: bool) -> None:
    """Implied MFU (6·P·D over peak) of a published RUN (id or name; omit to list them) or of the given figures."""
    from .. import validation
    from ..core.efficiency import training_mfu

    if run is None and params is None:
        for row in validation.training_rows():
            click.echo(f"{row['id']}  {row['name']:<45} implied MFU {validation.training_implied_mfu(row):6.1%}  "
                       f"({row['generation']})")
        return
    if run is not None:
        wanted = run.strip().lower()
        rows = [r for r in validation.training_rows() if wanted in (r["id"].lower(), r["name"].lower())]
        if not rows:
            rows = [r for r in validation.training_rows() if wanted in r["name"].lower()]
        if len(rows) != 1:
            names = [r["name"] for r in validation.training_rows()]
            raise XlcomputeError(f"run: {'no' if not rows else 'more than one'} published run matches {run!r}; "
                                 f"known: {', '.join(names)}.", argument="run")
        row = rows[0]
        value = validation.training_implied_mfu(row)
        result = {"run": row["name"], "generation": row["generation"], "implied_mfu": value,
                  "peak_tflops": float(row["peak_tflops"]), "peak_precision": row["peak_precision"],
                  "default_range": training_mfu(row["generation"], row["peak_precision"],
                                                row.get("architecture") == "moe",
                                                float(row["accelerators"]) if row.get("accelerators") else None,
                                                validation.row_attention_share(row)).to_dict(), "source": row["source"]}
    else:
        if gpu is None or (tokens_per_s_per_gpu is None and (tokens is None or (gpu_hours is None and
                                                                               (num_gpus is None or days is None)))):
            raise XlcomputeError("mfu: give --params and --gpu, plus either --tokens-per-s-per-gpu or --tokens with "
                                 "--gpu-hours (or --gpus and --days).", argument="params")
        from ..catalog import get_gpu

        accelerator = get_gpu(gpu)
        peak = accelerator.peak_flops(precision)
        if tokens_per_s_per_gpu is not None:
            value = validation.implied_mfu(params, tokens_per_s_per_gpu, peak / 1e12)
        else:
            hours = gpu_hours if gpu_hours is not None else num_gpus * days * 24
            value = validation.implied_mfu(params, tokens / (hours * 3600.0), peak / 1e12)
        result = {"gpu": accelerator.id, "generation": accelerator.generation, "implied_mfu": value,
                  "peak_tflops": peak / 1e12, "peak_precision": precision,
                  "default_range": training_mfu(accelerator.generation, precision, False, num_gpus).to_dict()}
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    rng = result["default_range"]
    label = result.get("run") or result["gpu"]
    click.echo(f"{label}: implied MFU {result['implied_mfu']:.1%} of {result['peak_tflops']:g} TFLOP/s "
               f"({result['peak_precision']}); default for its regime ({result['generation']}, steady state on 6PD at "
               f"attention share {rng['attention_share']:.2f}): "
               f"{rng['low']:.0%} / {rng['base']:.0%} / {rng['high']:.0%} (low/base/high)")
