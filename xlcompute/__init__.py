"""xlcompute: how much compute, memory, time and money an LLM workload needs.

Layers point one way: ``core`` (pure formulas, standard library only), then ``catalog``
(models, accelerators, prices from data files), then ``udfs`` and ``workbook`` (Excel
functions and workbook I/O), then ``report`` (PDF proposals), then ``cli``.
"""

__version__ = "0.1.0"
