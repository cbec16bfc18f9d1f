"""Serving demand in business terms and options side by side (issue 13).

The serving quote turns daily users into a peak request rate, replicas (headroom, N+1) and GPUs in
whole rental units; its Options sheet prices three options with the same estimate and RECOMMENDED
picks the cheapest that meets the TTFT/TPOT targets; the quote's line items price that option and
the proposal compares the options and says why. Figures are hand-worked below from the workbook's
inputs and the catalog's list prices (xlcompute/catalog/data/prices.csv: RunPod H100 SXM on-demand
2.69, RunPod H200 spot 3.59, GCP H100 1-year committed 7.673 USD per GPU-hour).
"""

from __future__ import annotations

import math
from pathlib import Path

import openpyxl
import pytest

from money_helpers import name_cell, pdf_text
from xlcompute.report.context import build_context
from xlcompute.report.render import report_workbook
from xlcompute.workbook.check import check_workbook
from xlcompute.workbook.evaluate import evaluate
from xlcompute.workbook.generate import build_workbook
from xlcompute.functions.excel_values import address
from xlcompute.workbook.options_check import find_table, options_problems

REPO = Path(__file__).resolve().parents[1]
SERVING = REPO / "workbooks" / "serving_quote.xlsx"
H100, H200_SPOT, GCP = "H100 on-demand (RunPod)", "H200 spot (RunPod)", "H100 1-year committed (GCP)"


def _save(tmp_path: Path, kind: str = "inference", **names) -> Path:
    wb = build_workbook(kind)
    for name, value in names.items():
        sheet, cell = name_cell(wb, name)
        wb[sheet][cell] = value
    path = tmp_path / "serving.xlsx"
    wb.save(path)
    return path


def _options(ev) -> dict[str, dict[str, object]]:
    """The Options table as {option name: {header: value}}, however many rows its ref spans."""
    table = find_table(ev)
    headers = {col: ev.values.get((table.sheet, address(col, table.header_row))) for col in table.columns.values()}
    return {table.value(ev, "Option", row): {header: ev.values.get((table.sheet, address(col, row)))
                                             for col, header in headers.items()} for row in table.rows}


@pytest.fixture(scope="module")
def shipped():
    ev, problems = check_workbook(SERVING)
    assert problems == []
    return ev


def test_demand_in_business_terms_sizes_the_quote(shipped):
    ev = shipped
    # 60,000 daily users x 12 requests x peak-to-average 3 / 86,400 s = 25 requests/s at peak;
    # x 300 output tokens = 7,500 tokens/s.
    assert ev.value("REQUESTS_PER_S") == pytest.approx(25.0, rel=1e-12)
    assert ev.value("REQUIRED_TOKENS_PER_S") == pytest.approx(7500, rel=1e-12)
    # Replicas at most 80 % busy (headroom 0.2) plus one spare (N+1): roundup(7,500 / (0.8 x R)) + 1.
    per_replica = ev.value("REPLICA_TOKENS_PER_S")
    assert ev.value("REPLICAS") == math.ceil(7500 / (0.8 * per_replica)) + 1 == 9
    # Two H100s (80 GB) per replica for 70 GB of fp8 weights and the KV cache; RunPod rents single GPUs.
    assert ev.value("GPUS_PER_REPLICA") == 2 and ev.value("SERVE_GPUS_PER_NODE") == 1
    assert ev.value("GPU_COUNT") == 18
    # The average day, not the peak: 60,000 x 12 requests x 1,500 prompt tokens x 730 h / 24 h =
    # 3.285e10 input tokens a month, and x 300 output tokens 6.57e9.
    assert ev.value("MONTHLY_INPUT_TOKENS") == pytest.approx(3.285e10, rel=1e-12)
    assert ev.value("MONTHLY_OUTPUT_TOKENS") == pytest.approx(6.57e9, rel=1e-12)
    # Quote: 18 GPUs x 8,760 h x 2.69 = 424,159.20 + support 18,000.00 = 442,159.20; margin 15 % =
    # 66,323.88; discount 5 % of 508,483.08 = 25,424.15; total 483,058.93. A month: / 12 = 40,254.91;
    # a user: / 60,000 = 0.6709; a million tokens: / 39,420 = 1.0212.
    assert ev.value("TOTAL") == pytest.approx(483_058.93, abs=0.005)
    assert ev.value("QUOTE_MONTHLY_COST") == pytest.approx(40_254.91, abs=0.005)
    assert ev.value("PRICE_PER_USER") == pytest.approx(0.6709, abs=5e-5)
    assert ev.value("QUOTE_COST_PER_MTOK") == pytest.approx(40_254.91 / 39_420, rel=1e-9)


def test_whole_nodes_round_gpus_up_where_the_provider_rents_8_gpu_nodes(shipped, tmp_path):
    options = _options(shipped)
    # 9 replicas x 2 GPUs = 18 GPUs; RunPod rents 18, GCP's a3-highgpu-8g nodes make it 24.
    assert options[H100]["Replicas"] == 9 and options[H100]["GPUs"] == 18
    assert options[GCP]["Replicas"] == 9 and options[GCP]["GPUs"] == 24
    # No spare: 8 replicas = 16 GPUs, two whole nodes: no rounding.
    ev, problems = check_workbook(_save(tmp_path, SPARE_REPLICAS=0))
    assert problems == []
    assert _options(ev)[GCP]["GPUs"] == 16 and ev.value("GPU_COUNT") == 16


def test_the_cheapest_option_misses_ttft_so_the_cheapest_that_meets_it_is_quoted(shipped):
    options = _options(shipped)
    assert list(options) == [H100, H200_SPOT, GCP]
    # H200 spot: one 141 GB GPU per replica, 11 replicas = 11 GPUs x 730 h = 8,030 GPU-hours a month,
    # plus the interruption allowance (1 interruption a day losing a 15-minute restart: 1 / (1 - 0.25/24)
    # = 96/95, Young 1974): 8,114.53 -> 8,115 whole GPU-hours x 3.59 = 29,132.85 a month, still cheaper
    # than the H100s' 18 x 2.69 x 730 = 35,346.60 and GCP's 24 x 7.673 x 730 = 134,430.96;
    # its prefill of 1,500 tokens takes about 200 ms, above the 150 ms TTFT target.
    assert options[H200_SPOT]["Interruptions per day"] == 1
    assert options[H200_SPOT]["Interruption allowance"] == pytest.approx(1 / 95, rel=1e-12)
    assert options[H200_SPOT]["GPU-hours per month"] == 8_115
    assert options[H200_SPOT]["Monthly cost"] == 29_132.85
    # On-demand and committed rows are not interrupted: no allowance, the bare GPU-hours.
    assert options[H100]["Interruption allowance"] == 0 == options[GCP]["Interruption allowance"]
    assert options[H100]["GPU-hours per month"] == 18 * 730
    assert options[H100]["Monthly cost"] == 35_346.60
    assert options[GCP]["Monthly cost"] == 134_430.96
    assert options[H200_SPOT]["TTFT [ms]"] > 150 and options[H200_SPOT]["Meets SLA"] is False
    assert options[H100]["Meets SLA"] is True and options[GCP]["Meets SLA"] is True
    assert options[H100]["Term total"] == 424_159.20
    assert shipped.value("RECOMMENDED") == H100
    # The quote prices the recommended option.
    assert (shipped.value("SERVE_GPU"), shipped.value("SERVE_PROVIDER"), shipped.value("SERVE_PRICING")) == (
        "h100-sxm", "runpod", "on_demand")
    assert shipped.value("SERVE_GPU_HOUR_PRICE") == 2.69 and shipped.value("GPU_COUNT") == 18
    # The cover's scope names the GPU quoted, not those of the options compared.
    assert build_context(shipped)["scope"]["gpus"] == ["NVIDIA H100 SXM5 80GB"]


def test_a_looser_ttft_target_recommends_the_cheaper_h200_and_the_line_items_follow(tmp_path):
    path = _save(tmp_path, TTFT_TARGET_MS=250)
    ev, problems = check_workbook(path)
    assert problems == []
    assert ev.value("RECOMMENDED") == H200_SPOT and ev.value("RECOMMENDED_ROW") == 2
    assert ev.value("GPU_COUNT") == 11 and ev.value("SERVE_GPU_HOUR_PRICE") == 3.59
    wb = openpyxl.load_workbook(path)
    sheet, _ = ev.tables["LineItems"]
    first = {ev.values[(sheet, f"A{r}")]: r for r in range(15, 17)}["Serving GPUs"]
    # 11 GPUs x 730 h x 96/95 (the spot allowance, as in the Options table) = 8,115 whole GPU-hours a
    # month x 12 months = 97,380 GPU-hours x 3.59 = 349,594.20: the option's term total.
    assert ev.value("SERVE_INTERRUPTION_ALLOWANCE") == pytest.approx(1 / 95, rel=1e-12)
    assert ev.values[(sheet, f"B{first}")] == 97_380 and ev.values[(sheet, f"E{first}")] == 349_594.20
    assert _options(ev)[H200_SPOT]["Term total"] == 349_594.20
    assert wb[sheet][f"D{first}"].value == "=SERVE_GPU_HOUR_PRICE"
    scope = build_context(ev)["scope"]  # the cover names the recommended option's provider and pricing
    assert (scope["provider"], scope["pricing"], scope["gpu_count"]) == ("runpod", "spot", 11)
    assert scope["gpus"] == ["NVIDIA H200 SXM 141GB"]


def test_an_option_changed_in_the_table_is_compared_too(tmp_path):
    # Three options, none of the shipped order: CoreWeave's H200 on demand (6.305) in 8-GPU nodes
    # replaces GCP; with TTFT <= 250 ms all meet it and the spot H200 is still the cheapest.
    wb = build_workbook("inference")
    ws = wb["Options"]
    ws["A10"], ws["B10"], ws["C10"], ws["D10"], ws["E10"] = "H200 on-demand (CoreWeave)", "h200", "coreweave", "on_demand", 8
    sheet, cell = name_cell(wb, "TTFT_TARGET_MS")
    wb[sheet][cell] = 250
    path = tmp_path / "three.xlsx"
    wb.save(path)
    ev, problems = check_workbook(path)
    assert problems == []
    options = _options(ev)
    # 11 replicas of one H200 = 11 GPUs, in two 8-GPU nodes = 16 x 6.305 x 730 = 73,642.40.
    assert options["H200 on-demand (CoreWeave)"]["GPUs"] == 16
    assert options["H200 on-demand (CoreWeave)"]["Monthly cost"] == 73_642.40
    assert all(o["Meets SLA"] for o in options.values())
    assert ev.value("RECOMMENDED") == H200_SPOT


def test_no_option_meeting_the_targets_is_a_problem_at_recommended(tmp_path):
    # No option decodes a token of the 64-sequence batch in 10 ms (about 25 ms on two H100s): the root
    # cause comes first, at RECOMMENDED_ROW; the #N/A it spreads to the quoted GPU and prices comes after.
    ev, problems = check_workbook(_save(tmp_path, TPOT_TARGET_MS=10))
    first = problems[0]
    assert (first.sheet, first.cell) == ev.names["RECOMMENDED_ROW"] == ("Options", "B4")
    assert "no option meets the service level" in first.message and "TPOT_TARGET_MS" in first.message
    # The quoted GPU, provider, pricing and price read the recommended row: the errors it caused are
    # listed on the same line, not as problems of their own.
    assert len(problems) == 1 and "Inputs!B5" in first.message  # SERVE_GPU


def test_an_options_table_without_a_required_column_is_named(tmp_path):
    wb = build_workbook("inference")
    wb["Options"]["Q7"] = "SLA ok"
    path = tmp_path / "renamed.xlsx"
    wb.save(path)
    problems = options_problems(evaluate(path))
    assert [(p.sheet, p.cell, p.message) for p in problems] == [
        ("Options", "A7", "table Options has no column 'Meets SLA'")]


def test_a_workbook_without_options_has_none_to_check_or_print():
    ev = evaluate(REPO / "workbooks" / "training_quote.xlsx")
    assert options_problems(ev) == []
    assert build_context(ev)["options"] is None


@pytest.fixture(scope="module")
def proposals(tmp_path_factory):
    out = tmp_path_factory.mktemp("options")
    texts = {}
    for audience, lang in (("customer", "en"), ("internal", "en"), ("customer", "zh-CN")):
        pdf = report_workbook(SERVING, out / f"{audience}-{lang}.pdf", audience=audience, lang=lang).pdf
        texts[audience, lang] = " ".join(pdf_text(pdf).split())
    return texts


def test_the_customer_proposal_compares_the_options_at_sell_prices_and_says_why(proposals):
    text = proposals["customer", "en"]
    assert "Options compared" in text
    assert (f"{H100} is recommended: the cheapest option that meets TTFT ≤ 150 ms and TPOT ≤ 50 ms. "
            f"{H200_SPOT} is cheaper but misses TTFT.") in text
    # Sell prices: cost x (1 + 15 %) x (1 - 5 %): 35,346.60 -> 38,616.16 a month, 424,159.20 -> 463,393.93
    # the term; 29,132.85 -> 31,827.64; no supplier price per GPU-hour.
    for amount in ("38,616.16", "463,393.93", "31,827.64"):
        assert amount in text
    assert "35,346.60" not in text and "GPU-hour [USD]" not in text
    # The spot row says what its allowance assumes: 1 / (1 - 1 x 0.25 h / 24 h) - 1 = 1/95 = 1.053 %.
    assert (f"{H200_SPOT}: its GPU-hours include an interruption allowance of 1.053 %, the capacity lost restarting "
            "(provisioning and model load, 15 minutes each time) at an interruption rate of 1 per GPU-day") in text
    assert "misses TTFT" in text and "meets" in text


def test_the_internal_proposal_shows_costs_and_supplier_prices(proposals):
    text = proposals["internal", "en"]
    assert "Options compared" in text and f"{H100} is recommended" in text
    for figure in ("35,346.60", "29,132.85", "134,430.96", "1,613,171.52", "7.673"):
        assert figure in text
    assert f"{H200_SPOT}: TTFT [ms]" in text  # the option's cells in the formula breakdown, by name


def test_the_chinese_proposal_compares_the_options_too(proposals):
    text = proposals["customer", "zh-CN"]
    compact = text.replace(" ", "")  # lines of Chinese text wrap anywhere
    assert "方案比较" in compact and "推荐H100on-demand(RunPod)：满足TTFT≤150毫秒且TPOT≤50毫秒的方案中最便宜的一个" in compact
    assert "H200spot(RunPod)更便宜，但未达到TTFT目标" in compact and "未满足" in compact  # the table's cell
    assert "H200spot(RunPod)：其GPU时数含1.053%的中断余量" in compact


def test_an_option_name_is_text_in_the_proposal_never_markup(tmp_path):
    wb = build_workbook("inference")
    wb["Options"]["A8"] = '<img src="file:///etc/passwd">H100 {{ 7*7 }} %(option)s'
    wb.save(tmp_path / "hostile.xlsx")
    html = report_workbook(tmp_path / "hostile.xlsx", tmp_path / "hostile.pdf", html=True).html.read_text(encoding="utf-8")
    assert "<img src=\"file:" not in html
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;H100 {{ 7*7 }} %(option)s is recommended" in html
