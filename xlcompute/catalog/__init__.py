"""Catalogs of models, accelerators and prices, read from the CSV files in ``data/``.

One row per item, each with its source and date. Imports only :mod:`xlcompute.core` and
the standard library, so it runs in xlwings Lite's Pyodide too. Extra rows, or replacements
of shipped ones, come from a user directory (:mod:`xlcompute.catalog.user_dir`:
``XLCOMPUTE_CATALOG_DIR`` or :func:`use_catalog_dir`).
"""

from .gpus import get_gpu, gpu_ids, list_gpus
from .hf_config import arch_from_config, arch_from_config_file
from .models import Model, get_arch, get_model, list_models, model_ids
from .prices import PRICES_ENV, Price, get_price, list_prices
from .user_dir import CATALOG_DIR_ENV, catalog_dir, use_catalog_dir

__all__ = [
    "CATALOG_DIR_ENV", "Model", "PRICES_ENV", "Price", "arch_from_config", "arch_from_config_file", "catalog_dir",
    "get_arch", "get_gpu", "get_model", "get_price", "gpu_ids", "list_gpus", "list_models", "list_prices",
    "model_ids", "use_catalog_dir",
]
