"""xlcompute: how much compute, memory, time and money an LLM workload needs.

Layers point one way (the import-linter contract in pyproject.toml): ``core`` (pure formulas,
standard library only), ``catalog`` (models, accelerators, prices from data files),
``scenario`` and ``validation`` (setups, serving speed, planner), ``functions`` (the Excel
function registry), then the faces: ``excel``/``udfs`` and ``workbook``, ``report``, ``cli``.
"""

__version__ = "0.1.0"  # keep in step with pyproject.toml (tests/test_packaging.py checks)
