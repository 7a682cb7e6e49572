"""Parse, validate and serialise Argo CD resources from YAML/JSON text or dicts."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from kedge.errors import ConfigError
from kedge.model.application import Application
from kedge.model.appset import ApplicationSet
from kedge.model.base import KModel
from kedge.model.checks import CHECKS
from kedge.model.messages import from_pydantic, show
from kedge.model.project import AppProject
from kedge.settings.yamlio import YAMLProblem, load_all

Resource = Application | AppProject | ApplicationSet

MODELS: dict[str, type[KModel]] = {
    "Application": Application,
    "AppProject": AppProject,
    "ApplicationSet": ApplicationSet,
}


class ModelError(ConfigError):
    """One or more invalid documents; ``problems`` holds one message per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def yaml_documents(text: str, filename: str = "<input>") -> list[Any]:
    """All YAML documents in ``text`` (empty documents dropped); raises :class:`ModelError`."""
    try:
        return load_all(text)
    except YAMLProblem as exc:
        raise ModelError([f"{filename}: invalid YAML: {exc}"]) from None


def _problems(doc: Any, source: str, kind: str | None = None) -> tuple[list[str], KModel | None]:
    if not isinstance(doc, dict):
        return [f"{source}: expected an object (a Kubernetes resource), got {show(doc)}"], None
    kind = kind or doc.get("kind")
    model = MODELS.get(kind) if isinstance(kind, str) else None
    if model is None:
        known = ", ".join(MODELS)
        return [f"{source}: kind: expected one of {known}, got {show(doc.get('kind'))}"], None
    pairs: list[tuple[str, str]] = []
    obj: KModel | None = None
    try:
        obj = model.model_validate(doc)
    except ValidationError as exc:
        pairs += [(p, m) for p, m in from_pydantic(exc.errors()) if p != "apiVersion"]
    pairs += CHECKS[kind](doc)
    seen: set[tuple[str, str]] = set()
    unique = [p for p in pairs if not (p in seen or seen.add(p))]
    return [f"{source}: {path}: {msg}" if path else f"{source}: {msg}" for path, msg in unique], obj


def validate(doc: Any, source: str = "<input>") -> list[str]:
    """Every problem in one Application, AppProject or ApplicationSet document (empty when valid)."""
    return _problems(doc, source)[0]


def parse(doc: Any, source: str = "<input>") -> Resource:
    """Parse one document of any of the three kinds; raises :class:`ModelError` listing every problem."""
    problems, obj = _problems(doc, source)
    if problems:
        raise ModelError(problems)
    return obj  # type: ignore[return-value]


def _parse_kind(doc: Any, source: str, kind: str) -> Any:
    if isinstance(doc, dict) and doc.get("kind") not in (None, kind):
        raise ModelError([f"{source}: kind: expected {show(kind)}, got {show(doc.get('kind'))}"])
    problems, obj = _problems(doc, source, kind)
    if problems:
        raise ModelError(problems)
    return obj


def parse_application(doc: Any, source: str = "<input>") -> Application:
    """Parse an ``Application`` document (a dict from YAML/JSON)."""
    return _parse_kind(doc, source, "Application")


def parse_appproject(doc: Any, source: str = "<input>") -> AppProject:
    """Parse an ``AppProject`` document."""
    return _parse_kind(doc, source, "AppProject")


def parse_applicationset(doc: Any, source: str = "<input>") -> ApplicationSet:
    """Parse an ``ApplicationSet`` document."""
    return _parse_kind(doc, source, "ApplicationSet")


def document_label(filename: str, index: int, total: int, doc: Any) -> str:
    """How messages name a document: ``file.yaml`` alone, or ``file.yaml: document 2 (Application guestbook)``."""
    if total <= 1:
        return filename
    label = f"{filename}: document {index + 1}"
    if isinstance(doc, dict):
        kind = doc.get("kind")
        name = doc.get("metadata", {}).get("name") if isinstance(doc.get("metadata"), dict) else None
        if isinstance(kind, str) and isinstance(name, str):
            label += f" ({kind} {name})"
    return label


def validate_documents(text: str, filename: str = "<input>") -> list[str]:
    """Every problem in a (multi-document) YAML or JSON text."""
    try:
        docs = yaml_documents(text, filename)
    except ModelError as exc:
        return exc.problems
    out: list[str] = []
    for i, doc in enumerate(docs):
        out += validate(doc, document_label(filename, i, len(docs), doc))
    return out


def load_documents(text: str, filename: str = "<input>", skip_other_kinds: bool = False) -> list[Resource]:
    """Parse every document of a YAML/JSON text; raises :class:`ModelError` with all problems of all documents.

    With ``skip_other_kinds``, documents that are not ``argoproj.io`` Applications, AppProjects or
    ApplicationSets (a ConfigMap next to them, say) are ignored instead of reported.
    """
    docs = yaml_documents(text, filename)
    out: list[Resource] = []
    problems: list[str] = []
    for i, doc in enumerate(docs):
        if skip_other_kinds and not (isinstance(doc, dict) and doc.get("kind") in MODELS):
            continue
        found, obj = _problems(doc, document_label(filename, i, len(docs), doc))
        problems += found
        if obj is not None and not found:
            out.append(obj)  # type: ignore[arg-type]
    if problems:
        raise ModelError(problems)
    return out


def load_file(path: str) -> list[Resource]:
    """:func:`load_documents` on a file; messages name the file by its base name."""
    import os

    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise ModelError([f"{path}: cannot read: {exc.strerror}"]) from None
    return load_documents(text, os.path.basename(path))


def to_dict(obj: KModel) -> dict[str, Any]:
    """The document as a dict (camelCase keys, only what was set, unknown fields kept)."""
    return obj.to_dict()


def unknown_fields(obj: KModel, path: str = "") -> list[str]:
    """Fields the model does not know (kept on round trip), e.g. a misspelt ``selfheal``.

    Returns ``<path>: unknown field (did you mean "selfHeal"?)`` messages; free-form fields
    (Helm ``valuesObject``, generator specs, ``status`` of other tools...) are not inspected.
    """
    import difflib

    out: list[str] = []
    known = [f.alias or name for name, f in type(obj).model_fields.items()]
    for key in obj.model_extra or {}:
        where = f"{path}.{key}" if path else str(key)
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.75)
        out.append(f"{where}: unknown field" + (f' (did you mean "{close[0]}"?)' if close else ""))
    for name, field in type(obj).model_fields.items():
        if name not in obj.model_fields_set:
            continue
        value = getattr(obj, name)
        sub = f"{path}.{field.alias or name}" if path else (field.alias or name)
        if isinstance(value, KModel):
            out += unknown_fields(value, sub)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, KModel):
                    out += unknown_fields(item, f"{sub}[{i}]")
        elif isinstance(value, dict):
            for k, item in value.items():
                if isinstance(item, KModel):
                    out += unknown_fields(item, f"{sub}.{k}")
    return out
