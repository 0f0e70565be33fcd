"""What a finding may link to, checked: leaf clauses and controls of the criteria, the audit's own evidence
entries, checklist items and evaluated samples, existing units, AI systems and active accounts."""

from __future__ import annotations

import sqlalchemy as sa

from audit_app.errors import ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    AISystem,
    Audit,
    ChecklistItem,
    ChecklistResponse,
    Evidence,
    Finding,
    OrgUnit,
    Sample,
    SampleStatus,
    User,
)
from audit_app.services.text import clean

MAX_LINKS = 200


def id_list(values: list[int], name: str) -> list[int]:
    if len(values) > MAX_LINKS:
        raise ValidationFailed.on(name, f"Link at most {MAX_LINKS}.")
    if any(not 0 < v < 2**31 for v in values):
        raise ValidationFailed.on(name, "One of the ids does not exist.")
    return list(dict.fromkeys(values))


def clause_refs(refs: list[str], finding: Finding, audit: Audit | None) -> list[str]:
    """Leaf clause and control ids: in an audit, those of its pinned criteria; outside, of the programme's (or
    any) library version."""
    cleaned = list(dict.fromkeys(clean(r, field="clause_refs", max_length=20).strip() for r in refs if r.strip()))
    if len(cleaned) > 50:
        raise ValidationFailed.on("clause_refs", "Cite at most 50 clauses and controls.")
    if not cleaned:
        return []
    stmt = sa.select(ChecklistItem.ref).where(ChecklistItem.ref.in_(cleaned), ChecklistItem.auditable.is_(True))
    if audit is not None:
        stmt = stmt.where(ChecklistItem.version_id.in_([v.id for v in audit.criteria]))
    elif finding.programme is not None:
        stmt = stmt.where(ChecklistItem.version_id == finding.programme.checklist_version_id)
    known = set(db.session.scalars(stmt))
    unknown = [r for r in cleaned if r not in known]
    if unknown:
        raise ValidationFailed.on(
            "clause_refs",
            f"Not a clause or control of the criteria (use leaf ids such as 6.1.3 or A.6.2.8): {', '.join(unknown)}.",
        )
    return cleaned


def ai_system(system_id: int | None, audit: Audit | None) -> AISystem | None:
    if system_id is None:
        return None
    system = db.session.get(AISystem, system_id) if 0 < system_id < 2**31 else None
    if system is None:
        raise ValidationFailed.on("ai_system_id", "That AI system does not exist.")
    return system


def unit(unit_id: int | None, name: str) -> OrgUnit | None:
    if unit_id is None:
        return None
    unit = db.session.get(OrgUnit, unit_id) if 0 < unit_id < 2**31 else None
    if unit is None:
        raise ValidationFailed.on(name, "That org unit does not exist.")
    return unit


def process_owner(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = db.session.get(User, user_id) if 0 < user_id < 2**31 else None
    if user is None or not user.active:
        raise ValidationFailed.on("process_owner_id", "Choose an active account as the process owner.")
    return user


def evidence_entries(ids: list[int], audit: Audit | None) -> list[Evidence]:
    wanted = id_list(ids, "evidence_ids")
    if not wanted:
        return []
    if audit is None:
        raise ValidationFailed.on("evidence_ids", "Only findings of an audit cite its evidence entries.")
    found = {
        e.id: e
        for e in db.session.scalars(sa.select(Evidence).where(Evidence.id.in_(wanted), Evidence.audit_id == audit.id))
    }
    if len(found) != len(wanted):
        raise ValidationFailed.on("evidence_ids", "Cite only evidence entries of this audit.")
    return [found[i] for i in wanted]


def responses(ids: list[int], audit: Audit | None) -> list[ChecklistResponse]:
    wanted = id_list(ids, "response_ids")
    if not wanted:
        return []
    if audit is None:
        raise ValidationFailed.on("response_ids", "Only findings of an audit come from its checklist items.")
    found = {
        r.id: r
        for r in db.session.scalars(
            sa.select(ChecklistResponse).where(ChecklistResponse.id.in_(wanted), ChecklistResponse.audit_id == audit.id)
        )
    }
    if len(found) != len(wanted):
        raise ValidationFailed.on("response_ids", "Choose checklist items of this audit.")
    return [found[i] for i in wanted]


def samples(ids: list[int], audit: Audit | None) -> list[Sample]:
    wanted = id_list(ids, "sample_ids")
    if not wanted:
        return []
    if audit is None:
        raise ValidationFailed.on("sample_ids", "Only findings of an audit cite its samples.")
    found = {
        s.id: s for s in db.session.scalars(sa.select(Sample).where(Sample.id.in_(wanted), Sample.audit_id == audit.id))
    }
    if len(found) != len(wanted):
        raise ValidationFailed.on("sample_ids", "Cite only samples of this audit.")
    unevaluated = [s.reference for s in found.values() if s.status is not SampleStatus.EVALUATED]
    if unevaluated:
        raise ValidationFailed.on(
            "sample_ids", f"Cite evaluated samples only ({', '.join(unevaluated)} is not evaluated)."
        )
    return [found[i] for i in wanted]
