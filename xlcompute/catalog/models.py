"""The model catalog: ``data/models.csv``, one row per model, each with its sources and date.

Parameter counts are derived from the architecture by :mod:`xlcompute.core.params`; the
official counts in the file are the published figures they are checked against.

A model reference may also be the path of a local ``config.json`` (or a folder holding one)
when a user types it: on the command line or in their own Excel. Text from a workbook being
evaluated headlessly never is: inside :func:`workbook_text` (or with ``allow_paths=False``)
:func:`get_model` resolves through the catalog only and touches no file, so a workbook cannot
make xlcompute read, probe or wait on a file it names.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from ..core.architecture import ModelArch
from ..core.errors import XlcomputeError, unknown_id
from ..core.params import params_active, params_non_embedding, params_total
from ._data import (Index, build_catalog, check_row, parse_bool, parse_count, parse_number, quoted_half_unit,
                    split_list, typed_fields)
from .hf_config import ACTIVE_WITHOUT_INPUT_EMBEDDING, arch_from_config_file, config_path, load_config
from .user_dir import FileKey, user_file, user_rows

#: Relative tolerance between derived and official parameter counts (the issue's 1 %).
DEFAULT_TOLERANCE = 0.01


@dataclass(frozen=True)
class Model:
    """One catalog model: its architecture and the published facts about it."""

    id: str
    name: str
    arch: ModelArch
    hf_repos: tuple[str, ...] = ()
    official_total_params: float | None = None
    official_active_params: float | None = None
    source: str = ""  # where the architecture comes from (config.json URL, paper table)
    date: str = ""  # ISO date of the cited source
    notes: str = ""
    family: str = ""
    aliases: tuple[str, ...] = ()
    params_source: str = ""  # where the official counts come from
    official_non_embedding_params: float | None = None
    active_counts_input_embedding: bool = True  # the vendor's convention for "active"
    tolerance: float = DEFAULT_TOLERANCE
    quoted: dict[str, str] = field(default_factory=dict, compare=False, repr=False)  # counts as written
    origin: str = field(default="catalog", compare=False)  # "catalog" (shipped) or the user file's path

    @property
    def total_params(self) -> int:
        return params_total(self.arch)

    @property
    def active_params(self) -> int:
        """Active parameters per token under the vendor's convention (see params_active)."""
        return params_active(self.arch, self.active_counts_input_embedding)

    @property
    def non_embedding_params(self) -> int:
        return params_non_embedding(self.arch)

    def allowed_deviation(self, which: str = "total") -> float:
        """Relative tolerance for comparing a derived count with the official one: the row's
        tolerance (1 % by default) or half a unit of the official figure's last quoted digit,
        whichever is larger ("37B" is 36.5B-37.5B as printed)."""
        text = self.quoted.get(which, "")
        official = parse_count(text) if text else None
        if not official:
            return self.tolerance
        return max(self.tolerance, quoted_half_unit(text) / official)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "family": self.family,
            "hf_repos": list(self.hf_repos),
            "total_params": self.total_params,
            "active_params": self.active_params,
            "non_embedding_params": self.non_embedding_params,
            "official_total_params": self.official_total_params,
            "official_active_params": self.official_active_params,
            "official_non_embedding_params": self.official_non_embedding_params,
            "active_counts_input_embedding": self.active_counts_input_embedding,
            "source": self.source,
            "params_source": self.params_source,
            "date": self.date,
            "notes": self.notes,
            "origin": self.origin,
            "arch": self.arch.to_dict(),
        }

    def __str__(self) -> str:
        return self.id


ARCH_COLUMNS = ("hidden_size", "num_layers", "num_attention_heads", "intermediate_size", "vocab_size")
REQUIRED_COLUMNS = ("id", *ARCH_COLUMNS, "config_source", "params_source", "date")


def _model_from_row(row: dict[str, str], where: str, origin: str = "catalog") -> Model:
    """One model from a row of models.csv (shipped or a user's: the same parsing and checks;
    a user's row is also held to :func:`check_counts` as the test suite holds the shipped rows)."""
    check_row(row, where, ("config_source", "params_source"))
    label = f"{where} ({row['id']})"
    arch_fields = typed_fields(ModelArch, row, label)
    for column in ARCH_COLUMNS:
        if not arch_fields.get(column):
            raise XlcomputeError(f"{label}, column {column}: expected a whole number above 0, found "
                                 f"{row.get(column) or 'nothing'}.", argument="catalog")
    arch_fields["name"] = row.get("name", "")
    arch = ModelArch(**arch_fields)
    counts = {key: row.get(f"official_{key}_params", "") for key in ("total", "active", "non_embedding")}
    official = {key: parse_count(text, f"{label}, column official_{key}_params") for key, text in counts.items()}
    model = Model(
        id=row["id"],
        name=row.get("name") or row["id"],
        arch=arch,
        hf_repos=split_list(row.get("hf_repos", "")),
        official_total_params=official["total"],
        official_active_params=official["active"],
        official_non_embedding_params=official["non_embedding"],
        source=row["config_source"],
        params_source=row["params_source"],
        date=row["date"],
        notes=row.get("notes", ""),
        family=row.get("family", ""),
        aliases=split_list(row.get("aliases", "")),
        active_counts_input_embedding=parse_bool(row.get("active_counts_input_embedding") or "true",
                                                 f"{label}, column active_counts_input_embedding"),
        tolerance=parse_number(row.get("tolerance") or str(DEFAULT_TOLERANCE), f"{label}, column tolerance"),
        quoted={k: v for k, v in counts.items() if v},
        origin=origin,
    )
    if origin != "catalog":
        check_counts(model, label)
    return model


def check_counts(model: Model, label: str | None = None) -> None:
    """Derived parameter counts against the row's official ones, the rules tests/test_params.py
    holds every shipped row to: the total within :meth:`Model.allowed_deviation` of the
    official total (a row without one must say "nominal" in params_source), and likewise the
    active count (required for a mixture of experts) and the non-embedding count when given;
    a tolerance other than 1 % gives its reason in notes."""
    label = label or f"model {model.id}"
    if model.official_total_params is None and "nominal" not in model.params_source.lower():
        raise XlcomputeError(
            f"{label}, column official_total_params: expected the published total parameter count (it checks the "
            "architecture columns), found nothing. If only a nominal size is published, say 'nominal' in "
            "params_source.", argument="catalog")
    if model.tolerance != DEFAULT_TOLERANCE and not ("tolerance" in model.notes or "CONFLICT" in model.notes):
        raise XlcomputeError(f"{label}, column notes: expected the reason for the tolerance of {model.tolerance:g} "
                             "(a note that says 'tolerance' or 'CONFLICT'), found "
                             f"{repr(model.notes) if model.notes else 'nothing'}.", argument="catalog")
    if model.arch.is_moe and model.official_active_params is None:
        raise XlcomputeError(f"{label}, column official_active_params: expected the published active parameter count "
                             "of this mixture of experts, found nothing.", argument="catalog")
    try:
        derived = {"total": model.total_params, "active": model.active_params,
                   "non_embedding": model.non_embedding_params}
    except XlcomputeError as exc:  # e.g. mlp "swiglu": the core names the column
        message = str(exc).split(": ", 1)[-1]
        raise XlcomputeError(f"{label}, column {exc.argument}: {message}", argument="catalog",
                             suggestions=exc.suggestions) from exc
    official = {"total": model.official_total_params, "active": model.official_active_params,
                "non_embedding": model.official_non_embedding_params}
    for which, count in official.items():
        if not count:
            continue
        deviation = abs(derived[which] / count - 1.0)
        allowed = model.allowed_deviation(which)
        if deviation > allowed:
            raise XlcomputeError(
                f"{label}, column official_{which}_params: expected a count within {allowed:.1%} of the "
                f"{derived[which]:,} derived from the architecture columns, found {model.quoted[which]!r} "
                f"({deviation:.1%} apart). Check the architecture columns against config.json; if the published "
                "count differs for a known reason, widen column tolerance and give the reason in notes.", argument="catalog")


@functools.lru_cache(maxsize=4)
def _load(user: FileKey | None) -> tuple[dict[str, Model], Index]:
    return build_catalog("models.csv", "model", _model_from_row,
                         lambda model, row: (model.name, *model.aliases, *model.hf_repos),
                         user_rows(user, REQUIRED_COLUMNS))


def _catalog() -> tuple[dict[str, Model], Index]:
    """The shipped models merged with the user catalog directory's models.csv, if any."""
    return _load(user_file("models.csv"))


def list_models() -> list[Model]:
    """Every catalog model, in file order."""
    return list(_catalog()[0].values())


def model_ids() -> list[str]:
    return list(_catalog()[0])


_PATHS_ALLOWED: contextvars.ContextVar[bool] = contextvars.ContextVar("xlcompute_model_paths", default=True)


@contextlib.contextmanager
def workbook_text() -> Iterator[None]:
    """Inside the block, model references are workbook text: :func:`get_model` resolves them
    through the catalog only, never as a path (an explicit ``allow_paths=True`` does not undo it).
    Evaluators and reports wrap a headless evaluation of a workbook in it."""
    token = _PATHS_ALLOWED.set(False)
    try:
        yield
    finally:
        _PATHS_ALLOWED.reset(token)


def paths_allowed(allow_paths: bool | None = None) -> bool:
    """Whether a model reference may be a path here: ``allow_paths`` (default True), and not
    inside :func:`workbook_text`."""
    return (True if allow_paths is None else bool(allow_paths)) and _PATHS_ALLOWED.get()


_PATH_LIKE = re.compile(r"^(?:[~./\\]|[A-Za-z]:)|\\|\.json\s*$", re.IGNORECASE)


def get_model(ref: Any, *, allow_paths: bool | None = None) -> Model:
    """A model by catalog id, alias or Hugging Face repo name (case and separators ignored;
    ``-Instruct``/``-chat``/``-hf``/``-it`` variants find their base model), or, where paths are
    allowed (:func:`paths_allowed`), a path to a local ``config.json`` (or a directory holding one).

    Raises :class:`XlcomputeError` naming the argument and the closest ids if nothing matches.
    """
    if isinstance(ref, Model):
        return ref
    if ref is None or str(ref).strip() == "":
        raise XlcomputeError("model: expected a model id, Hugging Face repo name or config.json path, found nothing.",
                             argument="model")
    models, index = _catalog()
    if not paths_allowed(allow_paths):
        return _from_catalog_only(ref, models, index)
    path = config_path(ref)
    if path is not None and path.exists():  # a local file wins over a catalog name
        arch = arch_from_config_file(path)
        model_type = str(load_config(path).get("model_type", "")).lower()
        return Model(id=arch.id, name=arch.name or arch.id, arch=arch, source=str(path),
                     notes=f"read from a local config.json (model_type {model_type or 'unknown'})",
                     active_counts_input_embedding=model_type not in ACTIVE_WITHOUT_INPUT_EMBEDDING)
    found = index.find(ref)
    if found is None and path is None:
        found = next((hit for hit in map(index.find, _shorter_names(str(ref))) if hit is not None), None)
    if found is not None:
        return models[found]
    if path is not None:
        raise XlcomputeError(f"model: config file {str(path)!r} does not exist.", argument="model")
    raise unknown_id("model", "model", ref, index.ids)


def _from_catalog_only(ref: Any, models: dict[str, Model], index: Index) -> Model:
    """:func:`get_model` for workbook text: the catalog, and no file touched."""
    text = str(ref).strip()
    path_like = bool(_PATH_LIKE.search(text))
    found = index.find(text)
    if found is None and not path_like:
        found = next((hit for hit in map(index.find, _shorter_names(text)) if hit is not None), None)
    if found is not None:
        return models[found]
    if path_like:
        raise XlcomputeError(f"model: {text[:120]!r} looks like a file path; a model named in a workbook must be a "
                             "catalog id or Hugging Face repo name (`xlcompute models` lists them): xlcompute "
                             "never reads a file that a workbook names. A local config.json is given on the command "
                             "line (xlcompute models PATH, calc --arch PATH).", argument="model")
    raise unknown_id("model", "model", ref, index.ids)


_SIZE = re.compile(r"\d+(\.\d+)?\s*[bmt]\b", re.IGNORECASE)


def _shorter_names(text: str) -> list[str]:
    """Model names inside longer labels, tried only after an exact match fails:
    "Phi-3-mini (June 2024 update, 128k)" -> "Phi-3-mini"; "Training compute per token:
    Qwen-72B (dense)" -> "Qwen-72B"; "MT-NLG 530B throughput (280 DGX A100 nodes)" ->
    "MT-NLG 530B"; "...: LLAMA2-70B on 64x H100" -> "LLAMA2-70B". Trailing words are dropped
    only while a parameter size ("530B") remains, so a bare family name never matches."""
    texts = [text]
    if ":" in text:
        texts.append(text.split(":", 1)[1])
    out: list[str] = []
    for item in texts:
        item = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", item)
        item = re.sub(r"\s+on\s+\d+\s*x\b.*$", "", item, flags=re.IGNORECASE)
        words = item.split()
        while words:
            out.append(" ".join(words))
            if len(words) < 2 or re.search(r"\d", words[-1]) or not _SIZE.search(" ".join(words[:-1])):
                break
            words = words[:-1]
    return [name for name in dict.fromkeys(out) if name and name != text]


def get_arch(ref: Any, *, allow_paths: bool | None = None) -> ModelArch:
    """The architecture of :func:`get_model` ``(ref)``; a ModelArch passes through."""
    if isinstance(ref, ModelArch):
        return ref
    return get_model(ref, allow_paths=allow_paths).arch
