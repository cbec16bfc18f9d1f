"""Atomic output files: an existing output is replaced whole or not at all.

``with atomic_write("quote.pdf") as tmp: render(tmp)`` writes to a temporary file in the
same directory, fsyncs it and ``os.replace``\\ s it over ``quote.pdf`` only when the block
succeeds; on any failure the temporary file is removed and ``quote.pdf`` is untouched. That
includes SIGTERM, which the CLI turns into SystemExit so that this cleanup runs. An output
that cannot be written (a read-only folder, ``/proc``, a full disk) is one
:class:`XlcomputeError` naming it; the temporary name is shortened to fit the file system's
limit on a name, so any output name that is legal can be written.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import Iterable, Iterator

from .core.errors import XlcomputeError


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # not supported on every platform / file system
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, *, protect: Iterable[str | os.PathLike] = ()) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` if the block succeeds.

    ``protect`` lists input files that must never be overwritten (for example the workbook
    being reported on): naming one of them as the output raises :class:`XlcomputeError`.
    The block must write the temporary file; if it leaves it empty, nothing is replaced and
    an error is raised.
    """
    target = Path(path)
    for source in protect:
        if _same_file(target, Path(source)) or target.resolve() == Path(source).resolve():
            raise XlcomputeError(
                f"{target}: refusing to write the output over the input file {source}; choose another output name."
            )
    directory = target.parent if str(target.parent) else Path(".")
    try:
        if not directory.is_dir():
            raise XlcomputeError(f"{target}: cannot write the output, the folder {directory} does not exist.")
        if target.is_dir():
            raise XlcomputeError(f"{target}: cannot write the output, a folder of that name exists.")
    except OSError as exc:  # e.g. a name longer than the file system allows (ENAMETOOLONG)
        raise _cannot_write(target, exc) from None
    prefix, suffix = _temporary_affixes(target, directory)
    temporary: Path | None = None
    try:
        # The name is chosen before the file is made, inside this try: a SIGTERM that lands
        # while the file is being created still finds its name to remove.
        for _ in range(100):
            temporary = directory / f"{prefix}{secrets.token_hex(4)}{suffix}"
            try:
                os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
                break
            except FileExistsError:
                temporary = None
            except OSError as exc:
                temporary = None
                raise _cannot_write(target, exc) from None
        if temporary is None:
            raise XlcomputeError(f"{target}: cannot write the output here (no free temporary name).")
        yield temporary
        if not temporary.exists() or temporary.stat().st_size == 0:
            raise XlcomputeError(f"{target}: nothing was written, the output is unchanged.")
        try:
            # Created 0600 (private while written); give the output a normal new file's permissions.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
            with open(temporary, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        except OSError as exc:
            raise _cannot_write(target, exc) from None
        _fsync_directory(directory)
    except BaseException:
        if temporary is not None:
            with contextlib.suppress(OSError):
                temporary.unlink()
        raise


#: Bytes of a temporary name besides the stem: ".", ".", 8 random hex digits, ".tmp".
_TEMPORARY_OVERHEAD = 1 + 1 + 8 + 4


def _temporary_affixes(target: Path, directory: Path) -> tuple[str, str]:
    """The temporary name's prefix and suffix for ``target``: ``.quote.`` and ``.tmp.pdf``, the stem cut so
    that the whole name fits the file system's longest name (NAME_MAX, 255 bytes on Linux)."""
    try:
        name_max = os.pathconf(directory, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # no pathconf (Windows), or the folder is odd
        name_max = 255
    suffix = f".tmp{target.suffix}"
    room = name_max - _TEMPORARY_OVERHEAD - len(os.fsencode(target.suffix))
    stem = target.stem
    while stem and len(os.fsencode(stem)) > room:
        stem = stem[:-1]
    return f".{stem}.", suffix


def _cannot_write(target: Path, exc: OSError) -> XlcomputeError:
    return XlcomputeError(f"{target}: cannot write the output here ({exc.strerror or exc}); "
                          "choose a folder you can write to.")
