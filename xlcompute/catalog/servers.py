"""Server purchase prices: ``data/servers.csv``, one row per server model with its source and date.

A row is one GPU server (NVIDIA DGX, an OEM's HGX 8-GPU server): the GPU it holds (a
``gpus.csv`` id), how many, a purchase price [USD] as a published list price or a dated
credible report, the system's maximum power [W] where the vendor publishes it (blank
otherwise), and notes on what the price includes. Prices of servers are rarely published:
most rows are resellers' list prices collected by Epoch AI, and the notes say so.

User rows: ``servers.csv`` in the user catalog directory (:mod:`xlcompute.catalog.user_dir`),
same columns; a row with a shipped id replaces it, others are added. Standard library only.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from typing import Any

from ..core.errors import XlcomputeError
from ._data import Index, build_catalog, check_required, check_row, split_list, typed_fields
from .gpus import get_gpu
from .user_dir import FileKey, user_file, user_rows

REQUIRED_COLUMNS = ("id", "name", "gpu_id", "gpus_per_server", "usd_price", "source", "date")


@dataclass(frozen=True)
class Server:
    """A GPU server and its purchase price [USD]."""

    id: str
    name: str
    gpu_id: str
    gpus_per_server: int
    usd_price: float
    source: str
    date: str
    vendor: str = ""
    system_power_w: float = 0.0  # maximum system power [W]; 0 = not published
    notes: str = ""
    origin: str = "catalog"  # "catalog" or the path of the user file it came from

    @property
    def usd_per_gpu(self) -> float:
        """Purchase price per GPU [USD/GPU]."""
        return self.usd_price / self.gpus_per_server

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "usd_per_gpu": self.usd_per_gpu}


def _server_from_row(row: dict[str, str], where: str, origin: str = "catalog") -> Server:
    """One server from a row of servers.csv (shipped or a user's: the same checks)."""
    check_row(row, where, ("source",))
    label = f"{where} ({row['id']})"
    check_required(row, label, REQUIRED_COLUMNS)
    values = typed_fields(Server, row, label)
    if not (values["usd_price"] > 0 and values["gpus_per_server"] >= 1):
        raise XlcomputeError(f"{label}: expected usd_price above 0 and gpus_per_server of 1 or more, found "
                             f"{row['usd_price']!r} and {row['gpus_per_server']!r}.", argument="catalog")
    try:
        values["gpu_id"] = get_gpu(row["gpu_id"]).id  # an alias is fine; an unknown GPU is not
    except XlcomputeError as exc:
        raise XlcomputeError(f"{label}, column gpu_id: {str(exc).split(': ', 1)[-1]}", argument="catalog",
                             suggestions=exc.suggestions) from exc
    values.pop("origin", None)
    return Server(origin=origin, **values)


@functools.lru_cache(maxsize=4)
def _load(user: FileKey | None, gpus: FileKey | None) -> tuple[dict[str, Server], Index]:
    """``gpus`` (the user gpus.csv the GPU ids resolve against) is part of the cache key only."""
    return build_catalog("servers.csv", "server", _server_from_row,
                         lambda server, row: (server.name, *split_list(row.get("aliases", ""))),
                         user_rows(user, REQUIRED_COLUMNS))


def _catalog() -> tuple[dict[str, Server], Index]:
    return _load(user_file("servers.csv"), user_file("gpus.csv"))


def list_servers() -> list[Server]:
    """Every catalog server, in file order (user rows after the shipped ones)."""
    return list(_catalog()[0].values())


def server_ids() -> list[str]:
    return list(_catalog()[0])


def get_server(ref: Any) -> Server:
    """A server by id, name or alias, ignoring case and separators ("DGX H100", "dgx-h100").
    A :class:`Server` passes through. Unknown names raise one error with the closest ids."""
    if isinstance(ref, Server):
        return ref
    if ref is None or str(ref).strip() == "":
        raise XlcomputeError("server: expected a server id such as 'dgx-h100', found nothing.", argument="server")
    servers, index = _catalog()
    return servers[index.resolve(ref)]
