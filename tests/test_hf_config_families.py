"""Every stored config.json imports to its published parameter count; broken files fail clearly.

The configs are the published ``config.json`` files of each family (tests/data/<id>/config.json;
tests/data/README.md says where each copy was taken from). Their published counts are in
tests/data/config_counts.csv: a ``catalog_id`` reuses that models.csv row's official counts,
tolerance and printed precision; otherwise the row quotes its own source.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from test_params import ACTIVE_COUNT_CONFLICTS
from xlcompute.catalog import get_model
from xlcompute.catalog._data import parse_count, quoted_half_unit
from xlcompute.catalog.hf_config import arch_from_config
from xlcompute.cli import main
from xlcompute.core.errors import XlcomputeError
from xlcompute.core.params import params_total

DATA = Path(__file__).parent / "data"
with open(DATA / "config_counts.csv", newline="", encoding="utf-8") as handle:
    ROWS = {row["config"]: row for row in csv.DictReader(handle)}
CONFIGS = sorted(path.parent.name for path in DATA.glob("*/config.json"))
DEFAULT_TOLERANCE = 0.01  # the 1 %
# Imported counts that differ from the catalog row's derived count, by design:
NOT_EQUAL_TO_CATALOG = {
    "opt-13b": "OPT's position table holds 2 offset rows more than max_position_embeddings",
    "opt-66b": "OPT's position table holds 2 offset rows more than max_position_embeddings",
    "mpt-7b": "no_bias drops the LayerNorm biases, which the catalog row counts",
}


def _published(row: dict[str, str]) -> dict[str, tuple[float, float]]:
    """{which: (official count, allowed relative deviation)} for one config_counts.csv row."""
    if row["catalog_id"]:
        model = get_model(row["catalog_id"])
        counts = {"total": model.official_total_params, "active": model.official_active_params,
                  "non_embedding": model.official_non_embedding_params}
        return {which: (count, model.allowed_deviation(which)) for which, count in counts.items() if count}
    tolerance = float(row["tolerance"] or DEFAULT_TOLERANCE)
    published = {}
    for which in ("total", "active", "non_embedding"):
        text = row[f"official_{which}_params"]
        if text:
            count = parse_count(text)
            published[which] = (count, max(tolerance, quoted_half_unit(text) / count))
    return published


def test_every_stored_config_has_a_published_count():
    assert CONFIGS and set(CONFIGS) == set(ROWS)
    for row in ROWS.values():
        assert row["params_source"] and row["date"], row["config"]


@pytest.mark.parametrize("config", CONFIGS)
def test_config_imports_to_the_published_count(config):
    row = ROWS[config]
    model = get_model(DATA / config / "config.json")
    derived = {"total": model.total_params, "active": model.active_params,
               "non_embedding": model.non_embedding_params}
    published = _published(row)
    for which, (official, allowed) in published.items():
        if which == "active" and row["catalog_id"] in ACTIVE_COUNT_CONFLICTS:
            continue  # the card's active figure conflicts with its own config (test_params)
        assert abs(derived[which] / official - 1) <= allowed, (config, which, derived[which], official)
    if row["catalog_id"]:
        catalog = get_model(row["catalog_id"])
        if config not in NOT_EQUAL_TO_CATALOG:  # same architecture as the cited catalog row, to the parameter
            assert model.total_params == catalog.total_params
            assert model.active_params == catalog.active_params
            assert model.arch.num_kv_heads == catalog.arch.num_kv_heads
            assert model.arch.sliding_window_layers == catalog.arch.sliding_window_layers
        elif "total" not in published:
            pytest.fail(f"{config}: no official count and not comparable to its catalog row")
    else:
        assert "total" in published, config


@pytest.mark.parametrize("config", [c for c in CONFIGS if ROWS[c]["checkpoint_total_size_bytes"]])
def test_count_equals_the_checkpoint_size(config):
    # pytorch_model.bin.index.json total_size / 2 bytes (bfloat16); a tied head saved twice counts twice there
    row = ROWS[config]
    arch = get_model(DATA / config / "config.json").arch
    stored = params_total(arch) + (arch.vocab_size * arch.hidden_size if row["head_stored_twice"] == "true" else 0)
    assert stored * 2 == int(row["checkpoint_total_size_bytes"])


def _arch(config: str):
    return get_model(DATA / config / "config.json").arch


def test_implicit_widths_of_older_families():
    assert _arch("bloom-176b").intermediate_size == 4 * 14336  # BloomMLP: always 4 x hidden
    assert _arch("gpt2").intermediate_size == 4 * 768  # n_inner absent
    assert _arch("gpt-j-6b").intermediate_size == 4 * 4096  # n_inner null
    assert _arch("phi-2").intermediate_size == 4 * 2560  # phi-msft n_inner null
    assert _arch("falcon-7b").intermediate_size == 4 * 4544  # no ffn_hidden_size
    assert _arch("mpt-7b").intermediate_size == 4 * 4096  # expansion_ratio
    assert _arch("qwen-1.8b").intermediate_size == 11008 // 2  # Qwen 1 counts both SwiGLU halves


def test_layouts_the_config_classes_imply():
    falcon_7b, falcon_40b = _arch("falcon-7b"), _arch("falcon-40b-refinedweb")
    assert (falcon_7b.num_kv_heads, falcon_7b.parallel_attention, falcon_7b.tie_word_embeddings) == (1, True, True)
    assert (falcon_40b.num_kv_heads, falcon_40b.norms_per_layer) == (8, 2)  # n_head_kv: ln_attn + ln_mlp
    opt = _arch("opt-13b")
    assert (opt.position_embedding, opt.max_position_embeddings, opt.tie_word_embeddings) == ("learned", 2050, True)
    neox = _arch("redpajama-incite-3b")
    assert (neox.norms_per_layer, neox.parallel_attention, neox.qkv_bias) == (2, False, True)
    assert _arch("gpt-j-6b").tie_word_embeddings is False and _arch("gpt2").tie_word_embeddings is True
    assert _arch("gemma-2b").tie_word_embeddings is True  # GemmaConfig default
    # Gemma 3: every 6th layer global, the others a 512-token window (sliding_window_pattern 6)
    assert (_arch("gemma-3-1b").sliding_window, _arch("gemma-3-1b").sliding_window_layers) == (512, 26 - 26 // 6)


def test_llama4_interleaves_dense_and_moe_layers():
    maverick, scout = _arch("llama-4-maverick"), _arch("llama-4-scout")
    # interleave_moe_layer_step 2: MoE on layers 1, 3, ..., 47; dense layers use intermediate_size_mlp
    assert (maverick.first_dense_layers, maverick.moe_layer_freq, maverick.num_moe_layers) == (1, 2, 24)
    assert (maverick.intermediate_size, maverick.moe_intermediate_size, maverick.num_shared_experts) == (16384, 8192, 1)
    assert scout.num_moe_layers == 48
    assert scout.sliding_window_layers == 36  # chunked attention on 3 of every 4 layers


def _import_error(tmp_path: Path, config) -> str:
    path = tmp_path / "model" / "config.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(config if isinstance(config, str) else json.dumps(config), encoding="utf-8")
    with pytest.raises(XlcomputeError) as err:
        get_model(path)
    message = str(err.value)
    assert str(path) in message and err.value.argument == "model"
    return message


LLAMA = json.loads((DATA / "llama-3.1-8b" / "config.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("change, expected", [
    ({"hidden_size": None}, "missing key 'hidden_size'"),
    ({"num_hidden_layers": "32"}, "key 'num_hidden_layers' must be a whole number of at least 1, found '32'"),
    ({"num_attention_heads": 0}, "key 'num_attention_heads' must be a whole number of at least 1, found 0"),
    ({"tie_word_embeddings": "no"}, "key 'tie_word_embeddings' must be true or false"),
    ({"model_type": "mamba", "hidden_size": None}, "model_type 'mamba' is not supported"),
    ({"model_type": 7}, "model_type must be text"),
])
def test_malformed_llama_config_names_the_file_and_the_key(tmp_path, change, expected):
    config = {k: v for k, v in {**LLAMA, **change}.items() if v is not None}  # None: key left out
    assert expected in _import_error(tmp_path, config)


@pytest.mark.parametrize("config, expected", [
    ({"model_type": "bloom", "n_layer": 70, "n_head": 112, "vocab_size": 250880},
     "missing key 'hidden_size' (or 'n_embed')"),
    ({"model_type": "gpt2", "n_embd": 768, "n_head": 12}, "missing key 'n_layer' (or 'num_hidden_layers')"),
    ({"model_type": "mpt", "d_model": 4096, "n_heads": 32}, "missing key 'n_layers'"),
    ({"model_type": "opt", "hidden_size": 1024, "num_hidden_layers": 24, "word_embed_proj_dim": 512},
     "word_embed_proj_dim 512 differs from hidden_size 1024"),
    ({"model_type": "qwen3_moe", "hidden_size": 2048, "num_hidden_layers": 4, "mlp_only_layers": [1]},
     "MoE on layers [0, 2, 3] is not"),
    ({"model_type": "qwen3_moe", "hidden_size": 2048, "num_hidden_layers": 4, "mlp_only_layers": [9]},
     "key 'mlp_only_layers' must be a list of layer indices below 4"),
    ({"model_type": "llama", "hidden_size": 4096}, "missing key 'num_hidden_layers'"),
    ({"model_type": "some_new_arch", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
      "vocab_size": 100},
     "missing key 'intermediate_size': it is missing and model_type 'some_new_arch' has no default"),
    ("[1, 2]", "must hold a JSON object"),
    ("{not json", "is not valid JSON"),
])
def test_malformed_or_unknown_configs_give_one_clear_error(tmp_path, config, expected):
    assert expected in _import_error(tmp_path, config)


def test_cli_reports_a_broken_config_without_a_traceback(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "falcon", "num_hidden_layers": 32}), encoding="utf-8")
    result = CliRunner().invoke(main, ["models", str(path)])
    assert result.exit_code == 2
    assert f"Error: model: {path}: missing key 'hidden_size' (or 'n_embed')" in result.output
    assert "Traceback" not in result.output


def test_null_takes_the_classs_rule_for_none_and_absent_takes_its_default():
    base = {"model_type": "deepseek_v2", "hidden_size": 2048, "num_hidden_layers": 27, "num_attention_heads": 16,
            "vocab_size": 102400, "intermediate_size": 10944}
    assert arch_from_config(base).q_lora_rank == 1536  # DeepseekV2Config default
    assert arch_from_config({**base, "q_lora_rank": None}).q_lora_rank == 0  # V2-Lite: queries projected directly
    mistral = {"model_type": "mistral", "hidden_size": 4096, "num_hidden_layers": 32, "vocab_size": 32000}
    assert arch_from_config(mistral).sliding_window == 4096  # MistralConfig default
    assert arch_from_config({**mistral, "sliding_window": None}).sliding_window == 0
