"""``xlcompute servers``, ``xlcompute api-prices``, ``xlcompute regions`` and ``xlcompute storages``: the rent-or-buy
and program catalogs."""

from __future__ import annotations

import click

from . import main
from ..catalog import list_api_prices, list_grid_intensities, list_servers, list_storage_prices
from .catalog_commands import _echo_json, _mark, _table


@main.command("servers")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def servers_command(as_json: bool) -> None:
    """List the server catalog: purchase prices of GPU servers, with their dates (SERVER_PRICE)."""
    servers = list_servers()
    if as_json:
        _echo_json([s.to_dict() for s in servers])
        return
    rows = [(s.id, s.gpu_id, s.gpus_per_server, f"{s.usd_price:,.0f}", f"{s.usd_per_gpu:,.0f}",
             f"{s.system_power_w / 1000:g}" if s.system_power_w else "-", s.date, _mark(s.origin)) for s in servers]
    click.echo(_table(["id", "gpu", "gpus", "usd", "usd/gpu", "kW max", "date", ""], rows))
    click.echo(f"\n{len(servers)} servers. Sources and what each price includes: --json, or docs/catalog.md.")


@main.command("api-prices")
@click.argument("model", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def api_prices_command(model: str | None, as_json: bool) -> None:
    """List API list prices per million tokens (API_PRICE), optionally of one MODEL."""
    prices = list_api_prices(model)
    if as_json:
        _echo_json([p.to_dict() for p in prices])
        return
    rows = [(p.model, p.provider, f"{p.usd_per_mtok_input:g}", f"{p.usd_per_mtok_output:g}", p.date, _mark(p.origin))
            for p in prices]
    click.echo(_table(["model", "provider", "usd/Mtok in", "usd/Mtok out", "date", ""], rows))
    click.echo(f"\n{len(prices)} prices.")


@main.command("regions")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def regions_command(as_json: bool) -> None:
    """List grid carbon intensities by region (GRID_INTENSITY)."""
    regions = list_grid_intensities()
    if as_json:
        _echo_json([g.to_dict() for g in regions])
        return
    rows = [(g.id, g.location, f"{g.kg_co2e_per_kwh:.4f}", g.year or "-", g.date, _mark(g.origin)) for g in regions]
    click.echo(_table(["id", "location", "kg CO2e/kWh", "year", "date", ""], rows))
    click.echo(f"\n{len(regions)} regions.")


@main.command("storages")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def storages_command(as_json: bool) -> None:
    """List object storage list prices per TB-month (STORAGE_TB_PRICE)."""
    prices = list_storage_prices()
    if as_json:
        _echo_json([p.to_dict() for p in prices])
        return
    rows = [(p.id, p.provider, p.region, f"{p.usd_per_tb_month:g}", p.date, _mark(p.origin)) for p in prices]
    click.echo(_table(["id", "provider", "region", "usd/TB-month", "date", ""], rows))
    click.echo(f"\n{len(prices)} storage prices. Sources and conversions: --json, or docs/catalog.md.")
