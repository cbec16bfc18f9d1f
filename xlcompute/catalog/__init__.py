"""Catalogs of models, accelerators and prices, read from the CSV files in ``data/``.

One row per item, each with its source and date. Imports only :mod:`xlcompute.core` and
the standard library, so it runs in xlwings Lite's Pyodide too.
"""

from .gpus import get_gpu, gpu_ids, list_gpus
from .hf_config import arch_from_config, arch_from_config_file
from .models import Model, get_arch, get_model, list_models, model_ids, workbook_text
from .prices import PRICES_ENV, Price, get_price, list_prices

__all__ = [
    "Model", "PRICES_ENV", "Price", "arch_from_config", "arch_from_config_file", "get_arch", "get_gpu",
    "get_model", "get_price", "gpu_ids", "list_gpus", "list_models", "list_prices", "model_ids", "workbook_text",
]
