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


def test_restart_gpu_hours_and_the_program_add_up():
    # Meta's Llama 3 405B run kept above 90% effective training time (Llama Team 2024, arXiv:2407.21783,
    # §3.3.4): at g = 0.9, 1,000 GPU-hours of work reserve 1,000 / 0.9 = 1,111.1, of which 111.1 are lost.
    assert program.restart_gpu_hours(1000, 0.9) == pytest.approx(111.111, abs=1e-3)
    assert program.restart_gpu_hours(1000, 1.0) == 0
    # The program's parts: the final run, experiments and evaluation, plus the time their failures take.
    work = 1000 * (1 + 0.25 + 0.05)
    assert work + program.restart_gpu_hours(work, 0.9) == pytest.approx(program.program_gpu_hours(1000, 0.25, 0.05, 0.9))
    with pytest.raises(XlcomputeError):
        program.restart_gpu_hours(1000, 0)
    assert REGISTRY["RESTART_GPU_HOURS"].run(1000, 0.9).value == pytest.approx(111.111, abs=1e-3)


def test_the_training_quote_prices_the_program_as_line_items():
    from pathlib import Path

    from xlcompute.workbook.evaluate import evaluate
    from xlcompute.workbook.quote_checks import line_items

    ev = evaluate(Path(__file__).resolve().parents[1] / "workbooks" / "training_quote.xlsx")
    lines = {item.values["Description"]: (item.values["Quantity"], item.values["Unit price"], item.values["Amount"])
             for item in line_items(ev)}
    # Hand-worked from the sample: 594,186.5 GPU-hours on 1,024 GPUs = 24.18 days -> 25 whole days reserved,
    # 1,024 x 25 x 24 = 614,400 GPU-hours at Lambda's 3.99 = 2,451,456.00.
    assert lines["GPU compute, final run"] == (614_400, 3.99, 2_451_456.00)
    # Experiments 0.25 x 614,400 = 153,600 (612,864.00); evaluation 0.05 x 614,400 = 30,720 (122,572.80).
    assert lines["Experiments and ablations"] == (153_600, 3.99, 612_864.00)
    assert lines["Evaluation"] == (30_720, 3.99, 122_572.80)
    # Failed runs and restarts at 90% goodput (Llama Team 2024, §3.3.4): 798,720 x 0.1 / 0.9 = 88,746.7 ->
    # 88,747 GPU-hours = 354,100.53.
    assert lines["Failed runs and restarts"] == (88_747, 3.99, 354_100.53)
    # The program: 614,400 x 1.3 / 0.9 = 887,466.7 GPU-hours; contingency 5% = 44,373.3 -> 44,373 = 177,048.27.
    assert ev.value("PROGRAM_GPU_HOURS_TOTAL") == pytest.approx(887_466.667, abs=1e-3)
    assert lines["Contingency"] == (44_373, 3.99, 177_048.27)
    # Three checkpoints of Llama 3.1 70B (70.55e9 parameters) at 16 bytes: 3.39 TB for the one storage month at
    # Google Cloud Storage Standard's list price, 0.000027397 USD per GiB-hour x 730 h x 931.32 GiB per TB =
    # 18.6263 per TB-month (cloud.google.com/storage/pricing, read 2026-09-20): 63.14.
    assert ev.value("CHECKPOINT_STORAGE_TB") == pytest.approx(ev.value("PARAMS") * 48 / 1e12)
    assert lines["Checkpoint storage"] == (3.39, 18.6263, 63.14)
    assert lines["Storage for data"] == (200, 18.6263, 3_725.26)
    # The lines are the program's budget: they sum to the subtotal.
    assert ev.value("SUBTOTAL") == pytest.approx(sum(amount for _, _, amount in lines.values()), abs=1e-6)
    assert ev.value("SUBTOTAL") == pytest.approx(3_739_830.00, abs=0.005)


def test_spot_billed_hours():
    # Young 1974: each interruption loses half a checkpoint interval plus the restart. Two a day with
    # hourly checkpoints and a 15-minute restart lose 2 x 0.75 h = 1.5 h of 24: 1,000 h of work bill
    # 1,000 / (1 - 0.0625) = 1,066.67 h.
    assert program.spot_billed_hours(1000, 2, 1, 0.25) == pytest.approx(1066.667, abs=1e-3)
    assert program.spot_billed_hours(1000, 0) == 1000  # on-demand: nothing lost
    with pytest.raises(XlcomputeError, match="no time for work"):
        program.spot_billed_hours(1000, 100)
    assert REGISTRY["SPOT_HOURS"].run(1000, 2).value == pytest.approx(1066.667, abs=1e-3)
