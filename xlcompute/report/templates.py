"""Template directories, the Jinja environment and the only URL fetcher WeasyPrint gets.

Templates are looked up as datasette does: a user directory (``--templates DIR``) first,
then the packaged templates in ``xlcompute/templates/`` (package data, so an editable and
a non-editable install find them alike).

Templates are untrusted: Jinja runs sandboxed with autoescape on. WeasyPrint may fetch
nothing but files inside the template directories (and ``data:`` URLs): no network, no
``file://`` elsewhere; every other URL is refused.
"""

from __future__ import annotations

import mimetypes
import os
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ..core.errors import XlcomputeError

MAIN_TEMPLATE = "proposal.html"


def packaged_templates() -> Path:
    """The packaged template directory, ``xlcompute/templates``."""
    try:
        packaged = Path(str(resources.files("xlcompute") / "templates"))
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - odd loaders
        packaged = Path(__file__).resolve().parents[1] / "templates"
    if (packaged / MAIN_TEMPLATE).is_file():
        return packaged
    raise XlcomputeError("the packaged report templates are missing; reinstall xlcompute.")


def template_dirs(user_dir: str | os.PathLike | None = None) -> list[Path]:
    """Directories searched for templates and assets, user directory first."""
    dirs = []
    if user_dir is not None:
        user = Path(user_dir)
        if not user.is_dir():
            raise XlcomputeError(f"--templates {user}: expected a directory of templates, found none there.")
        dirs.append(user.resolve())
    dirs.append(packaged_templates().resolve())
    return dirs


def environment(dirs: list[Path]) -> Any:
    """A sandboxed, autoescaping Jinja environment over ``dirs`` (first match wins)."""
    from jinja2 import FileSystemLoader, StrictUndefined  # noqa: PLC0415
    from jinja2.sandbox import SandboxedEnvironment  # noqa: PLC0415

    from . import formatting  # noqa: PLC0415

    env = SandboxedEnvironment(
        loader=FileSystemLoader([str(d) for d in dirs]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(formatting.FILTERS)
    return env


def _resolve(url: str, roots: list[Path]) -> Path:
    """The template file ``url`` names, or :class:`XlcomputeError` for anything else."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        raise XlcomputeError(f"refused to fetch {url!r}: reports may only use packaged or template assets.")
    requested = Path(unquote(parts.path)).resolve()
    relative = next((requested.relative_to(root) for root in roots if requested.is_relative_to(root)), None)
    if relative is None:
        raise XlcomputeError(f"refused to fetch {url!r}: outside the template directories.")
    for root in roots:
        candidate = (root / relative).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            return candidate
    raise XlcomputeError(f"refused to fetch {url!r}: no such template asset.")


def url_fetcher(dirs: list[Path]) -> Any:
    """A WeasyPrint URL fetcher serving files from ``dirs`` (and ``data:`` URLs) only.

    The HTML's base URL is the first directory; a relative URL such as ``assets/logo.svg``
    is looked up in every directory in order, so a user directory can override an asset.
    """
    import weasyprint.urls as wurls  # noqa: PLC0415

    roots = [d.resolve() for d in dirs]
    if not hasattr(wurls, "URLFetcher"):  # WeasyPrint < 68: a function returning a dict
        def fetch(url: str, *args: Any, **kwargs: Any) -> dict:
            if url.startswith("data:"):
                return wurls.default_url_fetcher(url)
            path = _resolve(url, roots)
            return {"string": path.read_bytes(), "redirected_url": path.as_uri(),
                    "mime_type": mimetypes.guess_type(path.name)[0] or "application/octet-stream"}

        return fetch

    class TemplateFetcher(wurls.URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = _resolve(url, roots)
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return wurls.URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})

    return TemplateFetcher(allowed_protocols=("file", "data"), allow_redirects=False)
