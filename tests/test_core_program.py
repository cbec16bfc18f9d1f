"""A training program's GPU-hours and checkpoint storage, against hand-worked figures and the
published sources cited in xlcompute.core.program."""

from __future__ import annotations

import pytest

from xlcompute.core import program
from xlcompute.core.errors import XlcomputeError
from xlcompute.functions import REGISTRY


def test_program_gpu_hours():
    # 594,187 final-run GPU-hours, experiments half a run, evaluation 5%, 90% goodput:
    # 594,187 x 1.55 / 0.9 = 1,023,322.06.
    assert program.program_gpu_hours(594_187, 0.5, 0.05, 0.9) == pytest.approx(1_023_322.06, abs=0.01)
    assert program.program_gpu_hours(1000) == 1000  # the final run alone
    with pytest.raises(XlcomputeError, match="goodput"):
        program.program_gpu_hours(1000, goodput=0)


def test_goodput_of_llama3_pretraining():
    # Llama Team 2024 §3.3.4: "higher than 90% effective training time"; at 0.9 a run of 30.84M
    # GPU-hours (Llama 3.1 405B, its model card) reserves 34.27M.
    assert program.program_gpu_hours(30.84e6, goodput=0.9) == pytest.approx(34.27e6, rel=1e-3)


def test_checkpoint_storage():
    # ZeRO §3: 16 bytes per parameter; 70e9 x 16 = 1.12e12 bytes = 1.12 TB per checkpoint.
    assert program.checkpoint_storage_tb(70e9) == pytest.approx(1.12)
    assert program.checkpoint_storage_tb(70e9, 3, 2) == pytest.approx(0.42)  # three bf16 weight-only copies
    model = REGISTRY["CHECKPOINT_TB"].run("llama-3.1-70b", 3)
    assert model.value == pytest.approx(REGISTRY["MODEL_PARAMS"].run("llama-3.1-70b").value * 48 / 1e12)
    assert any(r.name == "model" for r in model.resolved)  # the model's source is cited


def test_training_quote_budgets_the_program_around_the_run():
    from pathlib import Path

    from xlcompute.workbook.evaluate import evaluate

    ev = evaluate(Path(__file__).resolve().parents[1] / "workbooks" / "training_quote.xlsx")
    # The sample: 594,186.5 final-run GPU-hours x (1 + 0.25 experiments + 0.05 evaluation) / 0.9 goodput.
    assert ev.value("PROGRAM_GPU_HOURS_TOTAL") == pytest.approx(ev.value("GPU_HOURS") * 1.3 / 0.9)
    assert ev.value("PROGRAM_GPU_HOURS_TOTAL") == pytest.approx(858_269.4, abs=0.1)
    # Three checkpoints of Llama 3.1 70B (70.55e9 parameters) at 16 bytes: 3.39 TB, within the 200 TB quoted.
    assert ev.value("CHECKPOINT_STORAGE_TB") == pytest.approx(ev.value("PARAMS") * 48 / 1e12)
    assert ev.value("CHECKPOINT_STORAGE_TB") < ev.value("STORAGE_TB")


def test_spot_billed_hours():
    # Young 1974: each interruption loses half a checkpoint interval plus the restart. Two a day with
    # hourly checkpoints and a 15-minute restart lose 2 x 0.75 h = 1.5 h of 24: 1,000 h of work bill
    # 1,000 / (1 - 0.0625) = 1,066.67 h.
    assert program.spot_billed_hours(1000, 2, 1, 0.25) == pytest.approx(1066.667, abs=1e-3)
    assert program.spot_billed_hours(1000, 0) == 1000  # on-demand: nothing lost
    with pytest.raises(XlcomputeError, match="no time for work"):
        program.spot_billed_hours(1000, 100)
    assert REGISTRY["SPOT_HOURS"].run(1000, 2).value == pytest.approx(1066.667, abs=1e-3)
