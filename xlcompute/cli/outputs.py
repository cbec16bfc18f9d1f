"""Where ``xlcompute report`` writes: one PDF per workbook, from ``-o`` and the workbooks given.

One rule, with a message for each way ``-o`` can be wrong, so that the message names the
actual mistake (``-o d.pdf`` naming an existing folder is not about "several workbooks").
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from ..core.errors import XlcomputeError

__all__ = ["report_targets"]


def report_targets(workbooks: Sequence[str | os.PathLike], output: str | os.PathLike | None
                   ) -> tuple[list[Path], Path | None]:
    """(the PDF of each workbook, the folder to create first or None) for ``report -o output``.

    ``output`` is the text typed after ``-o`` (``click.Path(path_type=str)``): a ``Path`` would
    drop the trailing ``/`` that asks for a folder.

    - no ``-o``: each PDF beside its workbook (``quote.xlsx`` -> ``quote.pdf``);
    - ``-o`` ending in ``/``, or an existing folder: ``<folder>/<workbook name>.pdf``;
    - several workbooks: ``-o`` must be a folder (created if missing);
    - one workbook: ``-o`` is the PDF, a name ending in ``.pdf``.

    Two workbooks that would write the same PDF are refused.
    """
    workbooks = [Path(w) for w in workbooks]
    folder: Path | None = None
    if output is None:
        targets = [w.with_suffix(".pdf") for w in workbooks]
    else:
        text = os.fspath(output)
        trailing = text.endswith("/") or text.endswith(os.sep)
        output = Path(text)
        if output.is_dir() and not trailing and len(workbooks) == 1 and output.suffix.lower() == ".pdf":
            raise XlcomputeError(f"-o {output}: a folder of that name exists, so no PDF can be written there; "
                                 f"name a file that is not a folder, or write -o {text}/ to put "
                                 f"{workbooks[0].stem}.pdf inside it.")
        if trailing or output.is_dir() or len(workbooks) > 1:
            if not trailing and not output.is_dir() and output.suffix.lower() == ".pdf":
                raise XlcomputeError(f"-o {output}: {len(workbooks)} workbooks make {len(workbooks)} PDFs, so -o "
                                     "must be a folder (end it with /), not a file.")
            if output.exists() and not output.is_dir():
                raise XlcomputeError(f"-o {output}: a file of that name exists; a folder is needed for "
                                     f"{len(workbooks)} workbook(s).")
            folder = output
            targets = [output / f"{w.stem}.pdf" for w in workbooks]
        elif output.suffix.lower() != ".pdf":
            raise XlcomputeError(f"-o {output}: expected a file name ending in .pdf, or a folder ending in /.")
        else:
            targets = [output]
    if len(set(targets)) != len(targets):
        raise XlcomputeError("two workbooks have the same name; they would write the same PDF.")
    return targets, folder
