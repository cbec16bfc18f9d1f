"""The formula core: pure, typed functions, standard library only.

Each formula is one function decorated with :func:`~xlcompute.core.formula.formula`; its
docstring metadata gives the equation, units and reference, and
:func:`~xlcompute.core.formula.explain` returns its breakdown from the same call.
"""

from .architecture import ModelArch
from .errors import XlcomputeError
from .formula import REGISTRY, Step, explain, formula
from .hardware import Accelerator
from .training import train_flops

__all__ = ["Accelerator", "ModelArch", "REGISTRY", "Step", "XlcomputeError", "explain", "formula", "train_flops"]
