"""Training MFU by regime: how far published training runs fall short of the spec sheet.

The regime table holds *steady-state model-FLOPs MFU*: the throughput of a run while it trains,
counting the parameter FLOPs 6·P per token and the attention scores 12·L·s·d_attn per token
(Chowdhery et al. 2022, PaLM, App. B), over the dense peak of the precision the GEMMs ran at (P:
active parameters for a mixture of experts; FP8 runs against the FP8 peak). Two documented terms
turn it into what a budget needs:

- attention: a budget counts 6·P·D (:func:`~xlcompute.core.training.train_flops`), so
  :func:`training_mfu` divides the regime by (1 + a), a = 2·L·s·d_attn/P the attention share
  (:func:`~xlcompute.core.training.attention_share`): long sequences on narrow models spend more
  of the GPU on attention (Llama 3 8B at 8,192 tokens: a = 0.27; GPT-3 175B at 2,048: 0.03);
- goodput: time lost to failures, restarts and stalls is not in the MFU; a whole run's GPU-hours
  are the steady-state hours divided by the goodput
  (:func:`~xlcompute.core.program.program_gpu_hours`). The published runs that report both their
  steady MFU and their GPU-hours give it (docs/validation.md).

The defaults are one row per *regime* in ``data/training_mfu_regimes.csv``, each with the published
runs it was fitted on; :func:`training_mfu` picks the regime. The table is written by
:func:`xlcompute.validation.training.fit_regimes` from ``xlcompute/validation/data/training_runs.csv``
(``xlcompute validate --fit`` prints it; ``tests/test_validation.py`` checks the file is the fit):

- base = median steady-state model-FLOPs MFU of the regime's runs (a whole run's GPU-hours-implied
  MFU is divided by the goodput first);
- low/high = base·exp(∓1.2816·s·sqrt(1 + 1/n)), an 80% prediction band: s shrinks the regime's own
  log scatter (n runs) towards the scatter of runs predicted from sources left out of the fit
  (weight of 3 runs), so a regime of two runs from one lab does not claim a narrow band.

Regime boundaries (in the order :func:`regime_chain` tries them):

- generation: the catalog's GPU generation (``volta``, ``ampere``, ``hopper``, ``blackwell``; any
  ``tpu-*`` is ``tpu``); ``blackwell-ultra`` borrows ``blackwell``, ``blackwell`` borrows
  ``hopper``, ``hopper`` and ``volta`` borrow ``ampere`` when they have no runs of their own;
- precision: ``fp8`` (fp8, fp6, fp4, int8 GEMMs, MFU against that peak) or ``16bit`` (bf16,
  fp16, tf32); a regime without runs at its precision borrows the other precision;
- architecture: ``moe`` (mixture of experts: MFU on active parameters) or ``dense``;
- scale (dense only): ``node`` for at most 128 GPUs (a node to 16 nodes: the tuned benchmark
  regime, 45-55% on A100), ``cluster`` above 128 GPUs; with the GPU count unknown, or for a
  mixture of experts, ``any`` (all runs of the generation, precision and architecture);
- last, ``any`` generation at the same precision and architecture, then at any precision, then
  :data:`DEFAULT_MFU`.

A regime needs two runs to be used. Standard library only.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .units import element_precision

#: GPUs at or below which a dense run counts as ``node`` scale (16 HGX nodes).
NODE_SCALE_MAX_GPUS = 128
#: Generations without runs of their own borrow these.
BORROWS_FROM = {"blackwell-ultra": "blackwell", "blackwell": "hopper", "hopper": "ampere", "volta": "ampere"}
EIGHT_BIT = ("fp8", "fp6", "fp4", "int8", "int4")
#: Training sequence length [tokens] assumed where a budget does not give one: the median of the
#: published runs in ``xlcompute/validation/data/training_runs.csv``.
DEFAULT_TRAIN_SEQ_LEN = 4096
#: Attention share assumed where the model's shape is unknown (a bare parameter count): the median
#: attention share of the published runs (tests/test_validation.py checks it against them).
DEFAULT_ATTENTION_SHARE = 0.08
REGIMES_CSV = Path(__file__).resolve().parent / "data" / "training_mfu_regimes.csv"


@dataclass(frozen=True)
class MfuRange:
    """Model FLOPs utilisation of a training run [-]: low, base (typical) and high, and the regime it came from."""

    low: float
    base: float
    high: float
    fitted_on: str
    regime: str = ""
    runs: int = 0
    attention_share: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"regime": self.regime, "low": self.low, "base": self.base, "high": self.high, "runs": self.runs,
                "attention_share": self.attention_share, "fitted_on": self.fitted_on}

    def per_6pd(self, share: float) -> "MfuRange":
        """The range counted on 6·P·D: each value ÷ (1 + ``share``), the attention share of the run, to the
        regime table's three decimals."""
        return MfuRange(*(round(value / (1.0 + share), 3) for value in (self.low, self.base, self.high)),
                        self.fitted_on, self.regime, self.runs, share)


#: Fallback where no regime has runs: Epoch AI's guidance (30% for LLMs when unreported,
#: Sevilla et al. 2022) widened to the spread seen on A100/H100.
DEFAULT_MFU = MfuRange(0.25, 0.35, 0.50, "Epoch AI guidance: 30% for LLM training when unreported", "default")


def generation_key(generation: str) -> str:
    key = str(generation or "").strip().lower()
    return "tpu" if key.startswith("tpu") else key


def precision_class(precision: str | None) -> str:
    """``fp8`` for 8-bit and narrower GEMMs, ``16bit`` otherwise."""
    name = element_precision("bf16" if precision is None else precision)
    if name.endswith("bit"):  # bits per weight given as a number
        return "fp8" if float(name[:-3]) <= 8 else "16bit"
    return "fp8" if name in EIGHT_BIT else "16bit"


def scale_class(architecture: str, gpus: float | None) -> str:
    """``node`` (≤ 128 GPUs) or ``cluster`` for dense runs of known size; ``any`` otherwise."""
    if architecture != "dense" or gpus is None:
        return "any"
    return "node" if float(gpus) <= NODE_SCALE_MAX_GPUS else "cluster"


def regime_name(generation: str, precision: str, architecture: str, scale: str) -> str:
    return f"{generation}/{precision}/{architecture}/{scale}"


def regime_chain(generation: str, precision: str | None = "bf16", moe: bool = False,
                 gpus: float | None = None) -> list[str]:
    """The regimes to try, most specific first (see the module docstring for the boundaries)."""
    architecture = "moe" if moe else "dense"
    scale = scale_class(architecture, gpus)
    generations = [generation_key(generation)]
    while generations[-1] in BORROWS_FROM and len(generations) < 5:
        generations.append(BORROWS_FROM[generations[-1]])
    first = precision_class(precision)
    chain: list[str] = []
    for prec in (first, "16bit" if first == "fp8" else "fp8"):
        for gen in generations:
            if scale != "any":
                chain.append(regime_name(gen, prec, architecture, scale))
            chain.append(regime_name(gen, prec, architecture, "any"))
        chain.append(regime_name("any", prec, architecture, "any"))
    return chain + [regime_name("any", "any", architecture, "any")]


def parse_regimes(text: str) -> dict[str, MfuRange]:
    """Regime rows of the CSV text, by regime name."""
    return {row["regime"]: MfuRange(float(row["low"]), float(row["base"]), float(row["high"]), row["fitted_on"],
                                    row["regime"], int(row["runs"]))
            for row in csv.DictReader(io.StringIO(text))}


def _load() -> dict[str, MfuRange]:
    try:
        from importlib.resources import files

        text = files("xlcompute.core").joinpath("data", "training_mfu_regimes.csv").read_text(encoding="utf-8")
    except (ImportError, FileNotFoundError, ModuleNotFoundError, OSError):
        text = REGIMES_CSV.read_text(encoding="utf-8")
    return parse_regimes(text)


#: The fitted regimes (``data/training_mfu_regimes.csv``), by name, e.g. ``"hopper/fp8/dense/node"``.
TRAINING_MFU_REGIMES: dict[str, MfuRange] = _load()

#: Typical MFU per generation on 6·P·D: its 16-bit dense regime over all scales (what a bare GPU gives),
#: at the default attention share.
TRAINING_MFU: dict[str, MfuRange] = {name.split("/")[0]: rng.per_6pd(DEFAULT_ATTENTION_SHARE)
                                     for name, rng in TRAINING_MFU_REGIMES.items()
                                     if name.endswith("/16bit/dense/any") and not name.startswith("any/")}


def pick_regime(table: dict[str, MfuRange], generation: str, precision: str | None = "bf16", moe: bool = False,
                gpus: float | None = None) -> MfuRange:
    """The first regime of :func:`regime_chain` that ``table`` has, else :data:`DEFAULT_MFU`."""
    for name in regime_chain(generation, precision, moe, gpus):
        if name in table:
            return table[name]
    return DEFAULT_MFU


def training_mfu(generation: str, precision: str | None = "bf16", moe: bool = False,
                 gpus: float | None = None, attention_share: float = DEFAULT_ATTENTION_SHARE) -> MfuRange:
    """Default MFU range of a training run on 6·P·D: its regime by GPU generation, precision, MoE and GPU
    count, ÷ (1 + ``attention_share``).

    ``generation`` ("ampere", "hopper", "blackwell", ...), ``precision`` of the GEMMs (fp8 is
    measured against the fp8 peak), ``moe`` True for a mixture of experts (MFU on active
    parameters), ``gpus`` the GPUs training together (None: unknown), ``attention_share`` a [-]
    (:func:`~xlcompute.core.training.attention_share`; default :data:`DEFAULT_ATTENTION_SHARE`). Steady state: time
    lost to failures is the program's goodput. Boundaries in the module docstring.
    """
    return pick_regime(TRAINING_MFU_REGIMES, generation, precision, moe, gpus).per_6pd(attention_share)


__all__ = ["BORROWS_FROM", "DEFAULT_ATTENTION_SHARE", "DEFAULT_MFU", "DEFAULT_TRAIN_SEQ_LEN", "MfuRange",
           "NODE_SCALE_MAX_GPUS", "TRAINING_MFU", "TRAINING_MFU_REGIMES", "parse_regimes",
           "pick_regime", "precision_class", "regime_chain", "regime_name", "scale_class", "training_mfu"]
