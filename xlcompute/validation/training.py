"""Training MFU against published runs: the regime fit, its in-sample errors and its out-of-source errors.

Data: ``data/training_runs.csv``, one published pre-training run (GPU-hours, or GPUs × days) or
throughput benchmark (tokens/s per GPU) per row, with the dense peak its MFU is measured against,
``architecture`` (dense or moe; ``params`` is the active count), ``accelerators`` (GPUs) and
``source_group`` (the publisher and document family: a source left out of the fit is left out whole).

Each row's implied MFU on 6·P·D is brought to the regimes' convention, steady-state model-FLOPs MFU
(module docstring of :mod:`xlcompute.core.training_efficiency`): × (1 + a), a the attention share
from its ``layers``, ``attn_dim`` and ``seq_len`` (cited in ``shape_source``), and, for a whole
run's GPU-hours, ÷ the goodput g. g (:func:`fit_goodput`) is the median, over the runs that publish
both, of GPU-hours-implied over published steady-state MFU; it is re-fitted with each source left
out like the regimes.

- :func:`fit_regimes` writes the regime table of :mod:`xlcompute.core.training_efficiency`.
- :func:`training_table` compares every row with the base of its regime (in sample);
  :func:`out_of_source_table` does the same with the table re-fitted without the row's source.
  Both report whether the published MFU falls inside the regime's 80% band.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from pathlib import Path
from typing import Any, Iterable

from ..core.errors import XlcomputeError
from ..core.program import program_gpu_hours
from ..core.training import attention_share, train_flops
from ..core.training_efficiency import (MfuRange, NODE_SCALE_MAX_GPUS, REGIMES_CSV, pick_regime, precision_class,
                                        regime_name, scale_class)
from ..core.units import SECONDS_PER_HOUR
from .records import Comparison, read_csv

DATA = Path(__file__).resolve().parent / "data"
TRAINING_CSV = DATA / "training_runs.csv"
#: Two-sided 80% quantile of the normal distribution.
Z_80 = 1.2816
#: Weight, in runs, of the out-of-source scatter in each regime's band.
PRIOR_RUNS = 3.0
#: Runs a regime needs to be used.
MIN_RUNS = 2
REGIME_COLUMNS = ("regime", "low", "base", "high", "runs", "fitted_on")


def training_rows() -> list[dict[str, str]]:
    """The published training runs and benchmarks, as strings."""
    return read_csv(TRAINING_CSV)


def _num(text: str) -> float | None:
    return float(text) if text and text.strip() else None


def implied_mfu(params: float, tokens_per_s_per_gpu: float, peak_tflops: float) -> float:
    """MFU of a run from its throughput: 6·P·(tokens/s per GPU) / peak (Chowdhery et al. 2022 App. B)."""
    return train_flops(params, tokens_per_s_per_gpu) / (peak_tflops * 1e12)


def training_gpu_hours(row: dict[str, str]) -> float | None:
    """Published GPU-hours of a run: the figure itself, or accelerators × days × 24."""
    hours = _num(row["gpu_hours"])
    if hours is None and _num(row["wall_days"]) and _num(row["accelerators"]):
        hours = float(row["accelerators"]) * float(row["wall_days"]) * 24.0
    return hours


def training_implied_mfu(row: dict[str, str]) -> float:
    """Implied 6·P·D MFU of a published run or benchmark row."""
    params, peak = float(row["params"]), float(row["peak_tflops"])
    if row["kind"] == "benchmark":
        return implied_mfu(params, float(row["tokens_per_s_per_gpu"]), peak)
    hours = training_gpu_hours(row)
    if hours is None:
        raise XlcomputeError(f"{TRAINING_CSV.name}: row {row['id']}: needs gpu_hours or accelerators and wall_days.")
    return train_flops(params, float(row["tokens"])) / (hours * SECONDS_PER_HOUR * peak * 1e12)


def row_attention_share(row: dict[str, str]) -> float:
    """Attention share a = 2·L·s·d_attn/P of a row's model at its sequence length [-]."""
    return attention_share(float(row["layers"]), float(row["seq_len"]), float(row["attn_dim"]), float(row["params"]))


def goodput_pairs(rows: list[dict[str, str]]) -> dict[str, float]:
    """Goodput of each run that publishes a steady-state MFU: its GPU-hours-implied model-FLOPs MFU over it."""
    return {r["name"]: training_implied_mfu(r) * (1 + row_attention_share(r)) / float(r["published_mfu"])
            for r in rows if r["kind"] == "run" and _num(r["published_mfu"])}


def fit_goodput(rows: list[dict[str, str]]) -> float:
    """Median of :func:`goodput_pairs`: the share of a run's GPU-hours that trained at the steady rate."""
    pairs = goodput_pairs(rows)
    if not pairs:
        raise XlcomputeError(f"{TRAINING_CSV.name}: no run publishes both GPU-hours and a steady-state MFU.")
    return statistics.median(pairs.values())


def row_goodput(row: dict[str, str], goodput: float) -> float:
    """The goodput a row's figure carries: ``goodput`` for a whole run's GPU-hours, 1 for a throughput benchmark."""
    return goodput if row["kind"] == "run" else 1.0


def steady_mfu(row: dict[str, str], goodput: float) -> float:
    """A row's MFU in the regimes' convention: 6·P·D-implied × (1 + a) ÷ its goodput."""
    return training_implied_mfu(row) * (1 + row_attention_share(row)) / row_goodput(row, goodput)


def row_regime(row: dict[str, str], table: dict[str, MfuRange]) -> MfuRange:
    """The regime the defaults would pick for this run (its GPU, precision, MoE and GPU count)."""
    return pick_regime(table, row["generation"], row["peak_precision"], row["architecture"] == "moe",
                       _num(row["accelerators"]))


def _cells(row: dict[str, str]) -> list[str]:
    """The regimes a run is fitted into: its own scale (if known), all scales, and any generation."""
    gen = row["generation"]
    gen = "tpu" if gen.startswith("tpu") else gen
    prec, arch = precision_class(row["peak_precision"]), row["architecture"]
    scale = scale_class(arch, _num(row["accelerators"]))
    cells = [regime_name(gen, prec, arch, "any"), regime_name("any", prec, arch, "any"), regime_name("any", "any", arch, "any")]
    return cells + ([regime_name(gen, prec, arch, scale)] if scale != "any" else [])


def _bases(rows: list[dict[str, str]]) -> dict[str, tuple[float, list[float], list[str]]]:
    """Per regime with at least MIN_RUNS runs: (log of the median steady MFU, log MFUs, run names)."""
    goodput = fit_goodput(rows)
    members: dict[str, list[tuple[float, str]]] = {}
    for row in rows:
        value = math.log(steady_mfu(row, goodput))
        for cell in _cells(row):
            members.setdefault(cell, []).append((value, f"{row['name']} {math.exp(value):.1%}"))
    return {cell: (statistics.median(v for v, _ in runs), [v for v, _ in runs], [n for _, n in runs])
            for cell, runs in members.items() if len(runs) >= MIN_RUNS}


def _point_table(bases: dict[str, tuple[float, list[float], list[str]]]) -> dict[str, MfuRange]:
    return {cell: MfuRange(math.exp(b), math.exp(b), math.exp(b), "", cell, len(v)) for cell, (b, v, _) in bases.items()}


def out_of_source_scatter(rows: list[dict[str, str]]) -> float:
    """RMS log error of each run predicted from the regimes fitted without its source group."""
    errors = []
    for group in sorted({r["source_group"] for r in rows}):
        kept = [r for r in rows if r["source_group"] != group]
        table, goodput = _point_table(_bases(kept)), fit_goodput(kept)
        errors += [math.log(steady_mfu(r, goodput) / row_regime(r, table).base)
                   for r in rows if r["source_group"] == group]
    return math.sqrt(statistics.fmean(e * e for e in errors))


def fit_regimes(rows: list[dict[str, str]] | None = None, digits: int = 3) -> dict[str, MfuRange]:
    """The regime table: base = median implied MFU, low/high = 80% prediction band (module docstring of
    :mod:`xlcompute.core.training_efficiency`)."""
    rows = training_rows() if rows is None else rows
    bases = _bases(rows)
    prior = out_of_source_scatter(rows)
    table = {}
    for cell, (base, values, names) in sorted(bases.items()):
        n = len(values)
        scatter = math.sqrt((sum((v - base) ** 2 for v in values) + PRIOR_RUNS * prior ** 2) / (n - 1 + PRIOR_RUNS))
        half = Z_80 * scatter * math.sqrt(1 + 1 / n)
        table[cell] = MfuRange(round(math.exp(base - half), digits), round(math.exp(base), digits),
                               round(math.exp(base + half), digits), "; ".join(names), cell, n)
    return table


def regimes_csv_text(table: dict[str, MfuRange]) -> str:
    """The regime table as the CSV text of ``core/data/training_mfu_regimes.csv``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REGIME_COLUMNS)
    for cell, rng in table.items():
        writer.writerow([cell, f"{rng.low:g}", f"{rng.base:g}", f"{rng.high:g}", rng.runs, rng.fitted_on])
    return out.getvalue()


def write_regimes(path: Path = REGIMES_CSV) -> dict[str, MfuRange]:
    """Re-fit and write the regime table (``xlcompute validate --fit`` prints, this writes)."""
    table = fit_regimes()
    path.write_text(regimes_csv_text(table), encoding="utf-8")
    return table


# ---------------------------------------------------------------------------------------------
# Predicted vs published
# ---------------------------------------------------------------------------------------------


def _compare(row: dict[str, str], rng: MfuRange, goodput: float, kind: str) -> Comparison:
    """GPU-hours of a run, or GPU-hours per 10^12 tokens of a benchmark, at the regime's base MFU: the
    steady-state hours on 6·P·D at the regime ÷ (1 + a), then ÷ the goodput for a whole run."""
    implied = training_implied_mfu(row)
    share, carried = row_attention_share(row), row_goodput(row, goodput)
    peak = float(row["peak_tflops"]) * 1e12
    if row["kind"] == "benchmark":
        measured = 1e12 / float(row["tokens_per_s_per_gpu"]) / SECONDS_PER_HOUR
        tokens, metric = 1e12, "gpu_hours_per_T_tokens"
    else:
        measured, tokens, metric = training_gpu_hours(row), float(row["tokens"]), "gpu_hours"
    row_range = rng.per_6pd(share)
    steady_hours = train_flops(float(row["params"]), tokens) / (peak * row_range.base * SECONDS_PER_HOUR)
    predicted = program_gpu_hours(steady_hours, goodput=carried)
    inside = row_range.low * carried <= implied <= row_range.high * carried
    gpus = f" x{row['accelerators']}" if row["accelerators"] else ""
    run = f", goodput {carried:.2f}" if row["kind"] == "run" else ""
    case = (f"{row['name']} on {row['gpu']}{gpus}: implied MFU {implied:.1%}, {rng.regime} "
            f"{rng.low:.0%}/{rng.base:.0%}/{rng.high:.0%} at attention share {share:.2f}{run}: "
            f"{row_range.low * carried:.0%}/{row_range.base * carried:.0%}/{row_range.high * carried:.0%}"
            f"{'' if inside else ' (outside)'}")
    return Comparison(row["id"], kind, case, metric, measured, predicted, row["source"], row["notes"], inside)


def training_table(table: dict[str, MfuRange] | None = None) -> list[Comparison]:
    """Published vs predicted (base MFU of the row's regime) GPU-hours, in sample."""
    from ..core.training_efficiency import TRAINING_MFU_REGIMES

    regimes = TRAINING_MFU_REGIMES if table is None else table
    rows = training_rows()
    goodput = fit_goodput(rows)
    return [_compare(row, row_regime(row, regimes), goodput, "training") for row in rows]


def out_of_source_table() -> list[Comparison]:
    """Each row predicted from the regimes and goodput fitted without its source group (leave-one-source-out)."""
    rows = training_rows()
    out = {}
    for group in sorted({r["source_group"] for r in rows}):
        kept = [r for r in rows if r["source_group"] != group]
        table, goodput = fit_regimes(kept), fit_goodput(kept)
        for row in rows:
            if row["source_group"] == group:
                out[row["id"]] = _compare(row, row_regime(row, table), goodput, "training-out-of-source")
    return [out[row["id"]] for row in rows]


def band_summary(table: Iterable[Comparison]) -> dict[str, Any]:
    """Rows, median |error| of GPU-hours and the share of published MFUs inside their 80% band."""
    table = list(table)
    return {"rows": len(table), "median_abs_error": statistics.median(abs(c.error) for c in table),
            "inside_band": sum(bool(c.inside_band) for c in table) / len(table)}


def render_training_markdown(in_sample: list[Comparison], out_of_source: list[Comparison]) -> list[str]:
    """The training section of docs/validation.md: regime table, in-sample and out-of-source summaries."""
    from ..core.training_efficiency import TRAINING_MFU_REGIMES

    inside, outside = band_summary(in_sample), band_summary(out_of_source)
    rows = training_rows()
    pairs = goodput_pairs(rows)
    lines = [f"### Training MFU regimes — {len(TRAINING_MFU_REGIMES)} regimes fitted on {inside['rows']} published runs",
             "", "| regime | low | base | high | runs | fitted on |", "|---|---|---|---|---|---|"]
    lines += [f"| {name} | {r.low:.0%} | {r.base:.0%} | {r.high:.0%} | {r.runs} | {r.fitted_on} |"
              for name, r in TRAINING_MFU_REGIMES.items()]
    lines += ["", "| training GPU-hours | rows | median abs. error | inside 80% band |", "|---|---|---|---|",
              f"| in sample (fitted on all rows) | {inside['rows']} | {inside['median_abs_error']:.1%} | "
              f"{inside['inside_band']:.0%} |",
              f"| out of source (row's source left out of the fit) | {outside['rows']} | "
              f"{outside['median_abs_error']:.1%} | {outside['inside_band']:.0%} |", "",
              f"Goodput of a whole run (GPU-hours-implied over published steady-state MFU, median): "
              f"{fit_goodput(rows):.2f} from " + ", ".join(f"{name} {g:.2f}" for name, g in pairs.items()) + ".", "",
              "Out-of-source rows (each predicted by the table fitted without its source group):", "",
              "| id | case | metric | published | predicted | error |", "|---|---|---|---|---|---|"]
    lines += [f"| {c.id} | {c.case} | {c.metric} | {c.measured:,.0f} | {c.predicted:,.0f} | {c.error:+.0%} |"
              for c in out_of_source]
    return lines


__all__ = ["NODE_SCALE_MAX_GPUS", "band_summary", "fit_goodput", "fit_regimes", "goodput_pairs", "implied_mfu",
           "out_of_source_scatter", "out_of_source_table", "regimes_csv_text", "render_training_markdown",
           "row_attention_share", "row_goodput", "row_regime", "steady_mfu", "training_gpu_hours", "training_implied_mfu",
           "training_rows", "training_table", "write_regimes"]
