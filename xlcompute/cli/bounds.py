"""Bounds on one command's work, enforced by the program itself: wall-clock time and memory.

A user on a shared server must not need ``ulimit`` to be safe from a hostile workbook. The
workbook commands (``check``, ``report``, ``recalc``) run under :func:`bounded`: past the time
limit the command stops with one message and exit status 2 (outputs are written atomically, so
nothing is left half-way); past the memory limit allocations fail, which ends the command the
same way. POSIX only (the ``resource`` module and ``SIGALRM``); elsewhere only the other guards
(file, formula and template limits) apply.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator

from ..core.errors import XlcomputeError

#: Defaults, overridable per command: one report of a scenario workbook takes seconds and a few
#: hundred MB; these leave a wide margin and still stop a runaway within minutes.
DEFAULT_SECONDS = 300
DEFAULT_MEMORY_MB = 4096


def _alarm(seconds: int):
    def stop(signum: int, frame: object) -> None:
        raise XlcomputeError(f"stopped after {seconds} s, the time limit for one workbook (--max-seconds); nothing "
                             "was written. A scenario workbook needs seconds: check it for unusually large tables or "
                             "formulas, or raise the limit.")
    return stop


@contextlib.contextmanager
def bounded(seconds: int = DEFAULT_SECONDS, memory_mb: int = DEFAULT_MEMORY_MB) -> Iterator[None]:
    """Run the block with at most ``seconds`` of wall-clock time and ``memory_mb`` of address space."""
    try:
        import resource  # noqa: PLC0415 - POSIX only
    except ImportError:  # pragma: no cover - Windows
        resource = None
    previous_limit = None
    if resource is not None and memory_mb:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        wanted = memory_mb * 1024 * 1024
        if hard == resource.RLIM_INFINITY or wanted <= hard:
            previous_limit = (soft, hard)
            resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    use_alarm = bool(seconds) and hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
    previous_handler = signal.signal(signal.SIGALRM, _alarm(seconds)) if use_alarm else None
    if use_alarm:
        signal.alarm(seconds)
    try:
        yield
    except (MemoryError, SystemError) as exc:
        # CPython sometimes loses a MemoryError raised inside an import or a C extension and
        # reports "error return without exception set" (SystemError) instead: under an address
        # space limit, that is the limit.
        if isinstance(exc, SystemError) and previous_limit is None:
            raise
        raise XlcomputeError(f"stopped at the memory limit for one workbook ({memory_mb:,} MB, --max-memory); "
                             "nothing was written.") from None
    finally:
        if use_alarm:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous_handler)
        if previous_limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, previous_limit)
