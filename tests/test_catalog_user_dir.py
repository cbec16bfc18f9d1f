"""A user catalog directory (XLCOMPUTE_CATALOG_DIR / use_catalog_dir / --catalog-dir): extra
model, GPU and price rows merged over the shipped ones and checked exactly as shipped rows are.

The added rows carry real published figures with their citations: the NVIDIA A40 (not in
the shipped catalog) from its datasheet, Qwen2.5-0.5B from its config.json and model card.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import xlcompute.catalog
from test_params import ACTIVE_COUNT_CONFLICTS
from xlcompute.scenario import serving_speed as serving
from xlcompute.catalog import (
    CATALOG_DIR_ENV,
    PRICES_ENV,
    catalog_dir,
    get_gpu,
    get_model,
    get_price,
    gpu_ids,
    list_gpus,
    list_models,
    list_prices,
    use_catalog_dir,
)
from xlcompute.catalog.models import check_counts
from xlcompute.cli import main
from xlcompute.core.errors import XlcomputeError
from xlcompute.core.hardware import Accelerator
from xlcompute.core.memory import kv_cache_bytes_per_token, weights_bytes

DATA = Path(xlcompute.catalog.__file__).parent / "data"

A40_SOURCE = ("NVIDIA A40 datasheet, images.nvidia.com/content/Solutions/data-center/a40/nvidia-a40-datasheet.pdf: "
              "FP32 37.4 TF; TF32 74.8 | 149.6*; BF16 and FP16 149.7 | 299.4*; INT8 299.3 | 598.6* TOPS (* = with "
              "sparsity); 48 GB GDDR6; 696 GB/s; NVLink 112.5 GB/s bidirectional; PCIe Gen4 64 GB/s; 300 W")
# A subset of the shipped columns (fp8, fp4 and the others left out), as a user may write it.
A40_GPUS_CSV = (
    "id,name,vendor,generation,aliases,memory_gb,memory_bandwidth_gbps,fp32,tf32,bf16,fp16,int8,"
    "interconnect_gbps,pcie_gbps,tdp_w,source,date,notes\n"
    f'a40,NVIDIA A40,NVIDIA,ampere,a40 48gb;nvidia a40 pcie,48,696,37.4,74.8,149.7,149.7,299.3,112.5,32,300,'
    f'"{A40_SOURCE}",2020-10-05,"PCIe card; no FP8 (Ampere)."\n'
)

QWEN_MODELS_CSV = (
    "id,name,family,hf_repos,hidden_size,num_layers,num_attention_heads,num_kv_heads,head_dim,intermediate_size,"
    "vocab_size,tie_word_embeddings,qkv_bias,max_position_embeddings,official_total_params,"
    "official_non_embedding_params,config_source,params_source,date,notes\n"
    "qwen2.5-0.5b,Qwen2.5 0.5B,qwen2.5,Qwen/Qwen2.5-0.5B;Qwen/Qwen2.5-0.5B-Instruct,896,24,14,2,64,4864,151936,"
    "true,true,32768,0.49B,0.36B,https://huggingface.co/Qwen/Qwen2.5-0.5B/blob/main/config.json,"
    "\"huggingface.co/Qwen/Qwen2.5-0.5B model card: 'Number of Parameters: 0.49B; Number of Paramaters "
    "(Non-Embedding): 0.36B'\",2024-09-19,QKV bias; tied embeddings\n"
)

# A user's own quote, as a user price file holds (figures of a negotiated offer, not a public price).
A40_PRICES_CSV = (
    "gpu_id,provider,pricing,region,usd_per_gpu_hour,source,date\n"
    "NVIDIA A40,acme-cloud,on_demand,eu-west,0.79,acme-cloud offer Q-2026-031 to us,2026-03-02\n"
)

# Qwen2.5-0.5B derived from its config.json: embedding 151,936 x 896 (tied) + 24 layers of
# attention (q 896x896+896, k and v 896x128+128, o 896x896), gated MLP 3 x 896 x 4864 and two
# RMSNorms, + the final norm.
QWEN_05B_PARAMS = 151_936 * 896 + 24 * (896 * 896 + 896 + 2 * (896 * 128 + 128) + 896 * 896
                                        + 3 * 896 * 4864 + 2 * 896) + 896


@pytest.fixture
def user_dir(tmp_path, monkeypatch):
    """An empty catalog directory, not in use yet (conftest's autouse fixture undoes any
    setting of XLCOMPUTE_CATALOG_DIR after each test), and no prices file."""
    monkeypatch.delenv(PRICES_ENV, raising=False)
    directory = tmp_path / "my_catalog"
    directory.mkdir()
    return directory


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def _shipped_row(file: str, row_id: str) -> tuple[list[str], dict[str, str]]:
    with (DATA / file).open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), next(r for r in reader if r["id"] == row_id)


def _csv(header: list[str], *rows: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


# --- adding ----------------------------------------------------------------------------------


def test_new_gpu_model_and_price_resolve_and_compute(user_dir):
    gpus = _write(user_dir, "gpus.csv", A40_GPUS_CSV)
    models = _write(user_dir, "models.csv", QWEN_MODELS_CSV)
    prices = _write(user_dir, "prices.csv", A40_PRICES_CSV)
    assert "a40" not in gpu_ids() and "qwen2.5-0.5b" not in {m.id for m in list_models()}
    assert use_catalog_dir(user_dir) is None
    assert os.environ[CATALOG_DIR_ENV] == str(user_dir) and catalog_dir() == user_dir

    a40 = get_gpu("a40")
    assert get_gpu("NVIDIA A40") is a40 and get_gpu("A40 48GB") is a40
    assert (a40.memory_gb, a40.memory_bandwidth_gbps, a40.tdp_w) == (48, 696, 300)
    assert a40.dense_tflops == {"fp32": 37.4, "tf32": 74.8, "bf16": 149.7, "fp16": 149.7, "int8": 299.3}
    assert a40.origin == str(gpus) and "nvidia-a40-datasheet.pdf" in a40.source
    assert list_gpus()[-1] is a40  # added after the shipped rows

    qwen = get_model("Qwen/Qwen2.5-0.5B-Instruct")
    assert qwen.id == "qwen2.5-0.5b" and qwen.origin == str(models)
    assert qwen.total_params == QWEN_05B_PARAMS == 494_032_768  # card: 0.49B
    assert qwen.non_embedding_params == QWEN_05B_PARAMS - 151_936 * 896  # card: 0.36B

    price = get_price("a40")
    assert (price.provider, price.usd_per_gpu_hour, price.origin) == ("acme-cloud", 0.79, str(prices))

    # Computations take the new ids like shipped ones, with the same figures as the objects.
    assert kv_cache_bytes_per_token(qwen.arch, "bf16") == 2 * 24 * 2 * 64 * 2
    assert weights_bytes(qwen.total_params, "bf16") == 2 * 494_032_768
    by_id = serving.tpot_ms("qwen2.5-0.5b", "a40", context_tokens=2048, batch=8)
    by_object = serving.tpot_ms(qwen, Accelerator(id="x", name="x", memory_gb=48, memory_bandwidth_gbps=696, vendor=a40.vendor,
                                                  dense_tflops=dict(a40.dense_tflops)), context_tokens=2048, batch=8)
    assert by_id == pytest.approx(by_object)
    assert by_id > 1000 * weights_bytes(qwen.total_params, "bf16") / 696e9  # at least one read of the weights


def test_environment_variable_names_the_directory_and_caches_follow_it(user_dir, monkeypatch, tmp_path):
    _write(user_dir, "gpus.csv", A40_GPUS_CSV)
    with pytest.raises(XlcomputeError):
        get_gpu("a40")
    monkeypatch.setenv(CATALOG_DIR_ENV, str(user_dir))
    assert get_gpu("a40").memory_gb == 48
    # an edited file is read again
    _write(user_dir, "gpus.csv", A40_GPUS_CSV.replace(",48,696,", ",48,700,"))
    assert get_gpu("a40").memory_bandwidth_gbps == 700
    # another directory, then none: the shipped catalog alone again
    other = tmp_path / "other"
    other.mkdir()
    use_catalog_dir(other)
    with pytest.raises(XlcomputeError, match="unknown gpu 'a40'"):
        get_gpu("a40")
    assert use_catalog_dir(None) == str(other)
    assert CATALOG_DIR_ENV not in os.environ and catalog_dir() is None
    assert len(list_gpus()) == len(gpu_ids()) and "a40" not in gpu_ids()


# --- replacing ---------------------------------------------------------------------------------


def test_a_row_with_a_shipped_id_replaces_that_row(user_dir):
    header, h100 = _shipped_row("gpus.csv", "h100-sxm")
    shipped = get_gpu("h100-sxm")
    position = gpu_ids().index("h100-sxm")
    capped = dict(h100, tdp_w="500", date="2026-01-15",
                  source="our cluster: nvidia-smi -q reports a 500 W power limit on every H100 SXM5; other figures "
                         "as nvidia.com/en-us/data-center/h100/")
    path = _write(user_dir, "gpus.csv", _csv(header, capped))
    count = len(list_gpus())
    use_catalog_dir(user_dir)
    replaced = get_gpu("H100")  # the shipped aliases came with the copied row
    assert replaced.id == "h100-sxm" and replaced.tdp_w == 500 and shipped.tdp_w == 700
    assert replaced.origin == str(path) and replaced.source.startswith("our cluster")
    assert len(list_gpus()) == count and gpu_ids().index("h100-sxm") == position
    assert replaced.dense_tflops == shipped.dense_tflops


def test_a_replaced_model_is_checked_and_keeps_its_place(user_dir):
    header, row = _shipped_row("models.csv", "llama-3.1-8b")
    _write(user_dir, "models.csv", _csv(header, dict(row, notes="our fine-tune keeps the base architecture")))
    use_catalog_dir(user_dir)
    model = get_model("meta-llama/Llama-3.1-8B-Instruct")
    assert model.notes.startswith("our fine-tune") and model.origin.endswith("models.csv")
    assert [m.id for m in list_models()].count("llama-3.1-8b") == 1


def test_prices_merge_with_the_prices_file_which_comes_last(user_dir, tmp_path, monkeypatch):
    _write(user_dir, "gpus.csv", A40_GPUS_CSV)
    _write(user_dir, "prices.csv", A40_PRICES_CSV + "h100,lambda,on_demand,us,2.10,lambda offer 55 to us,2026-04-01\n")
    shipped_lambda = get_price("h100", "lambda").usd_per_gpu_hour
    use_catalog_dir(user_dir)
    assert get_price("h100", "lambda").usd_per_gpu_hour == 2.10 != shipped_lambda
    rows = [p for p in list_prices("h100") if p.provider == "lambda" and p.pricing == "on_demand"]
    assert len(rows) == 1  # replaced, not duplicated
    prices_file = _write(tmp_path, "quotes.csv", "gpu_id,provider,pricing,region,usd_per_gpu_hour,source,date\n"
                                                 "a40,acme-cloud,on_demand,eu-west,0.69,acme renewal R-7,2026-05-01\n")
    monkeypatch.setenv(PRICES_ENV, str(prices_file))  # XLCOMPUTE_PRICES still works, and wins
    assert get_price("a40").usd_per_gpu_hour == 0.69 and get_price("a40").origin == str(prices_file)


# --- errors ------------------------------------------------------------------------------------


BAD_ROWS = [
    # (file, (text in the good file, its replacement), the message: file, line, column, expected, found)
    ("gpus.csv", ("memory_bandwidth_gbps,", ""),
     r"gpus\.csv', line 1: missing column\(s\) memory_bandwidth_gbps; expected a header with .* found id, name"),
    ("gpus.csv", (",source,date,", ",source,"), r"gpus\.csv', line 1: missing column\(s\) date"),
    ("gpus.csv", ("tdp_w,", "tdp,"),
     r"gpus\.csv', line 1, column tdp: expected one of the shipped columns .* found 'tdp'\. Did you mean tdp_w\?"),
    ("gpus.csv", (",48,696,", ",forty-eight,696,"),
     r"gpus\.csv', line 2 \(a40\), column memory_gb: expected a number, found 'forty-eight'\."),
    ("gpus.csv", (",32,300,", ",32,-300,"),
     r"line 2 \(a40\), column tdp_w: expected a number \(finite, not negative\), found '-300'\."),
    ("gpus.csv", (f'"{A40_SOURCE}"', ""),
     r"line 2 \(a40\), column source: expected where the row's figures come from .*, found nothing\."),
    ("gpus.csv", ("2020-10-05", ""),
     r"line 2 \(a40\), column date: expected the ISO date \(YYYY-MM-DD\) of the cited source, found ''\."),
    ("gpus.csv", ("2020-10-05", "Oct 2020"), r"column date: expected the ISO date .* found 'Oct 2020'\."),
    ("gpus.csv", ("\na40,", "\nA40 card,"), r"line 2, column id: expected a lower-case id .* found 'A40 card'\."),
    ("gpus.csv", ("37.4,74.8,149.7,149.7,299.3", ",,,,"),
     r"line 2 \(a40\), columns fp32, .*: expected at least one dense peak"),
    ("gpus.csv", ("ampere", ""), r"line 2 \(a40\), column generation: expected a value, found nothing\."),
    ("models.csv", (",24,14,2,", ",32,14,2,"),
     r"models\.csv', line 2 \(qwen2\.5-0\.5b\), column official_total_params: expected a count within 1\.0% of the "
     r"613,331,840 derived .* found '0\.49B' \(25\.2% apart\)"),
    ("models.csv", (",896,24,", ",896.5,24,"),
     r"line 2 \(qwen2\.5-0\.5b\), column hidden_size: expected a whole number, found '896\.5'"),
    ("models.csv", (",0.49B,", ",,"), r"column official_total_params: expected the published total parameter count"),
    ("models.csv", (",0.49B,", ",half a billion,"),
     r"column official_total_params: expected a count such as 6\.74B .* found 'half a billion'"),
    ("models.csv", (",4864,", ",,"), r"column intermediate_size: expected a whole number above 0, found nothing\."),
    ("models.csv", ("https://huggingface.co/Qwen/Qwen2.5-0.5B/blob/main/config.json", ""),
     r"column config_source: expected where the row's figures come from"),
    ("models.csv", ("true,true,32768", "yes please,true,32768"),
     r"column tie_word_embeddings: expected true or false, found 'yes please'"),
]
GOOD_TEXT = {"gpus.csv": A40_GPUS_CSV, "models.csv": QWEN_MODELS_CSV}


@pytest.mark.parametrize("file, change, message", BAD_ROWS,
                         ids=[f"{file}: {new or 'no ' + old}" for file, (old, new), _ in BAD_ROWS])
def test_a_bad_row_names_file_line_column_expected_and_found(user_dir, file, change, message):
    old, new = change
    assert old in GOOD_TEXT[file]
    _write(user_dir, file, GOOD_TEXT[file].replace(old, new, 1))
    os.environ[CATALOG_DIR_ENV] = str(user_dir)
    with pytest.raises(XlcomputeError, match=message) as err:
        list_gpus(), list_models()  # any lookup reads the directory
    assert str(user_dir / file) in str(err.value)


@pytest.mark.parametrize("column, value, message", [
    ("mlp", "swiglu", r"line 2 \(qwen2\.5-0\.5b\), column mlp: expected one of 'gated', 'plain', found the text "
                      r"'swiglu'"),
    ("tolerance", "0.05", r"line 2 \(qwen2\.5-0\.5b\), column notes: expected the reason for the tolerance of "
                          r"0\.05 .* found 'QKV bias; tied embeddings'\."),
])
def test_optional_columns_are_checked_as_for_shipped_rows(user_dir, column, value, message):
    header = QWEN_MODELS_CSV.split("\n", 1)[0]
    _write(user_dir, "models.csv", QWEN_MODELS_CSV.replace(header, f"{header},{column}")
           .replace("embeddings\n", f"embeddings,{value}\n"))
    os.environ[CATALOG_DIR_ENV] = str(user_dir)
    with pytest.raises(XlcomputeError, match=message):
        list_models()


@pytest.mark.parametrize("text, message", [
    (A40_PRICES_CSV.replace(",acme-cloud offer Q-2026-031 to us,", ",,"),
     r"prices\.csv', line 2, column source: expected a value, found nothing\."),
    (A40_PRICES_CSV.replace(",2026-03-02", ""), r"prices\.csv', line 2, column date: expected a value"),
    (A40_PRICES_CSV.replace(",0.79,", ",cheap,"),
     r"prices\.csv', line 2, column usd_per_gpu_hour: expected a number, found 'cheap'\."),
    (A40_PRICES_CSV.replace("NVIDIA A40", "A4O"), r"prices\.csv', line 2, column gpu_id: unknown gpu 'A4O'"),
    (A40_PRICES_CSV.replace("source,date", "source,date,comment"), r"line 1, column comment: expected one of the "
                                                                   r"shipped columns"),
])
def test_a_bad_price_row_names_file_line_and_column(user_dir, text, message):
    _write(user_dir, "gpus.csv", A40_GPUS_CSV)
    _write(user_dir, "prices.csv", text)
    os.environ[CATALOG_DIR_ENV] = str(user_dir)
    with pytest.raises(XlcomputeError, match=message):
        list_prices()


def test_ids_must_be_unambiguous(user_dir):
    _write(user_dir, "gpus.csv", A40_GPUS_CSV + A40_GPUS_CSV.split("\n", 1)[1])
    os.environ[CATALOG_DIR_ENV] = str(user_dir)
    with pytest.raises(XlcomputeError, match=r"line 3, column id: expected each id once, found 'a40' again "
                                             r"\(first on line 2\)"):
        list_gpus()
    # a new id that already names a shipped row ("a100" is the A100 80GB's alias) would never be found
    _write(user_dir, "gpus.csv", A40_GPUS_CSV.replace("\na40,", "\na100,"))
    with pytest.raises(XlcomputeError, match=r"line 2, column id: expected an id that no other row answers to, "
                                             r"found 'a100', a name of 'a100-80gb'"):
        get_gpu("h100")


def test_a_misnamed_or_missing_directory_or_file_is_an_error(user_dir, tmp_path):
    _write(user_dir, "model.csv", QWEN_MODELS_CSV)
    os.environ[CATALOG_DIR_ENV] = str(user_dir)
    with pytest.raises(XlcomputeError, match=r"expected only models\.csv, gpus\.csv, prices\.csv, servers\.csv, api_prices\.csv, "
                                              r"grid_intensity\.csv, storage_prices\.csv, found model\.csv"):
        get_model("llama-3.1-8b")
    os.environ[CATALOG_DIR_ENV] = str(tmp_path / "nowhere")
    with pytest.raises(XlcomputeError, match=r"XLCOMPUTE_CATALOG_DIR: expected a directory .* cannot be read"):
        get_gpu("h100")
    os.environ[CATALOG_DIR_ENV] = str(_write(tmp_path, "gpus.csv", A40_GPUS_CSV))
    with pytest.raises(XlcomputeError, match=r"XLCOMPUTE_CATALOG_DIR: expected a directory .* found the file"):
        get_gpu("h100")
    (user_dir / "model.csv").unlink()
    (user_dir / "gpus.csv").write_bytes(b"id,name\n\xff\xfe\n")
    os.environ[CATALOG_DIR_ENV] = str(user_dir)
    with pytest.raises(XlcomputeError, match=r"gpus\.csv': expected UTF-8 text, found byte 0xff"):
        get_gpu("h100")


def test_use_catalog_dir_checks_the_files_at_once_and_keeps_the_previous_setting(user_dir, tmp_path):
    good = tmp_path / "good"
    good.mkdir()
    _write(good, "gpus.csv", A40_GPUS_CSV)
    use_catalog_dir(good)
    _write(user_dir, "gpus.csv", A40_GPUS_CSV.replace("2020-10-05", "someday"))
    with pytest.raises(XlcomputeError, match="column date"):
        use_catalog_dir(user_dir)
    assert catalog_dir() == good and get_gpu("a40").origin == str(good / "gpus.csv")


# --- the same checks as the shipped rows -------------------------------------------------------


def test_shipped_models_pass_the_count_check_user_rows_get():
    """check_counts applies to user rows at load the rules tests/test_params.py holds the shipped
    rows to; every shipped row passes it but the documented conflicts listed there."""
    failing = set()
    for model in list_models():
        try:
            check_counts(model)
        except XlcomputeError:
            failing.add(model.id)
    assert failing == ACTIVE_COUNT_CONFLICTS


# --- command line and security -----------------------------------------------------------------


def test_cli_lists_user_rows_from_the_option_or_the_environment(user_dir, monkeypatch):
    _write(user_dir, "gpus.csv", A40_GPUS_CSV)
    _write(user_dir, "models.csv", QWEN_MODELS_CSV)
    _write(user_dir, "prices.csv", A40_PRICES_CSV)
    runner = CliRunner()
    result = runner.invoke(main, ["--catalog-dir", str(user_dir), "gpus"])
    assert result.exit_code == 0, result.output
    line = next(row for row in result.output.splitlines() if row.startswith("a40 "))
    assert line.split()[1:3] == ["48", "696"] and line.endswith("user")
    monkeypatch.setenv(CATALOG_DIR_ENV, str(user_dir))
    result = runner.invoke(main, ["models", "qwen2.5-0.5b"])
    assert result.exit_code == 0, result.output
    assert "494,032,768" in result.output and f"user file {user_dir / 'models.csv'}" in result.output
    result = runner.invoke(main, ["prices", "--gpu", "a40"])
    assert result.exit_code == 0 and "acme-cloud" in result.output and "0.790" in result.output


def test_cli_reports_a_bad_file_without_a_traceback(user_dir):
    _write(user_dir, "gpus.csv", A40_GPUS_CSV.replace(",48,696,", ",48,fast,"))
    result = CliRunner().invoke(main, ["--catalog-dir", str(user_dir), "gpus"])
    assert result.exit_code == 2, result.output
    assert "column memory_bandwidth_gbps: expected a number, found 'fast'" in result.output
    assert "Traceback" not in result.output


def test_workbook_content_cannot_name_the_directory():
    """Only the person running xlcompute names the directory: the Excel functions and the
    workbook reader never set it."""
    root = Path(xlcompute.catalog.__file__).parents[1]
    for path in [root / "udfs.py", *sorted((root / "workbook").glob("*.py"))]:
        text = path.read_text(encoding="utf-8")
        assert "use_catalog_dir" not in text and CATALOG_DIR_ENV not in text, path.name
