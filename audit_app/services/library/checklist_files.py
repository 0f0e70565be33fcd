"""Read and validate checklist files (YAML or JSON) without touching the database."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from audit_app.config import PROJECT_ROOT
from audit_app.errors import ValidationFailed

MANIFEST_NAMES = ("checklist.yaml", "checklist.yml", "checklist.json")
EVIDENCE_KINDS = ("documents", "records", "interviews", "observations")
MIN_QUESTIONS = 3
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a checklist, located by file and (when known) item."""

    file: str
    message: str
    item: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}: item {self.item}" if self.item else self.file
        return f"{where}: {self.message}"


class ChecklistInvalid(ValidationFailed):
    """The checklist was refused; `problems` names every error found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            f"{len(problems)} problem(s) in the checklist: " + "; ".join(map(str, problems[:5])),
            {"checklist": [str(p) for p in problems]},
        )
        self.problems = problems


@dataclass
class ParsedChecklist:
    header: dict[str, Any]
    items: list[dict[str, Any]]
    sources: list[str] = field(default_factory=list)

    @property
    def content_hash(self) -> str:
        canonical = json.dumps(
            {"checklist": self.header, "items": self.items}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((PROJECT_ROOT / "checklists" / "schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def parse_path(path: Path, *, max_bytes: int) -> ParsedChecklist:
    """Read a checklist file or a directory with a manifest; raise ChecklistInvalid on any error."""
    path = Path(path)
    if path.is_dir():
        manifest = next((path / n for n in MANIFEST_NAMES if (path / n).is_file()), None)
        if manifest is None:
            raise ChecklistInvalid([Problem(path.name, "directory has no checklist.yaml manifest")])
        files = {manifest.name: manifest.read_bytes()}
        problems: list[Problem] = []
        head = _decode(manifest.name, files[manifest.name], problems)
        names = head.get("files", []) if isinstance(head, dict) else []
        if isinstance(names, list):
            for name in names:
                target = (path / str(name)).resolve()
                if not isinstance(name, str) or target.parent != path.resolve() or not target.is_file():
                    problems.append(Problem(manifest.name, f"listed file {name!r} is not in the directory"))
                else:
                    files[name] = target.read_bytes()
        if problems:
            raise ChecklistInvalid(problems)
        return parse_documents(files, max_bytes=max_bytes, manifest=manifest.name)
    if not path.is_file():
        raise ChecklistInvalid([Problem(path.name, "no such file or directory")])
    return parse_documents({path.name: path.read_bytes()}, max_bytes=max_bytes, manifest=path.name)


def parse_documents(files: dict[str, bytes], *, max_bytes: int, manifest: str) -> ParsedChecklist:
    """Validate raw file contents (name -> bytes); `manifest` names the one holding the header.

    The same bytes always parse the same way, so a parse is remembered (the built-in library is read on
    every `init` and parsing its YAML is the slow part); each caller gets its own copy.
    """
    return copy.deepcopy(_parse_documents(tuple(files.items()), max_bytes, manifest))


@lru_cache(maxsize=8)
def _parse_documents(contents: tuple[tuple[str, bytes], ...], max_bytes: int, manifest: str) -> ParsedChecklist:
    files = dict(contents)
    problems: list[Problem] = []
    total = sum(len(data) for data in files.values())
    if total > max_bytes:
        raise ChecklistInvalid([Problem(manifest, f"checklist is {total:,} bytes; the limit is {max_bytes:,} bytes")])
    docs: dict[str, Any] = {}
    for name, data in files.items():
        doc = _decode(name, data, problems)
        if doc is None:
            continue
        if not isinstance(doc, dict):
            problems.append(Problem(name, "top level must be a mapping with 'checklist' and/or 'items'"))
            continue
        _schema_problems(name, doc, problems)
        docs[name] = doc
    if problems:
        raise ChecklistInvalid(problems)

    head = docs[manifest]
    if "checklist" not in head:
        raise ChecklistInvalid([Problem(manifest, "missing the 'checklist' header (code, title, version)")])
    for name, doc in docs.items():
        if name != manifest and "checklist" in doc:
            problems.append(Problem(name, "only the manifest may hold a 'checklist' header"))
        if name != manifest and "items" not in doc:
            problems.append(Problem(name, "item file has no 'items' list"))
    if len(docs) > 1 and "items" in head:
        problems.append(Problem(manifest, "a manifest with 'files' must not also hold items"))
    if len(docs) == 1 and "files" in head:
        problems.append(Problem(manifest, "'files' is only allowed in a directory manifest"))

    located = [(name, item) for name, doc in docs.items() for item in doc.get("items", [])]
    if not located:
        problems.append(Problem(manifest, "the checklist has no items"))
    _cross_check(located, problems)
    if problems:
        raise ChecklistInvalid(problems)
    header = dict(head["checklist"].items())
    items = [_normalise(item) for _, item in located]
    return ParsedChecklist(header=header, items=items, sources=list(files))


def _decode(name: str, data: bytes, problems: list[Problem]) -> Any:
    if not data.strip():
        problems.append(Problem(name, "file is empty"))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(Problem(name, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"))
        return None
    try:
        doc = json.loads(text) if name.endswith(".json") else yaml.safe_load(text)
        if doc is None:  # only comments, "~" or "null": nothing to read
            problems.append(Problem(name, "file is empty (it holds no data)"))
        return doc
    except json.JSONDecodeError as exc:
        problems.append(Problem(name, f"JSON syntax error at line {exc.lineno} column {exc.colno}: {exc.msg}"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problems.append(Problem(name, f"YAML syntax error{where}: {getattr(exc, 'problem', None) or exc}"))
    return None


def _schema_problems(name: str, doc: dict[str, Any], problems: list[Problem]) -> None:
    listed = doc.get("items")
    items: list[Any] = listed if isinstance(listed, list) else []
    for error in sorted(_validator().iter_errors(doc), key=lambda e: list(e.absolute_path)):
        path = list(error.absolute_path)
        item = None
        if len(path) >= 2 and path[0] == "items" and isinstance(path[1], int):
            raw = items[path[1]] if path[1] < len(items) else None
            ident = raw.get("id") if isinstance(raw, dict) else None
            item = f"{ident} (#{path[1] + 1})" if isinstance(ident, str) else f"#{path[1] + 1}"
            path = path[2:]
        where = ".".join(str(p) for p in path) or "top level"
        problems.append(Problem(name, f"{where}: {_short(error)}", item))
    _control_characters(name, doc, problems)


def _short(error: jsonschema.ValidationError) -> str:
    message = error.message
    return message if len(message) <= 200 else message[:197] + "..."


def _control_characters(name: str, value: Any, problems: list[Problem], where: str = "") -> None:
    if isinstance(value, str) and _CONTROL.search(value):
        problems.append(Problem(name, f"{where or 'value'}: contains control characters"))
    elif isinstance(value, dict):
        for key, inner in value.items():
            _control_characters(name, inner, problems, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _control_characters(name, inner, problems, f"{where}[{index}]")


def _cross_check(located: list[tuple[str, dict[str, Any]]], problems: list[Problem]) -> None:
    where: dict[str, str] = {}
    for name, item in located:
        ident = item["id"]
        if ident in where:
            problems.append(Problem(name, f"duplicate id (first defined in {where[ident]})", ident))
        else:
            where[ident] = name
    for name, item in located:
        ident, parent = item["id"], item.get("parent")
        if parent is not None and parent not in where:
            problems.append(Problem(name, f"unknown parent {parent!r}", ident))
        if parent == ident:
            problems.append(Problem(name, "item is its own parent", ident))
        for other in item.get("related", []):
            if other not in where:
                problems.append(Problem(name, f"related id {other!r} is not in the checklist", ident))
        if item.get("auditable", True):
            if len(item.get("questions", [])) < MIN_QUESTIONS:
                problems.append(Problem(name, f"an auditable item needs at least {MIN_QUESTIONS} questions", ident))
            if not any(item.get("evidence", {}).get(kind) for kind in EVIDENCE_KINDS):
                problems.append(Problem(name, "an auditable item needs at least one evidence hint", ident))
    parents = {item["id"]: item.get("parent") for _, item in located}
    for ident in parents:
        seen, current = set(), ident
        while current is not None and current in parents:
            if current in seen:
                problems.append(Problem(where[ident], "parent chain loops back on itself", ident))
                break
            seen.add(current)
            current = parents[current]


def _normalise(item: dict[str, Any]) -> dict[str, Any]:
    evidence = item.get("evidence", {})
    return {
        "id": item["id"],
        "title": item["title"].strip(),
        "kind": item["kind"],
        "parent": item.get("parent"),
        "auditable": bool(item.get("auditable", True)),
        "summary": (item.get("summary") or "").strip(),
        "questions": [q.strip() for q in item.get("questions", [])],
        "evidence": {kind: [e.strip() for e in evidence.get(kind, [])] for kind in EVIDENCE_KINDS},
        "documented_information": item.get("documented_information", []),
        "related": item.get("related", []),
    }
