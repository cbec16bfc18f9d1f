"""A user directory of extra catalog rows, merged over the shipped ones.

The directory is named by the environment variable ``XLCOMPUTE_CATALOG_DIR`` (or, the same
thing, :func:`use_catalog_dir`; on the command line ``xlcompute --catalog-dir DIR``). It may
hold ``models.csv``, ``gpus.csv``, ``prices.csv``, ``servers.csv``, ``api_prices.csv``,
``grid_intensity.csv`` and ``storage_prices.csv`` with the columns of the shipped files
(any subset of the optional ones). Each row is read and checked exactly as a shipped row is:

* a row whose id is new adds an item; a row with a shipped id replaces that row entirely
  (copy the shipped row and edit it to keep its aliases); the item's ``origin`` is the path
  of the user file, its ``source`` the user's;
* price rows are merged as a prices file is: one with the ``gpu_id``, ``provider``,
  ``pricing`` and ``region`` of another row replaces it, the others are added.

Only the person running xlcompute names this directory (environment, command line or a
call from their own code): nothing in a workbook selects it. Standard library only.

Loaded rows are cached by each file's path, modification time and size, so a changed file
or another directory is read again on the next lookup.
"""

from __future__ import annotations

import functools
import os
import stat
from pathlib import Path

from ..core.errors import XlcomputeError
from ._data import data_columns, read_user_csv

CATALOG_DIR_ENV = "XLCOMPUTE_CATALOG_DIR"
CATALOG_FILES = ("models.csv", "gpus.csv", "prices.csv", "servers.csv", "api_prices.csv", "grid_intensity.csv",
                 "storage_prices.csv")

FileKey = tuple[str, int, int]  # path, modification time [ns], size [bytes]


def use_catalog_dir(path: str | os.PathLike[str] | None) -> str | None:
    """Read extra catalog rows from the directory ``path`` from now on: the same as setting
    ``XLCOMPUTE_CATALOG_DIR`` in this process (processes it starts inherit it). ``None``
    goes back to the shipped catalog alone. Its files are checked at once; on an error the
    previous setting stays. Returns the previous directory (or None), to restore it later."""
    previous = os.environ.get(CATALOG_DIR_ENV) or None
    if path is None or str(path).strip() == "":
        os.environ.pop(CATALOG_DIR_ENV, None)
        return previous
    os.environ[CATALOG_DIR_ENV] = str(Path(path).expanduser())
    try:
        from . import api_prices, gpus, grid, models, prices, servers, storage  # noqa: PLC0415 - they import this module

        models.list_models(), gpus.list_gpus(), prices.list_prices()
        servers.list_servers(), api_prices.list_api_prices(), grid.list_grid_intensities()
        storage.list_storage_prices()
    except BaseException:
        if previous is None:
            os.environ.pop(CATALOG_DIR_ENV, None)
        else:
            os.environ[CATALOG_DIR_ENV] = previous
        raise
    return previous


def catalog_dir() -> Path | None:
    """The user catalog directory in use, or None (shipped catalog only)."""
    directory = _directory()
    return Path(directory) if directory else None


def _directory() -> str | None:
    text = os.environ.get(CATALOG_DIR_ENV, "").strip()
    return os.path.expanduser(text) if text else None


def user_file(name: str) -> FileKey | None:
    """``(path, mtime_ns, size)`` of ``name`` in the user catalog directory, or None when no
    directory is set or it holds no such file. The key of the caches of its rows."""
    directory = _directory()
    if directory is None:
        return None
    try:
        info = os.stat(directory)
    except OSError as exc:
        raise XlcomputeError(f"{CATALOG_DIR_ENV}: expected a directory of catalog CSV files, found {directory!r}, "
                             f"which cannot be read ({exc.strerror or exc}).", argument="catalog_dir") from exc
    if not stat.S_ISDIR(info.st_mode):
        raise XlcomputeError(f"{CATALOG_DIR_ENV}: expected a directory of catalog CSV files ({', '.join(CATALOG_FILES)}), "
                             f"found the file {directory!r}.", argument="catalog_dir")
    if name not in _listing(directory, info.st_mtime_ns):
        return None
    return file_key(os.path.join(directory, name), "catalog file", "catalog_dir")


def file_key(path: str, what: str, argument: str) -> FileKey:
    """``(path, mtime_ns, size)`` of a user file, which a cache of its rows is keyed by."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise XlcomputeError(f"{what} {path!r}: cannot be read ({exc.strerror or exc}).", argument=argument) from exc
    return path, info.st_mtime_ns, info.st_size


@functools.lru_cache(maxsize=8)
def _listing(directory: str, mtime_ns: int) -> frozenset[str]:
    """The names in ``directory``; a CSV file that is not a catalog file (a misspelt
    ``model.csv`` would be silently ignored) is an error."""
    try:
        names = frozenset(os.listdir(directory))
    except OSError as exc:
        raise XlcomputeError(f"{CATALOG_DIR_ENV} {directory!r}: cannot be listed ({exc.strerror or exc}).",
                             argument="catalog_dir") from exc
    stray = sorted(n for n in names if n.lower().endswith(".csv") and n not in CATALOG_FILES)
    if stray:
        raise XlcomputeError(f"{CATALOG_DIR_ENV} {directory!r}: expected only {', '.join(CATALOG_FILES)}, found "
                             f"{', '.join(stray)}.", argument="catalog_dir")
    return names


def user_rows(key: FileKey | None, required: tuple[str, ...]) -> tuple[str, list[tuple[int, dict[str, str]]]] | None:
    """``(path, [(line, row), ...])`` of the user file ``key`` names (see :func:`user_file`),
    its header checked against the shipped file's columns; None for no file."""
    if key is None:
        return None
    path = key[0]
    rows = read_user_csv(path, required, what="catalog file", argument="catalog_dir",
                         known=data_columns(os.path.basename(path)))
    return path, rows

