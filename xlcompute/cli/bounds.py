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


def _memory_limit(memory_mb: int) -> XlcomputeError:
    return XlcomputeError(f"stopped at the memory limit for one workbook ({memory_mb:,} MB, --max-memory); "
                          "nothing was written.")


def _reached(memory_mb: int, share: float = 0.9) -> bool:
    """Whether this process's address space has come within ``share`` of ``memory_mb`` (its peak,
    ``VmPeak`` of /proc/self/status; False where there is no /proc). Read as bytes: a text file
    would look its codec up, an import that can itself fail at the limit; so can any allocation here,
    which then is the answer."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmPeak:"):
                    return int(line.split()[1]) * 1024 >= share * memory_mb * 1024 * 1024
    except MemoryError:
        return True
    except (OSError, ValueError, IndexError):
        pass
    return False


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
    except MemoryError:
        raise _memory_limit(memory_mb) from None
    except Exception as exc:
        # A failed allocation inside a native library (an import loading a shared library, a C
        # extension) surfaces as another error (SystemError, ImportError, OSError ...).
        if memory_mb and not isinstance(exc, XlcomputeError) and _reached(memory_mb):
            raise _memory_limit(memory_mb) from None
        raise
    finally:
        if use_alarm:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous_handler)
        if previous_limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, previous_limit)
