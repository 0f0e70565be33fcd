"""What the blank fieldwork checklist shows: the audit's scope items with our own questions and guidance from the
library, the documented information each expects, and the sessions that plan to cover it (for working offline).

Read in a fixed number of statements: the audit with its criteria and AI systems, its scope items, its sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from audit_app.extensions import db
from audit_app.models import Audit, AuditTeamMember
from audit_app.services.planning import agenda

#: The evidence kinds of a library item, in the order the checklist lists them, with their headings.
EVIDENCE_KINDS = (
    ("documents", "Documents to review"),
    ("records", "Records to sample"),
    ("interviews", "People to interview (roles)"),
    ("observations", "Things to observe or test"),
)


@dataclass(frozen=True)
class ChecklistEvidence:
    heading: str
    entries: tuple[str, ...]


@dataclass(frozen=True)
class ChecklistEntry:
    ref: str
    title: str
    kind: str
    depth: int
    auditable: bool
    guidance: str
    questions: tuple[str, ...]
    evidence: tuple[ChecklistEvidence, ...]
    #: "Maintain: …" or "Retain: …", one per document or record the clause expects.
    documented_information: tuple[str, ...]
    related: tuple[str, ...]
    #: "Mon 02 Mar 09:00 Interview: Context and scope", for each session planned to cover the item.
    sessions: tuple[str, ...]


@dataclass(frozen=True)
class ChecklistPart:
    """The items of one pinned checklist version, in library order."""

    label: str
    entries: tuple[ChecklistEntry, ...]


@dataclass(frozen=True)
class FieldworkChecklistData:
    reference: str
    title: str
    audit_type: str
    start_date: date
    end_date: date
    lead_auditor: str
    team: tuple[str, ...]
    units: tuple[str, ...]
    systems: tuple[str, ...]
    parts: tuple[ChecklistPart, ...]

    @property
    def item_count(self) -> int:
        return sum(1 for part in self.parts for e in part.entries if e.auditable)


def _evidence(raw: dict[str, list[str]] | None) -> tuple[ChecklistEvidence, ...]:
    found = raw or {}
    return tuple(
        ChecklistEvidence(heading, tuple(str(e) for e in found[key]))
        for key, heading in EVIDENCE_KINDS
        if found.get(key)
    )


def _documented(raw: list[dict[str, Any]] | None) -> tuple[str, ...]:
    lines = []
    for entry in raw or []:
        kind = str(entry.get("type", "")).strip().capitalize()
        text = str(entry.get("description", "")).strip()
        if text:
            lines.append(f"{kind}: {text}" if kind else text)
    return tuple(lines)


def _session_label(day: date, start: time, activity: str, title: str) -> str:
    return f"{day:%a %d %b} {start:%H:%M} {activity}: {title}"


def fieldwork_checklist_data(audit: Audit) -> FieldworkChecklistData:
    agenda.load_sessions(audit)  # first: it refreshes the audit, unloading collections loaded before it
    db.session.execute(
        sa.select(Audit)
        .where(Audit.id == audit.id)
        .options(
            joinedload(Audit.lead_auditor),
            selectinload(Audit.criteria),
            selectinload(Audit.scope_units),
            selectinload(Audit.scope_systems),
            selectinload(Audit.scope_items),
            selectinload(Audit.team).joinedload(AuditTeamMember.user),
        )
    ).unique().scalar_one()
    planned: dict[int, list[str]] = {}
    for s in audit.sessions:
        label = _session_label(s.day, s.start_time, s.activity.label, s.title)
        for item in s.items:
            planned.setdefault(item.id, []).append(label)
    versions = {v.id: v.label for v in audit.criteria}
    by_version: dict[int, list[ChecklistEntry]] = {}
    for item in audit.scope_items:
        by_version.setdefault(item.version_id, []).append(
            ChecklistEntry(
                ref=item.ref,
                title=item.title,
                kind=item.kind.value,
                depth=item.depth,
                auditable=item.auditable,
                guidance=item.summary,
                questions=tuple(str(q) for q in item.questions or ()),
                evidence=_evidence(item.evidence),
                documented_information=_documented(item.documented_information),
                related=tuple(str(r) for r in item.related or ()),
                sessions=tuple(planned.get(item.id, ())),
            )
        )
    parts = tuple(
        ChecklistPart(versions.get(version_id, f"Checklist version {version_id}"), tuple(entries))
        for version_id, entries in by_version.items()
    )
    return FieldworkChecklistData(
        reference=audit.reference,
        title=audit.title,
        audit_type=audit.audit_type.label,
        start_date=audit.start_date,
        end_date=audit.end_date,
        lead_auditor=audit.lead_auditor.name,
        team=tuple(f"{m.user.name} ({m.role.label.lower()})" for m in audit.team),
        units=tuple(u.name for u in audit.scope_units),
        systems=tuple(s.name for s in audit.scope_systems),
        parts=parts,
    )
