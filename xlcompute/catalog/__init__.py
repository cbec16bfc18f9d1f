"""Catalogs of models, accelerators, prices, servers, API prices, grid intensities and storage prices (CSV files in ``data/``).

One row per item, each with its source and date. Imports only :mod:`xlcompute.core` and
the standard library, so it runs in xlwings Lite's Pyodide too. Extra rows, or replacements
of shipped ones, come from a user directory (:mod:`xlcompute.catalog.user_dir`:
``XLCOMPUTE_CATALOG_DIR`` or :func:`use_catalog_dir`).
"""

from .api_prices import ApiPrice, get_api_price, list_api_prices
from .gpus import get_gpu, gpu_ids, list_gpus
from .grid import GridIntensity, get_grid_intensity, list_grid_intensities
from .hf_config import arch_from_config, arch_from_config_file
from .models import Model, get_arch, get_model, list_models, model_ids, workbook_text
from .prices import PRICES_ENV, Price, get_price, list_prices
from .release import catalog_date
from .servers import Server, get_server, list_servers, server_ids
from .storage import StoragePrice, get_storage_price, list_storage_prices
from .user_dir import CATALOG_DIR_ENV, catalog_dir, use_catalog_dir

__all__ = [
    "CATALOG_DIR_ENV", "ApiPrice", "GridIntensity", "Model", "PRICES_ENV", "Price", "Server", "StoragePrice", "arch_from_config",
    "arch_from_config_file", "catalog_date", "catalog_dir", "get_api_price", "get_arch", "get_gpu", "get_grid_intensity", "get_model",
    "get_price", "get_server", "get_storage_price", "gpu_ids", "list_api_prices", "list_gpus", "list_grid_intensities", "list_models",
    "list_prices", "list_servers", "list_storage_prices", "model_ids", "server_ids", "use_catalog_dir", "workbook_text",
]
