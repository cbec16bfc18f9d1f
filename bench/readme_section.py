"""Replace one ``<!-- section:NAME -->`` block of bench/README.md (each benchmark owns its block)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent / "README.md"


def update_section(name: str, body: str, readme: Path = README) -> None:
    """Write ``body`` under the marker ``<!-- section:name -->``, up to the next marker or the end."""
    marker = f"<!-- section:{name} -->"
    section = f"{marker}\n{body.strip()}\n"
    text = readme.read_text(encoding="utf-8") if readme.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(marker) + r".*?(?=\n<!-- section:|\Z)", re.S)
    if marker in text:
        text = pattern.sub(lambda _: section.rstrip("\n"), text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    readme.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
