"""Drafting and editing findings: the fields, the criteria, the evidence links, and who may change what when.

- In an audit, a finding is drafted during fieldwork or reporting by an auditor on the team (or the lead, or an
  administrator); outside an audit (incident, complaint, monitoring result) by any auditor, lead or admin.
- Its raiser edits it while it is a draft; the reviewer (the audit's lead auditor or an administrator) also
  edits it once submitted. After it is issued only the reviewer edits it, and every change needs a reason.
- A change of grade after submission is a regrade: the reviewer's, with a reason.
- Every change is written to the finding's history (field, old value, new value, who, when, why).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from audit_app.errors import Conflict, NotAllowed, ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    Audit,
    AuditProgramme,
    Finding,
    FindingClause,
    FindingSource,
    FindingStatus,
    Role,
    User,
)
from audit_app.services import activity
from audit_app.services.findings import grades, history, links, quality, sample_citations
from audit_app.services.findings.policy import FindingParty, ensure_may_raise_in, parties
from audit_app.services.text import clean

S = FindingStatus
#: Plain fields a draft carries (the links are handled separately), with their longest length (None: long text).
TEXT_FIELDS: dict[str, tuple[int, bool]] = {
    "title": (200, False),
    "requirement": (8000, True),
    "statement": (8000, True),
    "evidence_summary": (16000, True),
    "grade_rationale": (4000, True),
    "other_criteria": (4000, True),
    "site": (200, False),
    "source_reference": (300, False),
}
#: What the history compares on every edit.
TRACKED = (
    "title",
    "grade",
    "systemic",
    "grade_rationale",
    "requirement",
    "statement",
    "evidence_summary",
    "other_criteria",
    "site",
    "source",
    "source_reference",
    "occurred_on",
    "ai_system_id",
    "location_unit_id",
    "auditee_unit_id",
    "process_owner_id",
    "programme_id",
)


@dataclass
class FindingInput:
    """What a form or an API body sets on a finding (absent links are left as they are when `None`)."""

    grade: str
    title: str = ""
    requirement: str = ""
    statement: str = ""
    evidence_summary: str = ""
    grade_rationale: str = ""
    systemic: bool = False
    other_criteria: str = ""
    site: str = ""
    ai_system_id: int | None = None
    location_unit_id: int | None = None
    auditee_unit_id: int | None = None
    process_owner_id: int | None = None
    clause_refs: list[str] | None = None
    evidence_ids: list[int] | None = None
    response_ids: list[int] | None = None
    sample_ids: list[int] | None = None
    # Outside an audit only.
    source: FindingSource = FindingSource.AUDIT
    source_reference: str = ""
    occurred_on: date | None = None
    programme_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, finding: Finding) -> FindingInput:
        """The finding's current values (the starting point of an edit form)."""
        return cls(
            grade=finding.grade,
            title=finding.title,
            requirement=finding.requirement,
            statement=finding.statement,
            evidence_summary=finding.evidence_summary,
            grade_rationale=finding.grade_rationale,
            systemic=finding.systemic,
            other_criteria=finding.other_criteria,
            site=finding.site,
            ai_system_id=finding.ai_system_id,
            location_unit_id=finding.location_unit_id,
            auditee_unit_id=finding.auditee_unit_id,
            process_owner_id=finding.process_owner_id,
            clause_refs=finding.clause_refs,
            evidence_ids=[e.id for e in finding.evidence],
            response_ids=[r.id for r in finding.items],
            sample_ids=[s.sample_id for s in finding.samples],
            source=finding.source,
            source_reference=finding.source_reference,
            occurred_on=finding.occurred_on,
            programme_id=finding.programme_id,
        )


# --- creating -----------------------------------------------------------------------------------------------------


def create_in_audit(audit: Audit, data: FindingInput, *, actor: User) -> Finding:
    """Draft a finding in an audit (fieldwork or reporting), by its team, its lead or an administrator."""
    ensure_may_raise_in(actor, audit)
    finding = Finding(
        audit=audit,
        audit_id=audit.id,
        programme=audit.programme,
        programme_id=audit.programme_id,
        source=FindingSource.AUDIT,
        grade=data.grade,
        raised_by_id=actor.id,
        status=S.DRAFT,
    )
    _apply(finding, data, audit=audit)
    db.session.add(finding)
    db.session.flush()
    history.add(finding.id, "created", actor=actor, field="grade", new=finding.grade)
    activity.record(actor, "finding.created", finding, audit=audit.reference)
    return finding


def create_outside_audit(data: FindingInput, *, actor: User) -> Finding:
    """Raise a nonconformity (or other finding) from an incident, complaint or monitoring result (10.2)."""
    if actor.role not in (Role.ADMIN, Role.LEAD_AUDITOR, Role.AUDITOR):
        raise NotAllowed("Only auditors, lead auditors and administrators raise findings.")
    if data.source is FindingSource.AUDIT:
        raise ValidationFailed.on("source", "Say where the finding comes from (incident, complaint, monitoring …).")
    programme = _programme(data.programme_id)
    finding = Finding(
        programme=programme,
        programme_id=programme.id if programme else None,
        source=data.source,
        grade=data.grade,
        raised_by_id=actor.id,
        status=S.DRAFT,
    )
    _apply(finding, data, audit=None)
    db.session.add(finding)
    db.session.flush()
    history.add(finding.id, "created", actor=actor, field="grade", new=finding.grade)
    activity.record(actor, "finding.created", finding, source=data.source.value)
    return finding


def _programme(programme_id: int | None) -> AuditProgramme | None:
    if programme_id is None:
        return None
    programme = db.session.get(AuditProgramme, programme_id) if 0 < programme_id < 2**31 else None
    if programme is None:
        raise ValidationFailed.on("programme_id", "That programme does not exist.")
    return programme


# --- editing ------------------------------------------------------------------------------------------------------


def edit_blocker(user: User, finding: Finding) -> str | None:
    """Why the user may not edit the finding's content now (None: they may)."""
    held = parties(user, finding)
    if finding.is_final:
        return f"The finding is {finding.status.label.lower()}; it can no longer be changed."
    if finding.status is S.DRAFT:
        return (
            None if held & {FindingParty.RAISER, FindingParty.REVIEWER} else "Only the audit's auditors edit a draft."
        )
    if FindingParty.REVIEWER not in held:
        return "Once submitted, only the lead auditor (or an administrator) changes the finding."
    return None


def needs_reason(finding: Finding) -> bool:
    """Edits after issue are explained (the auditee has already seen the finding)."""
    return finding.issued_at is not None


def update(finding: Finding, data: FindingInput, *, actor: User, reason: str = "") -> Finding:
    """Change the finding's content; a grade change after submission goes through `regrade`."""
    blocker = edit_blocker(actor, finding)
    if blocker:
        raise NotAllowed(blocker)
    reason = clean(reason, field="reason", max_length=4000, multiline=True)
    if needs_reason(finding) and not reason:
        raise ValidationFailed.on("reason", "Give a reason for changing an issued finding.")
    if data.grade != finding.grade and finding.status is not S.DRAFT:
        raise Conflict("Change the grade with “Regrade”, which asks for a reason.")
    before = history.snapshot(finding, TRACKED)
    links_before = link_state(finding)
    _apply(finding, data, audit=finding.audit)
    history.changes(finding.id, before, history.snapshot(finding, TRACKED), actor=actor, reason=reason)
    history.changes(finding.id, links_before, link_state(finding), actor=actor, reason=reason, event="links")
    return finding


def regrade(finding: Finding, grade: str, *, rationale: str, actor: User, reason: str) -> Finding:
    """The reviewer changes the grade (with a reason); the rationale is updated with it."""
    if FindingParty.REVIEWER not in parties(actor, finding):
        raise NotAllowed("Only the lead auditor (or an administrator) regrades a finding.")
    if finding.is_final or finding.status in (S.PLAN_ACCEPTED, S.IMPLEMENTED, S.VERIFIED, S.REOPENED):
        raise Conflict(f"A finding that is {finding.status.label.lower()} is not regraded.")
    reason = clean(reason, field="reason", max_length=4000, required=True, multiline=True)
    if grades.entry(finding.programme, grade) is None:
        raise ValidationFailed.on("grade", "Choose a grade from the programme's scheme.")
    rationale = clean(rationale, field="grade_rationale", max_length=4000, multiline=True)
    if grade == finding.grade and rationale == finding.grade_rationale:
        raise ValidationFailed.on("grade", "That is the finding's grade already.")
    before = history.snapshot(finding, ("grade", "grade_rationale"))
    finding.grade = grade
    finding.grade_rationale = rationale or finding.grade_rationale
    history.changes(
        finding.id,
        before,
        history.snapshot(finding, ("grade", "grade_rationale")),
        actor=actor,
        event="regraded",
        reason=reason,
    )
    activity.record(actor, "finding.regraded", finding, grade=grade, reason=reason)
    return finding


def override_flag(finding: Finding, code: str, *, reason: str, actor: User) -> None:
    """Go ahead despite a quality flag, saying why (kept on the finding and in its history)."""
    blocker = edit_blocker(actor, finding)
    if blocker:
        raise NotAllowed(blocker)
    if code not in {f.code for f in quality.flags(finding)}:
        raise ValidationFailed.on("code", "There is no such flag on this finding.")
    reason = clean(reason, field="reason", max_length=2000, required=True, multiline=True)
    overrides = dict(finding.quality_overrides or {})
    old = overrides.get(code, "")
    overrides[code] = reason
    finding.quality_overrides = overrides
    history.add(finding.id, "override", actor=actor, field=f"flag:{code}", old=old, new=reason, reason=reason)


# --- applying the input -------------------------------------------------------------------------------------------


def link_state(finding: Finding) -> dict[str, list[Any]]:
    return {
        "clauses": sorted(finding.clause_refs),
        "evidence": sorted(e.id for e in finding.evidence),
        "items": sorted(r.id for r in finding.items),
        "samples": sorted(s.sample_id for s in finding.samples),
    }


def _evidenced(finding: Finding, data: FindingInput, evidence: list[Any] | None, samples: list[Any] | None) -> bool:
    """Whether a finding of an audit with this grade has the evidence link it needs (DOMAIN 2.7)."""
    entry = grades.entry(finding.programme, data.grade)
    if not (entry and entry.get("nonconformity")) and data.grade not in grades.EVIDENCED:
        return True
    cited = evidence if evidence is not None else finding.evidence
    sampled = samples if samples is not None else finding.samples
    return bool(cited) or bool(sampled)


def _apply(finding: Finding, data: FindingInput, *, audit: Audit | None) -> None:
    errors: dict[str, list[str]] = {}

    def check(name: str, call: Any) -> Any:
        try:
            return call()
        except ValidationFailed as exc:
            for key, messages in (exc.errors or {name: [str(exc)]}).items():
                errors.setdefault(key, []).extend(messages)
            return None

    texts = {
        name: check(
            name, lambda n=name, spec=spec: clean(getattr(data, n), field=n, max_length=spec[0], multiline=spec[1])
        )
        for name, spec in TEXT_FIELDS.items()
    }
    if grades.entry(finding.programme, data.grade) is None:
        errors.setdefault("grade", []).append("Choose a grade from the programme's scheme.")
    refs = (
        check("clause_refs", lambda: links.clause_refs(data.clause_refs, finding, audit))
        if data.clause_refs is not None
        else None
    )
    ai_system = check("ai_system_id", lambda: links.ai_system(data.ai_system_id, audit))
    location = check("location_unit_id", lambda: links.unit(data.location_unit_id, "location_unit_id"))
    auditee_unit = check("auditee_unit_id", lambda: links.unit(data.auditee_unit_id, "auditee_unit_id"))
    owner = check("process_owner_id", lambda: links.process_owner(data.process_owner_id))
    evidence = (
        check("evidence_ids", lambda: links.evidence_entries(data.evidence_ids, audit))
        if data.evidence_ids is not None
        else None
    )
    responses = (
        check("response_ids", lambda: links.responses(data.response_ids, audit))
        if data.response_ids is not None
        else None
    )
    samples = (
        check("sample_ids", lambda: links.samples(data.sample_ids, audit)) if data.sample_ids is not None else None
    )
    if audit is not None and not errors and not _evidenced(finding, data, evidence, samples):
        errors["evidence_ids"] = [
            "A nonconformity or observation needs at least one evidence link: cite an evidence entry or a sample."
        ]
    if errors:
        raise ValidationFailed("The finding was not saved: correct the fields marked.", errors)
    for name, value in texts.items():
        setattr(finding, name, value)
    finding.grade = data.grade
    finding.systemic = bool(data.systemic)
    finding.ai_system_id = ai_system.id if ai_system else None
    finding.location_unit_id = location.id if location else None
    finding.auditee_unit_id = auditee_unit.id if auditee_unit else None
    finding.process_owner_id = owner.id if owner else None
    if audit is None:
        finding.source = data.source
        finding.occurred_on = data.occurred_on
    if refs is not None:
        current = {c.ref: c for c in finding.clauses}
        finding.clauses = [current.get(ref) or FindingClause(ref=ref) for ref in refs]
    if evidence is not None:
        finding.evidence = evidence
    if responses is not None:
        finding.items = responses
    if samples is not None:
        kept = {s.sample_id: s for s in finding.samples}
        finding.samples = [kept.get(s.id) or sample_citations.link(s) for s in samples]
