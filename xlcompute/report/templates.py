"""Template directories, the Jinja environment and the only URL fetcher WeasyPrint gets.

Templates are looked up as datasette does: a user directory (``--templates DIR``) first,
then the packaged templates in ``xlcompute/templates/`` (package data, so an editable and
a non-editable install find them alike).

Templates are untrusted: Jinja runs sandboxed with autoescape on, and

- templates (``{% include %}``, ``{% extends %}``, ``{% import %}``) load only from regular
  files inside the template directories: a symbolic link or path out of a folder, a FIFO or a
  file over :data:`MAX_TEMPLATE_BYTES` is refused (:class:`ConfinedLoader`);
- a render is bounded (:class:`BoundedEnvironment`): at most :data:`MAX_RENDER_SECONDS` of wall
  time (a timer interrupts even a loop that calls nothing, where the render runs on the main
  thread), :data:`MAX_TEMPLATE_OPERATIONS` calls, attribute and item lookups and operators,
  ``range()`` of at most :data:`MAX_TEMPLATE_RANGE` items (each step counted), strings and lists built by ``*`` or
  width filters of at most :data:`MAX_OUTPUT_CHARS`, and :data:`MAX_OUTPUT_CHARS` of output.

WeasyPrint may fetch nothing but files inside the template directories (and ``data:`` URLs):
no network, no ``file://`` elsewhere; every other URL is refused.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import mimetypes
import os
import re
import signal
import stat
import threading
import time
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import unquote, urlsplit

from jinja2 import BaseLoader, Template, TemplateNotFound
from jinja2.exceptions import SecurityError
from jinja2.loaders import split_template_path
from jinja2.sandbox import SandboxedEnvironment

from .. import locale
from .audience import customer_note
from ..core.errors import XlcomputeError

MAIN_TEMPLATE = "proposal.html"

#: A template or asset file [bytes]: the packaged proposal.html is 10 kB, its CSS 8 kB.
MAX_TEMPLATE_BYTES = 2_000_000
#: Wall time of one render [s]: the packaged proposal renders in about 0.05 s.
MAX_RENDER_SECONDS = 10.0
#: Calls, attribute/item lookups and operators in one render (the proposal needs ~10^4).
MAX_TEMPLATE_OPERATIONS = 2_000_000
#: Items of one range() (Jinja's own sandbox allows 100,000).
MAX_TEMPLATE_RANGE = 10_000
#: Characters of the rendered HTML, and of any one string or list a template builds.
MAX_OUTPUT_CHARS = 20_000_000


class TemplateLimit(SecurityError):
    """A template went past one of the render bounds."""


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


def read_confined(root: Path, relative: Path | str) -> tuple[Path, bytes] | None:
    """(real path, bytes) of the regular file ``root/relative`` if it lies inside ``root`` once
    links are resolved, None if there is no such file; :class:`XlcomputeError` for a link or
    path out of ``root``, something that is not a regular file, or a file too large."""
    root = root.resolve()
    candidate = root / relative
    if not os.path.lexists(candidate):
        return None
    real = candidate.resolve()
    if not real.is_relative_to(root):
        raise XlcomputeError(f"refused to read {candidate}: it leads out of the template folder {root} "
                             f"(to {real}).")
    try:
        st = os.stat(real)
    except OSError:
        return None  # a dangling link inside the folder: as if absent
    if not stat.S_ISREG(st.st_mode):
        raise XlcomputeError(f"refused to read {candidate}: not a regular file (a folder, pipe or device).")
    if st.st_size > MAX_TEMPLATE_BYTES:
        raise XlcomputeError(f"refused to read {candidate}: {st.st_size:,} bytes, more than a template "
                             f"or asset may have ({MAX_TEMPLATE_BYTES:,}).")
    with open(real, "rb") as handle:
        return real, handle.read(MAX_TEMPLATE_BYTES + 1)


class ConfinedLoader(BaseLoader):
    """Templates from regular files inside ``dirs`` (first match wins), never through a link
    or path that leads out of its folder (Jinja's FileSystemLoader follows symbolic links)."""

    def __init__(self, dirs: list[Path]) -> None:
        self.roots = [Path(d).resolve() for d in dirs]

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Callable[[], bool]]:
        pieces = split_template_path(template)  # refuses ".." segments
        for root in self.roots:
            try:
                found = read_confined(root, Path(*pieces))
            except XlcomputeError as exc:
                raise SecurityError(str(exc)) from None
            if found is None:
                continue
            path, data = found
            mtime = os.path.getmtime(path)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise SecurityError(f"template {template!r} is not UTF-8 text ({exc.reason}).") from None
            return text, str(path), lambda: _mtime(path) == mtime
        raise TemplateNotFound(template)

    def list_templates(self) -> list[str]:
        return sorted({str(p.relative_to(root)) for root in self.roots for p in root.rglob("*.html")
                       if p.is_file() and not p.is_symlink()})


def _mtime(path: Path) -> float | None:
    try:
        return os.path.getmtime(path)
    except OSError:
        return None


class _Budget:
    """What one render may still spend: operations and wall time."""

    def __init__(self) -> None:
        self.operations = 0
        self.deadline = time.monotonic() + MAX_RENDER_SECONDS

    def tick(self) -> None:
        self.operations += 1
        if self.operations > MAX_TEMPLATE_OPERATIONS:
            raise TemplateLimit(f"the template ran more than {MAX_TEMPLATE_OPERATIONS:,} operations; "
                                "templates must lay out the data, not compute")
        if not self.operations % 1024 and time.monotonic() > self.deadline:
            raise _timeout()


def _timeout() -> TemplateLimit:
    return TemplateLimit(f"the template took more than {MAX_RENDER_SECONDS:g} s to render (a runaway loop?)")


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("xlcompute_template_budget", default=None)


def _tick() -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.tick()


def _sized(value: Any) -> int:
    return len(value) if isinstance(value, (str, bytes, list, tuple)) else 0


class CountedRange:
    """``range`` for templates: at most :data:`MAX_TEMPLATE_RANGE` items, each step of a loop
    over it counted against the render's budget (so nested loops are bounded on any thread)."""

    def __init__(self, *args: int) -> None:
        _tick()
        self.items = range(*args)
        if len(self.items) > MAX_TEMPLATE_RANGE:
            raise TemplateLimit(f"range() of {len(self.items):,} items; templates may use at most "
                                f"{MAX_TEMPLATE_RANGE:,}")

    def __iter__(self) -> Iterator[int]:
        for item in self.items:
            _tick()
            yield item

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: Any) -> Any:
        return self.items[index]


#: Filters whose numeric arguments set the size of what they build (center(10**9) ...).
_WIDTH_FILTERS = ("center", "indent", "wordwrap", "truncate", "batch", "slice", "format")


def _bounded_filter(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)  # keeps jinja's pass_context/pass_environment marks
    def run(*args: Any, **kwargs: Any) -> Any:
        _tick()
        for value in (*args, *kwargs.values()):
            if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > MAX_OUTPUT_CHARS:
                raise TemplateLimit(f"the filter {fn.__name__} was given {value:g}; at most {MAX_OUTPUT_CHARS:,}")
        result = fn(*args, **kwargs)
        if _sized(result) > MAX_OUTPUT_CHARS:
            raise TemplateLimit(f"the filter {fn.__name__} built more than {MAX_OUTPUT_CHARS:,} characters")
        return result

    return run


class BoundedTemplate(Template):
    """A template whose render is bounded in time, operations and output size (see the module)."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        with _bounded_render():
            context = self.new_context(dict(*args, **kwargs))
            try:
                chunks, size = [], 0
                for chunk in self.root_render_func(context):  # type: ignore[attr-defined]
                    size += len(chunk)
                    if size > MAX_OUTPUT_CHARS:
                        raise TemplateLimit(f"the rendered page is over {MAX_OUTPUT_CHARS:,} characters")
                    chunks.append(chunk)
                return "".join(chunks)
            except Exception:
                self.environment.handle_exception()
        raise AssertionError("unreachable")  # pragma: no cover - handle_exception always raises


@contextlib.contextmanager
def _bounded_render() -> Iterator[None]:
    """A fresh :class:`_Budget` for the render; on the main thread, a timer whose signal stops
    even a loop that calls nothing (SIGALRM; the previous handler and timer are put back)."""
    token = _BUDGET.set(_Budget())
    timer = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if timer:
        def expire(signum: int, frame: Any) -> None:
            raise _timeout()

        previous_handler = signal.signal(signal.SIGALRM, expire)
        previous_timer = signal.setitimer(signal.ITIMER_REAL, MAX_RENDER_SECONDS)
    try:
        yield
    finally:
        if timer:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous_handler)
            if previous_timer[0]:
                signal.setitimer(signal.ITIMER_REAL, *previous_timer)
        _BUDGET.reset(token)


#: A printf-style field ("%99999d", "%.99999f", "%*d") that would pad to 10,000 characters or more.
_HUGE_FORMAT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\d{5,}|\*|\d*\.(?:\d{5,}|\*))")


class BoundedEnvironment(SandboxedEnvironment):
    """Jinja's sandbox, each call, lookup and operator counted against the render's budget, and
    ``*``, ``**`` and ``%`` refused where they would build something huge."""

    template_class = BoundedTemplate
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja's spelling
        _tick()
        return super().call(__context, __obj, *args, **kwargs)

    def getattr(self, obj: Any, attribute: str) -> Any:
        _tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _tick()
        return super().getitem(obj, argument)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _tick()
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right))
        if operator == "*" and not numbers:
            count = right if _sized(left) else left
            if isinstance(count, int) and max(_sized(left), _sized(right)) * count > MAX_OUTPUT_CHARS:
                raise TemplateLimit(f"'*' would build more than {MAX_OUTPUT_CHARS:,} items")
        if operator == "**" and numbers and abs(left) > 1 and abs(right) > 1_000:
            raise TemplateLimit(f"{left!r} ** {right!r} is too large a power for a template")
        if operator == "%" and isinstance(left, str) and _HUGE_FORMAT.search(left):
            raise TemplateLimit("a '%' format with a width or precision of 10,000 or more")
        result = super().call_binop(context, operator, left, right)
        if _sized(result) > MAX_OUTPUT_CHARS:
            raise TemplateLimit(f"'{operator}' built more than {MAX_OUTPUT_CHARS:,} characters")
        return result


def environment(dirs: list[Path], lang: str = locale.DEFAULT_LANGUAGE) -> Any:
    """A sandboxed, autoescaping, bounded Jinja environment over ``dirs`` (first match wins),
    its ``{% trans %}`` and ``_()`` texts in ``lang``."""
    from jinja2 import StrictUndefined  # noqa: PLC0415

    from . import formatting  # noqa: PLC0415

    env = BoundedEnvironment(
        loader=ConfinedLoader(dirs),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        optimized=False,  # the optimizer folds constants (10 ** 10 ** 8) at compile time, outside any budget
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(locale.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals["lang"] = lang
    env.filters.update({
        "words": functools.partial(locale.format_number, lang=lang),
        "long_date": functools.partial(locale.format_date, lang=lang),
        "pct": functools.partial(locale.format_percent, lang=lang),
        "tr": functools.partial(locale.translate_text, lang=lang),
    })
    env.filters.update(formatting.FILTERS)
    env.filters["customer_note"] = customer_note
    for name in _WIDTH_FILTERS:
        if name in env.filters:
            env.filters[name] = _bounded_filter(env.filters[name])
    env.globals["range"] = CountedRange
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


def _asset(url: str, roots: list[Path]) -> tuple[Path, bytes]:
    """The template asset ``url`` names and its bytes (a regular file, at most MAX_TEMPLATE_BYTES)."""
    path = _resolve(url, roots)
    root = next(r for r in roots if path.is_relative_to(r))
    found = read_confined(root, path.relative_to(root))
    if found is None:
        raise XlcomputeError(f"refused to fetch {url!r}: no such template asset.")
    return found


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
            path, data = _asset(url, roots)
            return {"string": data, "redirected_url": path.as_uri(),
                    "mime_type": mimetypes.guess_type(path.name)[0] or "application/octet-stream"}

        return fetch

    class TemplateFetcher(wurls.URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path, data = _asset(url, roots)
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return wurls.URLFetcherResponse(path.as_uri(), data, {"Content-Type": mime})

    return TemplateFetcher(allowed_protocols=("file", "data"), allow_redirects=False)
