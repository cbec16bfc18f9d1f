"""The catalog's date: the newest date of any row in effect (shipped rows and a user directory's).

A proposal prints it so that a reader knows which prices and specifications it was priced on,
and can re-run it against the same catalog.
"""

from __future__ import annotations

import re

from .api_prices import list_api_prices
from .gpus import list_gpus
from .grid import list_grid_intensities
from .models import list_models
from .prices import list_prices
from .servers import list_servers

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def catalog_date() -> str:
    """The newest ``date`` (ISO 8601) over every catalog row in effect; "" when none has one."""
    rows = (*list_gpus(), *list_models(), *list_prices(), *list_servers(), *list_api_prices(),
            *list_grid_intensities())
    dates = [str(getattr(row, "date", "") or "") for row in rows]
    return max((d for d in dates if _ISO_DATE.match(d)), default="")
