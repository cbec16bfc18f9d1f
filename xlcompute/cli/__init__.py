"""The ``xlcompute`` command line. Each command group lives in its own module below."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from typing import Any, Callable

import click

from .. import __version__
from ..core.errors import XlcomputeError
from .bounds import DEFAULT_MEMORY_MB, DEFAULT_SECONDS, bounded

#: Commands that evaluate workbooks headlessly: inside them a model named in a cell is workbook
#: text, resolved through the catalog only and never read as a path (catalog.workbook_text).
WORKBOOK_COMMANDS = frozenset({"check", "report", "recalc"})


#: Seconds after a SIGTERM during which another one is ignored: the first one's clean-up runs.
ENDING_GRACE_SECONDS = 5.0
#: When each process began ending on SIGTERM (time.monotonic()), by process id.
_ENDING: dict[int, float] = {}
#: Processes whose SystemExit was swallowed (:func:`_unraisable`): the next SIGTERM raises again.
_RETRY: set[int] = set()


def _terminator(owner: int) -> Callable[[int, object], None]:
    """A SIGTERM handler raising SystemExit in process ``owner``: the ``finally`` blocks and
    context managers on the stack run, so ``atomic_write`` removes its temporary file (exit code
    128 + 15, as a shell reports it). A second SIGTERM while that clean-up runs (a signal to the
    process group, then the batch parent stopping its workers) is ignored: raised inside the
    clean-up, it would leave the file. A forked helper process that did not set its own handler
    inherits this one but not the job: there SIGTERM ends it as it did."""
    def terminate(signum: int, frame: object) -> None:
        if os.getpid() != owner:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        now = time.monotonic()
        if owner not in _RETRY and now - _ENDING.get(owner, -ENDING_GRACE_SECONDS) < ENDING_GRACE_SECONDS:
            return
        _RETRY.discard(owner)
        _ENDING[owner] = now
        raise SystemExit(128 + signum)

    return terminate


def _unraisable(previous: Callable[[Any], object]) -> Callable[[Any], object]:
    """A ``sys.unraisablehook`` for SIGTERM landing inside a weakref callback or ``__del__``:
    Python prints "Exception ignored ... Traceback" and drops the SystemExit, so the command
    would go on. The signal is sent again a moment later, and ends the command at the next point it
    can. A timer thread does it, marking the retry first: anything done here, where a SIGTERM from
    outside may land too, would be swallowed the same way (it is ignored here, as in a clean-up)."""
    def again(pid: int) -> None:
        _RETRY.add(pid)
        os.kill(pid, signal.SIGTERM)

    def hook(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, SystemExit) and unraisable.exc_value.code == 128 + signal.SIGTERM:
            timer = threading.Timer(0.01, again, (os.getpid(),))
            timer.daemon = True
            timer.start()
            return
        previous(unraisable)

    hook.xlcompute = True  # type: ignore[attr-defined]
    return hook


def terminate_on_sigterm() -> bool:
    """Make SIGTERM raise SystemExit in this process (:func:`_terminator`), even when it lands
    where Python would swallow it (:func:`_unraisable`); False off the main thread, where no
    handler can be set."""
    try:
        signal.signal(signal.SIGTERM, _terminator(os.getpid()))
    except ValueError:  # not the main thread (the CLI run inside another program's thread)
        return False
    if not getattr(sys.unraisablehook, "xlcompute", False):
        sys.unraisablehook = _unraisable(sys.unraisablehook)
    return True


def handle_sigterm(ctx: click.Context) -> None:
    """Turn SIGTERM into SystemExit while the command runs (:func:`_terminator`); the previous
    handler comes back when it ends (main thread only; SIGINT is KeyboardInterrupt already)."""
    previous = signal.getsignal(signal.SIGTERM)
    if terminate_on_sigterm():
        ctx.call_on_close(lambda: signal.signal(signal.SIGTERM, previous))


class _Group(click.Group):
    """Turns every failure into a one-paragraph message and an exit code, never a traceback."""

    def invoke(self, ctx: click.Context):  # noqa: D401
        try:
            return super().invoke(ctx)
        except XlcomputeError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except BrokenPipeError:
            # Output piped into `head` and the like: stop quietly, as Unix tools do.
            sys.stderr.close()
            sys.exit(0)
        except OSError as exc:  # a file that cannot be read or written: the user's to fix
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"Error: {where}{exc.strerror or exc}.", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        except Exception as exc:  # last resort: a message, not a traceback
            if os.environ.get("XLCOMPUTE_DEBUG"):
                raise
            click.echo(
                f"Error: unexpected {type(exc).__name__}: {exc}. "
                "Set XLCOMPUTE_DEBUG=1 to see the traceback and report it.",
                err=True,
            )
            sys.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xlcompute")
@click.option("--catalog-dir", type=click.Path(file_okay=False), default=None,
              help="Directory of your own models.csv, gpus.csv, prices.csv, servers.csv, api_prices.csv and "
                   "grid_intensity.csv rows, merged over the shipped catalog (default: $XLCOMPUTE_CATALOG_DIR).")
@click.option("--max-seconds", type=click.IntRange(min=1), default=DEFAULT_SECONDS, show_default=True,
              help="Wall-clock limit for one workbook in check, report and recalc.")
@click.option("--max-memory", type=click.IntRange(min=256), default=DEFAULT_MEMORY_MB, show_default=True,
              help="Memory limit in MB for one workbook in check, report and recalc.")
@click.pass_context
def main(ctx: click.Context, catalog_dir: str | None, max_seconds: int, max_memory: int) -> None:
    """How much compute, memory, time and money an LLM workload needs."""
    handle_sigterm(ctx)
    ctx.obj = {"bounds": (max_seconds, max_memory)}
    if catalog_dir:
        from ..catalog.user_dir import use_catalog_dir  # noqa: PLC0415

        use_catalog_dir(catalog_dir)
    if ctx.invoked_subcommand in WORKBOOK_COMMANDS:
        from ..catalog import workbook_text  # noqa: PLC0415

        ctx.with_resource(workbook_text())
        if ctx.invoked_subcommand != "report":  # report bounds each workbook itself (batches run many)
            ctx.with_resource(bounded(max_seconds, max_memory))


# Command modules register themselves on `main` when imported (one line each).
from . import calc_commands  # noqa: E402,F401
from . import catalog_commands  # noqa: E402,F401
from . import ownership_commands  # noqa: E402,F401
from . import report_commands  # noqa: E402,F401
from . import recalc_commands  # noqa: E402,F401
from . import serving_commands  # noqa: E402,F401
from . import addin_commands  # noqa: E402,F401
