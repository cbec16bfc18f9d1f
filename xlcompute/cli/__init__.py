"""The ``xlcompute`` command line. Each command group lives in its own module below."""

from __future__ import annotations

import os
import sys

import click

from .. import __version__
from ..core.errors import XlcomputeError


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
def main() -> None:
    """How much compute, memory, time and money an LLM workload needs."""


# Command modules register themselves on `main` when imported (one line each).
from . import calc_commands  # noqa: E402,F401
from . import catalog_commands  # noqa: E402,F401
from . import report_commands  # noqa: E402,F401
from . import recalc_commands  # noqa: E402,F401
from . import serving_commands  # noqa: E402,F401
from . import addin_commands  # noqa: E402,F401
