"""Shared fixtures. Published reference numbers come from tests/data/published.json (every row
cites its sources in that file's ``sources`` map; see tests/data/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests check results, not speed: a loaded 2-core CI machine must not fail them on
# Hypothesis' per-example deadline (speed targets live in bench/, not in tests).
settings.register_profile("xlcompute", deadline=None)
settings.load_profile("xlcompute")

REPO = Path(__file__).resolve().parents[1]
PUBLISHED_JSON = Path(__file__).resolve().parent / "data" / "published.json"


@pytest.fixture(autouse=True)
def _shipped_catalog_only(monkeypatch):
    """Every test sees the shipped catalog, whatever XLCOMPUTE_CATALOG_DIR the shell has, and a
    test that names a catalog directory (use_catalog_dir, --catalog-dir) leaves none behind."""
    monkeypatch.setenv("XLCOMPUTE_CATALOG_DIR", "")  # remembers the shell's value (or none) for undo
    monkeypatch.delenv("XLCOMPUTE_CATALOG_DIR")


@pytest.fixture(scope="session")
def published() -> dict:
    """The published reference numbers (models, training runs, serving measurements, GPUs)."""
    return json.loads(PUBLISHED_JSON.read_text(encoding="utf-8"))


def published_row(section: str, name: str) -> dict:
    """One row of published.json by its name (or model) field."""
    data = json.loads(PUBLISHED_JSON.read_text(encoding="utf-8"))
    for row in data[section]:
        if row.get("name") == name or row.get("model") == name:
            return row
    raise KeyError(f"{section}: no row named {name!r} in {PUBLISHED_JSON}")
