"""Run every benchmark: ``python -m bench`` imports each ``bench/bench_*.py`` and calls its ``run()``
(or, for older modules, the function named after the module) and prints the figures it returns."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path


def main() -> int:
    failed = []
    for path in sorted(Path(__file__).resolve().parent.glob("bench_*.py")):
        module = importlib.import_module(f"bench.{path.stem}")
        run = getattr(module, "run", None) or getattr(module, path.stem, None)
        if run is None:
            print(f"{path.stem}: no run() function, skipped")
            continue
        figures = run()
        print(f"{path.stem}: {json.dumps(figures, indent=1, default=str)}")
        if isinstance(figures, dict) and figures.get("meets_target") is False:
            failed.append(path.stem)
    if failed:
        print(f"below target: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
