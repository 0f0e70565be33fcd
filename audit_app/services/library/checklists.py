"""Load checklists into the library (idempotent, all-or-nothing) and query the library."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from audit_app.errors import Conflict, NotFound
from audit_app.extensions import db
from audit_app.models import Checklist, ChecklistItem, ChecklistVersion, ItemKind, User
from audit_app.services import activity
from audit_app.services.library.checklist_files import ParsedChecklist, parse_documents, parse_path

BUILT_IN = ("iso42001",)


@dataclass(frozen=True)
class LoadResult:
    version: ChecklistVersion
    #: "created", "refreshed" (content changed, version not yet used) or "unchanged".
    outcome: str

    def __str__(self) -> str:
        v = self.version
        return f"{v.checklist.code} {v.version}: {self.outcome} ({len(v.items)} items, sha256 {v.content_hash[:12]}…)"


def max_bytes() -> int:
    return int(current_app.config["CHECKLIST_MAX_BYTES"])


def validate_path(path: Path) -> ParsedChecklist:
    """Parse and validate a file or directory; raise ChecklistInvalid naming every problem."""
    return parse_path(path, max_bytes=max_bytes())


def load_path(path: Path, *, actor: User | None) -> LoadResult:
    return load(validate_path(path), source=Path(path).name, actor=actor)


def load_upload(filename: str, data: bytes, *, actor: User | None) -> LoadResult:
    """Validate and load a single uploaded checklist file."""
    safe = Path(filename or "upload.yaml").name
    parsed = parse_documents({safe: data}, max_bytes=max_bytes(), manifest=safe)
    return load(parsed, source=f"upload:{safe}", actor=actor)


def load(parsed: ParsedChecklist, *, source: str, actor: User | None) -> LoadResult:
    """Insert or refresh one checklist version inside the caller's transaction."""
    header, content_hash = parsed.header, parsed.content_hash
    checklist = db.session.scalar(sa.select(Checklist).where(Checklist.code == header["code"]))
    if checklist is None:
        checklist = Checklist(code=header["code"], title=header["title"])
        db.session.add(checklist)
    version = None
    if checklist.id is not None:
        version = db.session.scalar(
            sa.select(ChecklistVersion).where(
                ChecklistVersion.checklist_id == checklist.id, ChecklistVersion.version == header["version"]
            )
        )
    if version is not None and version.content_hash == content_hash:
        return LoadResult(version, "unchanged")
    if version is not None and version.locked:
        raise Conflict(
            f"Version {version.version} of checklist {checklist.code} is used by an audit and can no "
            "longer change. Give the new content a new version number."
        )
    outcome = "refreshed" if version is not None else "created"
    if version is None:
        version = ChecklistVersion(checklist=checklist, version=header["version"])
        db.session.add(version)
    else:
        version.items.clear()
        db.session.flush()
    checklist.title = header["title"]
    version.title = header["title"]
    version.standard = header.get("standard", "")
    version.edition = header.get("edition", "")
    version.description = header.get("description", "")
    version.content_hash = content_hash
    version.source = source[:255]
    version.loaded_by_id = actor.id if actor else None
    version.items.extend(_build_items(parsed))
    activity.record(
        actor, f"checklist.{outcome}", version, code=checklist.code, version=version.version, sha256=content_hash
    )
    return LoadResult(version, outcome)


def _build_items(parsed: ParsedChecklist) -> list[ChecklistItem]:
    depth: dict[str, int] = {}
    parents = {item["id"]: item["parent"] for item in parsed.items}

    def depth_of(ref: str) -> int:
        if ref not in depth:
            parent = parents[ref]
            depth[ref] = 0 if parent is None else depth_of(parent) + 1
        return depth[ref]

    built = []
    for position, item in enumerate(parsed.items):
        words = [
            item["id"],
            item["title"],
            item["summary"],
            *item["questions"],
            *(hint for hints in item["evidence"].values() for hint in hints),
        ]
        built.append(
            ChecklistItem(
                ref=item["id"],
                title=item["title"],
                kind=ItemKind(item["kind"]),
                parent_ref=item["parent"],
                position=position,
                depth=depth_of(item["id"]),
                auditable=item["auditable"],
                summary=item["summary"],
                questions=item["questions"],
                evidence=item["evidence"],
                documented_information=item["documented_information"],
                related=item["related"],
                search_text=" ".join(words).lower(),
            )
        )
    return built


def load_built_in(*, actor: User | None = None) -> list[LoadResult]:
    """Load or refresh every checklist shipped in the checklists/ directory."""
    root = Path(current_app.config["CHECKLIST_DIR"])
    return [load_path(root / code, actor=actor) for code in BUILT_IN]


#: The built-in ISO/IEC 42001 library's checklist code.
ISO42001_CODE = "iso42001"


def newest_version_id(code: str = ISO42001_CODE) -> sa.ScalarSelect[int]:
    """The id of the newest loaded version of a checklist, as a subquery (the SoA and readiness read the library
    through it)."""
    return (
        sa.select(ChecklistVersion.id)
        .join(Checklist)
        .where(Checklist.code == code)
        .order_by(ChecklistVersion.loaded_at.desc(), ChecklistVersion.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def list_versions() -> list[ChecklistVersion]:
    return list(
        db.session.scalars(
            sa.select(ChecklistVersion)
            .options(selectinload(ChecklistVersion.checklist))
            .join(Checklist)
            .order_by(Checklist.code, ChecklistVersion.loaded_at.desc())
        )
    )


def get_version(version_id: int) -> ChecklistVersion:
    version = db.session.get(ChecklistVersion, version_id)
    if version is None:
        raise NotFound(f"Checklist version {version_id} does not exist.")
    return version


def version_items(version: ChecklistVersion) -> list[ChecklistItem]:
    return list(
        db.session.scalars(
            sa.select(ChecklistItem).where(ChecklistItem.version_id == version.id).order_by(ChecklistItem.position)
        )
    )


def get_item(version: ChecklistVersion, ref: str) -> ChecklistItem:
    item = db.session.scalar(
        sa.select(ChecklistItem).where(ChecklistItem.version_id == version.id, ChecklistItem.ref == ref)
    )
    if item is None:
        raise NotFound(f"Item {ref} is not in {version.label}.")
    return item


def search(query: str, *, version_id: int | None = None, limit: int = 200) -> list[ChecklistItem]:
    """Find items whose id, title or text contain every word of `query` (case-insensitive)."""
    words = [w for w in query.lower().split() if w][:8]
    if not words:
        return []
    stmt = sa.select(ChecklistItem).options(
        selectinload(ChecklistItem.version).selectinload(ChecklistVersion.checklist)
    )
    for word in words:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(ChecklistItem.search_text.like(f"%{escaped}%", escape="\\"))
    if version_id is not None:
        stmt = stmt.where(ChecklistItem.version_id == version_id)
    exact = sa.case((sa.func.lower(ChecklistItem.ref) == query.strip().lower(), 0), else_=1)
    return list(db.session.scalars(stmt.order_by(exact, ChecklistItem.version_id, ChecklistItem.position).limit(limit)))
