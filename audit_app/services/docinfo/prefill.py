"""Pre-filling the register: what ISO/IEC 42001 expects (DOMAIN 1.5) and the library's "documented information
expected" entries, keyed by `source_key` so that filling again never duplicates an entry.

It runs at ``flask init`` (after the library loads) and, for databases initialised before the register existed,
the first time the register page opens on an empty register. Library items whose clause or control the standard's
list already covers get no entry of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import ChecklistItem, ChecklistVersion, DocKind, DocumentedInfo, User
from audit_app.services import activity
from audit_app.services.docinfo import status as keys
from audit_app.services.docinfo.history import add_change

M, R = DocKind.MAINTAIN, DocKind.RETAIN


@dataclass(frozen=True)
class Expected:
    key: str
    refs: tuple[str, ...]
    title: str
    kind: DocKind


#: The documented information the standard expects, in our own words (DOMAIN 1.5).
STANDARD_ENTRIES: tuple[Expected, ...] = (
    Expected(keys.SCOPE, ("4.3",), "AIMS scope statement (AI systems, units, sites, roles, exclusions)", M),
    Expected(keys.AI_POLICY, ("5.2", "A.2.2"), "AI policy", M),
    Expected(keys.RISK_ACTIONS, ("6.1.1",), "Register of AI risks and opportunities and the actions for them", M),
    Expected(keys.RISK_ASSESSMENT_PROCESS, ("6.1.2",), "AI risk assessment process (criteria and method)", M),
    Expected(keys.RISK_TREATMENT_PROCESS, ("6.1.3",), "AI risk treatment process", M),
    Expected(keys.SOA, ("6.1.3",), "Statement of Applicability", M),
    Expected(
        keys.RISK_TREATMENT_PLAN, ("6.1.3",), "AI risk treatment plan, its approval and residual-risk acceptance", M
    ),
    Expected(keys.IMPACT_ASSESSMENT_PROCESS, ("6.1.4",), "AI system impact assessment process", M),
    Expected(keys.IMPACT_ASSESSMENT_RESULTS, ("6.1.4", "8.4", "A.5.3"), "Results of AI system impact assessments", R),
    Expected(keys.OBJECTIVES, ("6.2",), "AI objectives and how they are measured", M),
    Expected(keys.COMPETENCE, ("7.2",), "Evidence of competence (training records, role-competence matrix)", R),
    Expected(keys.OTHER_DOCUMENTS, ("7.5.1",), "Other documented information the organisation judges necessary", M),
    Expected(keys.OPERATIONAL_RECORDS, ("8.1",), "Records that operational processes ran as planned", R),
    Expected(keys.RISK_RESULTS, ("8.2",), "Results of AI risk assessments", R),
    Expected(keys.TREATMENT_RESULTS, ("8.3",), "Results of AI risk treatment", R),
    Expected(keys.MONITORING, ("9.1",), "Monitoring and measurement results", R),
    Expected(keys.AUDIT_PROGRAMME, ("9.2.2",), "Audit programme implementation and audit results", R),
    Expected(keys.REVIEW_RESULTS, ("9.3.3",), "Management review results", R),
    Expected(keys.NC_RECORDS, ("10.2",), "Nonconformities, actions taken and results of corrective actions", R),
)

#: Clause and control ids the standard's list already answers (no library entry of their own).
COVERED_REFS = frozenset(ref for e in STANDARD_ENTRIES for ref in e.refs) | {"8.4"}


def library_key(ref: str) -> str:
    return f"lib:{ref}"


def _library_entries() -> list[Expected]:
    """One entry per library item with documented information expected, from each checklist's newest version."""
    newest = (
        sa.select(ChecklistVersion.checklist_id, sa.func.max(ChecklistVersion.id).label("vid"))
        .group_by(ChecklistVersion.checklist_id)
        .subquery()
    )
    items = db.session.scalars(
        sa.select(ChecklistItem)
        .join(newest, ChecklistItem.version_id == newest.c.vid)
        .order_by(ChecklistItem.version_id, ChecklistItem.position)
    )
    found: dict[str, Expected] = {}
    for item in items:
        wanted = [d for d in item.documented_information or [] if isinstance(d, dict) and d.get("description")]
        if not wanted or item.ref in COVERED_REFS or library_key(item.ref) in found:
            continue
        kind = M if any(d.get("type") == "maintain" for d in wanted) else R
        text = "; ".join(" ".join(str(d["description"]).split()).rstrip(".") for d in wanted)
        title = f"{item.title}: {text}"
        found[library_key(item.ref)] = Expected(library_key(item.ref), (item.ref,), title[:300], kind)
    return list(found.values())


def prefill(actor: User | None = None) -> int:
    """Add the expected entries that are not in the register yet (by key); how many were added."""
    wanted = [*STANDARD_ENTRIES, *_library_entries()]
    have = set(
        db.session.scalars(
            sa.select(DocumentedInfo.source_key).where(DocumentedInfo.source_key.in_([e.key for e in wanted]))
        )
    )
    added = 0
    for expected in wanted:
        if expected.key in have:
            continue
        entry = DocumentedInfo(
            refs=list(expected.refs), title=expected.title, kind=expected.kind, expected=True, source_key=expected.key
        )
        db.session.add(entry)
        db.session.flush()
        add_change(entry, actor, "created", None, expected.title)
        added += 1
    if added:
        activity.record(actor, "docinfo.prefilled", entry, added=added)
    return added


def ensure_prefilled(actor: User | None = None) -> int:
    """Fill the register if it has none of the standard's entries yet (one cheap query otherwise)."""
    if db.session.scalar(sa.select(DocumentedInfo.id).where(DocumentedInfo.source_key == keys.SCOPE).limit(1)):
        return 0
    return prefill(actor)
