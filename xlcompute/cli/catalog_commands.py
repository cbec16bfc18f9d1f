"""``xlcompute models``, ``xlcompute gpus`` and ``xlcompute prices``: the catalogs on the command line."""

from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

import click

from . import main
from ..catalog import get_gpu, get_model, get_price, list_gpus, list_models, list_prices
from ..core.errors import XlcomputeError
from ..core.formula import explain
from ..core.params import params_active, params_total

try:  # breakdown renderer shared by the CLI commands
    from .render import render_step
except ImportError:  # pragma: no cover - render.py ships with the package
    render_step = None  # type: ignore[assignment]


def _billions(count: float | None) -> str:
    if count is None:
        return "-"
    if count >= 1e9:
        return f"{count / 1e9:,.2f}B"
    return f"{count / 1e6:,.1f}M"


def _number(value: float | None) -> str:
    if not value:
        return "-"
    return f"{value:g}"


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _mark(origin: str) -> str:
    """"user" for a row from a user file (catalog directory or prices file), blank for a shipped row."""
    return "" if origin == "catalog" else "user"


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@main.command("models")
@click.argument("model_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def models_command(model_id: str | None, as_json: bool) -> None:
    """List the model catalog, or show MODEL_ID (id, Hugging Face repo or config.json path)
    with its parameter breakdown."""
    if model_id:
        _show_model(model_id, as_json)
        return
    models = list_models()
    if as_json:
        _echo_json([m.to_dict() for m in models])
        return
    rows = [
        (m.id, _billions(m.total_params), _billions(m.active_params) if m.arch.is_moe else "-",
         _billions(m.official_total_params), m.arch.num_layers, m.arch.hidden_size,
         f"{m.arch.num_attention_heads}/{m.arch.num_kv_heads}" + (" MLA" if m.arch.is_mla else ""), m.date,
         _mark(m.origin))
        for m in models
    ]
    click.echo(_table(["id", "params", "active", "official", "layers", "hidden", "heads/kv", "date", ""], rows))
    click.echo(f"\n{len(models)} models. `xlcompute models ID` shows one with its sources and parameter breakdown.")


def _show_model(ref: str, as_json: bool) -> None:
    model = get_model(ref)
    total_step = explain(params_total, model.arch)
    active_step = explain(params_active, model.arch, model.active_counts_input_embedding)
    if as_json:
        data = model.to_dict()
        data["breakdown"] = {"total": total_step.to_dict(), "active": active_step.to_dict()}
        _echo_json(data)
        return
    arch = model.arch
    click.echo(f"{model.id}: {model.name}")
    facts = [
        ("Hugging Face", ", ".join(model.hf_repos) or "-"),
        ("Parameters", f"{total_step.result:,} derived; official {_billions(model.official_total_params)}"),
    ]
    if arch.is_moe:
        facts.append(("Active", f"{active_step.result:,} derived; official {_billions(model.official_active_params)} "
                                f"({arch.experts_per_token} of {arch.num_experts} routed experts"
                                f"{f' + {arch.num_shared_experts} shared' if arch.num_shared_experts else ''}; "
                                f"input embedding {'counted' if model.active_counts_input_embedding else 'not counted'})"))
    facts += [
        ("Layers / hidden", f"{arch.num_layers} / {arch.hidden_size}"),
        ("Heads / KV heads", f"{arch.num_attention_heads} MLA heads (qk {arch.qk_nope_head_dim}+{arch.qk_rope_head_dim}, "
                             f"v {arch.v_head_dim}; kv_lora_rank {arch.kv_lora_rank}, q_lora_rank {arch.q_lora_rank})"
         if arch.is_mla else f"{arch.num_attention_heads} / {arch.num_kv_heads} (head_dim {arch.head_dim})"),
        ("Architecture source", model.source or "-"),
        ("Official count source", model.params_source or "-"),
        ("Date", model.date or "-"),
    ]
    if model.origin != "catalog":
        facts.append(("From", f"user file {model.origin}"))
    if model.notes:
        facts.append(("Notes", model.notes))
    width = max(len(k) for k, _ in facts)
    for key, value in facts:
        click.echo(f"  {key.ljust(width)}  {value}")
    click.echo("\nParameter breakdown:")
    click.echo(render_step(total_step) if render_step else _plain_breakdown(total_step))


def _plain_breakdown(step: Any, depth: int = 1) -> str:
    lines = [f"{'    ' * depth}{step.info.title}: {step.result:,}"]
    for child in step.children:
        lines.append(_plain_breakdown(child, depth + 1))
    return "\n".join(lines)


@main.command("gpus")
@click.argument("gpu_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def gpus_command(gpu_id: str | None, as_json: bool) -> None:
    """List the accelerator catalog (dense peak TFLOP/s, without sparsity), or show GPU_ID."""
    gpus = [get_gpu(gpu_id)] if gpu_id else list_gpus()
    if as_json:
        data = [g.to_dict() for g in gpus]
        _echo_json(data[0] if gpu_id else data)
        return
    rows = [
        (g.id, _number(g.memory_gb), _number(g.memory_bandwidth_gbps), _number(g.dense_tflops.get("bf16")),
         _number(g.dense_tflops.get("fp8")), _number(g.dense_tflops.get("fp4")), _number(g.interconnect_gbps),
         _number(g.tdp_w), g.date, _mark(g.origin))
        for g in gpus
    ]
    click.echo(_table(["id", "mem GB", "GB/s", "bf16 TF", "fp8 TF", "fp4 TF", "link GB/s", "TDP W", "date", ""], rows))
    if gpu_id:
        g = gpus[0]
        click.echo(f"\n{g.name}\n  source: {g.source}\n  notes: {g.notes or '-'}")
        if g.origin != "catalog":
            click.echo(f"  from: user file {g.origin}")
    else:
        click.echo(f"\n{len(gpus)} accelerators. Dense = without 2:4 sparsity; link = scale-up bandwidth per GPU, "
                   "both directions. `xlcompute gpus ID` shows sources and notes.")


@main.command("prices")
@click.option("--gpu", "gpu_id", help="Only this GPU (id or alias).")
@click.option("--provider", help="With --gpu: the quote of this provider.")
@click.option("--pricing", default=None, help="Pricing model: on_demand, spot, capacity_block, reserved_1y ...")
@click.option("--prices-file", type=click.Path(dir_okay=False), default=None,
              help="CSV of your own prices overriding matching rows (default: $XLCOMPUTE_PRICES).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def prices_command(gpu_id: str | None, provider: str | None, pricing: str | None, prices_file: str | None,
                   as_json: bool) -> None:
    """List GPU-hour prices with their sources and dates."""
    rows = list_prices(gpu_id, prices_file=prices_file)
    if pricing:
        rows = [p for p in rows if p.pricing == pricing.strip().lower().replace("-", "_")]
    if provider:
        rows = [p for p in rows if p.provider.lower() == provider.strip().lower()]
    default = None
    if gpu_id:
        try:
            default = get_price(gpu_id, provider, pricing or "on_demand", prices_file=prices_file)
        except XlcomputeError:  # no quote of that kind: the listing still stands
            default = None
    if as_json:
        _echo_json({"prices": [p.to_dict() for p in rows], "default": default.to_dict() if default else None})
        return
    table = [(p.gpu_id, p.provider, p.pricing, p.region, f"{p.usd_per_gpu_hour:.3f}", p.instance or "-", p.date,
              _mark(p.origin)) for p in rows]
    click.echo(_table(["gpu", "provider", "pricing", "region", "USD/GPU-h", "instance", "date", ""], table))
    if default:
        click.echo(f"\nDefault for {default.gpu_id} ({default.pricing}): ${default.usd_per_gpu_hour:.3f} per GPU-hour "
                   f"from {default.provider} ({'median quote' if not provider else 'cheapest quote'}); "
                   f"source: {default.source}")
    click.echo("\nInstance prices are divided by GPUs per instance. Override with --prices-file or $XLCOMPUTE_PRICES, "
               "or prices.csv in --catalog-dir ($XLCOMPUTE_CATALOG_DIR).")
