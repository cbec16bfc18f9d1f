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
LITE_REQUIREMENTS = "{requirement}\n"

CLASSIC_STEPS = """\
Classic xlwings add-in ("UDF Modules"), Excel on Windows:
  1. In the Python that Excel will use:   pip install {pip_target} xlwings
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
       {requirement}
     (a pure-Python wheel; numpy comes with Pyodide, leave it unpinned) and click Restart.
  3. In the main.py tab put
       from {module} import *
     (or the main.py written by `xlcompute addin lite --dir FOLDER`) and save.
  4. Try  =TRAIN_FLOPS(70E9, 15E12)  and  =KV_CACHE_GB("llama-3.1-70b", A2:A10)  (ranges spill).
"""


NOT_ON_PYPI = """\
Until xlcompute {version} is on PyPI, install the wheel file instead: build it with `make dist`
(dist/xlcompute-{version}-py3-none-any.whl) and run `xlcompute addin --wheel FILE-OR-URL`: the
classic add-in takes the file's path, xlwings Lite (which runs in the browser) an https:// URL
of the wheel served with cross-origin access allowed.
"""


def _install_targets(wheel: str | None) -> dict[str, str]:
    """What pip (classic) and Lite's requirements.txt install: the PyPI release or a given wheel."""
    if wheel is None:
        return {"pip_target": f"xlcompute=={__version__}", "requirement": f"xlcompute=={__version__}"}
    if not wheel.endswith(".whl"):
        raise XlcomputeError(f"--wheel {wheel}: expected a .whl file or its URL, e.g. "
                             f"dist/xlcompute-{__version__}-py3-none-any.whl.", argument="wheel")
    is_url = wheel.startswith("https://")
    if not is_url and not Path(wheel).is_file():
        raise XlcomputeError(f"--wheel {wheel}: no such file; build it with `make dist`.", argument="wheel")
    target = wheel if is_url else str(Path(wheel).resolve())
    lite = target if is_url else ("<https:// URL of this wheel: xlwings Lite runs in the browser and cannot "
                                  f"read {Path(wheel).name} from disk>")
    return {"pip_target": f'"{target}"', "requirement": lite}


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
@click.option("--wheel", help="Install this wheel (a file, or an https:// URL for xlwings Lite) instead of the "
                              "PyPI release; `make dist` builds it.")
def addin_command(setup: str, directory: Path | None, interpreter: str | None, force: bool,
                  wheel: str | None) -> None:
    """Set up Excel to call the xlcompute functions: SETUP is classic (xlwings add-in, Windows),
    lite (xlwings Lite: Windows, Mac, web) or all (default)."""
    values = {"version": __version__, "module": MODULE, **_install_targets(wheel)}
    if setup == "lite" and wheel is not None and not wheel.startswith("https://"):
        raise XlcomputeError(f"--wheel {wheel}: xlwings Lite runs in the browser and installs from a URL; give "
                             "the https:// address where the wheel is served.", argument="wheel")
    if setup in ("classic", "all"):
        click.echo(CLASSIC_STEPS.format(**values))
    if setup in ("lite", "all"):
        click.echo(LITE_STEPS.format(**values))
    if wheel is None:
        click.echo(NOT_ON_PYPI.format(**values))
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
