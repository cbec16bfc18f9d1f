"""``xlcompute addin``: what Excel needs to call the xlcompute functions (classic add-in or xlwings Lite).

Prints the steps; with ``--dir`` also writes the files next to your workbook:

- classic: ``xlwings.conf`` (the directory config the xlwings add-in reads before the ribbon:
  ``"UDF MODULES","xlcompute.udfs"`` and, if given, the interpreter);
- lite: ``main.py`` (imports the functions) and ``requirements.txt`` (the xlcompute wheel),
  to paste into xlwings Lite's editor tabs.

No xlwings PRO or Server licence is involved: classic add-in (BSD-3) and xlwings Lite are free.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import main
from .. import __version__
from ..atomic import atomic_write
from ..core.errors import XlcomputeError

MODULE = "xlcompute.udfs"

CLASSIC_CONF = '"UDF MODULES","{module}"\n'
LITE_MAIN = '''"""xlwings Lite: the xlcompute Excel functions (TRAIN_FLOPS, KV_CACHE_GB, GPUS_NEEDED ...).

Written by `xlcompute addin lite`. Excel lists them after the add-in registers the workbook's code.
"""

from {module} import *  # noqa: F401,F403 - every function carries its xlwings registration
'''
LITE_REQUIREMENTS = "xlcompute=={version}\n"

CLASSIC_STEPS = """\
Classic xlwings add-in ("UDF Modules"), Excel on Windows:
  1. In the Python that Excel will use:   pip install xlcompute=={version} xlwings
  2. Install the xlwings add-in:          xlwings addin install
  3. Excel > File > Options > Trust Center > Trust Center Settings > Macro Settings:
     tick "Trust access to the VBA project object model" (needed once, for importing).
  4. Save your workbook as .xlsm. In the xlwings ribbon tab set
       UDF Modules:  {module}
       Interpreter:  path to that python.exe (or Conda Path/Env)
     or put the file xlwings.conf next to the workbook (`xlcompute addin classic --dir FOLDER`).
  5. Click "Import Functions". The functions appear under the category "xlcompute" in the
     Insert Function dialog, with a description of every argument.
  6. Try  =TRAIN_FLOPS(70E9, 15E12)  and, spilled,  =TRAIN_FLOPS(A2:A6, B2:B6)
"""

LITE_STEPS = """\
xlwings Lite, Excel on Windows, Mac and the web (Microsoft 365 or Office 2021+), no local Python:
  1. Excel > Home > Add-ins: add "xlwings Lite" (free for personal and commercial use).
  2. Open the xlwings Lite task pane. In the requirements.txt tab put
       xlcompute=={version}
     (a pure-Python wheel; numpy comes with Pyodide, leave it unpinned) and click Restart.
  3. In the main.py tab put
       from {module} import *
     (or the main.py written by `xlcompute addin lite --dir FOLDER`) and save.
  4. Try  =TRAIN_FLOPS(70E9, 15E12)  and  =KV_CACHE_GB("llama-3.1-70b", A2:A10)  (ranges spill).
"""


def _write_all(files: dict[Path, str], force: bool) -> None:
    """Write every file, or none if one exists already (unless ``force``)."""
    existing = [str(p) for p in files if p.exists()]
    if existing and not force:
        raise XlcomputeError(f"{', '.join(existing)}: exists already; nothing written. Use --force to replace.")
    for path, text in files.items():
        with atomic_write(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {path}")


@main.command("addin")
@click.argument("setup", type=click.Choice(["classic", "lite", "all"]), default="all")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="Write the set-up files into this folder (next to your workbook).")
@click.option("--interpreter", help="Python interpreter for the classic add-in (written to xlwings.conf).")
@click.option("--force", is_flag=True, help="Replace files that exist.")
def addin_command(setup: str, directory: Path | None, interpreter: str | None, force: bool) -> None:
    """Set up Excel to call the xlcompute functions: SETUP is classic (xlwings add-in, Windows),
    lite (xlwings Lite: Windows, Mac, web) or all (default)."""
    values = {"version": __version__, "module": MODULE}
    if setup in ("classic", "all"):
        click.echo(CLASSIC_STEPS.format(**values))
    if setup in ("lite", "all"):
        click.echo(LITE_STEPS.format(**values))
    if directory is None:
        click.echo("No licence key is needed for either set-up (xlwings PRO/Server are not used).")
        return
    if not directory.is_dir():
        raise XlcomputeError(f"--dir {directory}: no such folder.")
    files = {}
    if setup in ("classic", "all"):
        conf = CLASSIC_CONF.format(**values)
        if interpreter:
            key = "INTERPRETER_MAC" if sys.platform == "darwin" else "INTERPRETER_WIN"
            conf += f'"{key}","{interpreter}"\n'
        files[directory / "xlwings.conf"] = conf
    if setup in ("lite", "all"):
        files[directory / "main.py"] = LITE_MAIN.format(**values)
        files[directory / "requirements.txt"] = LITE_REQUIREMENTS.format(**values)
    _write_all(files, force)
