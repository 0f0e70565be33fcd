"""Demo findings: what the completed audit found, issued and answered, and a nonconformity from an incident.

The auditee account (Priya, Head of Credit Risk) sees the two findings issued to Credit Risk and the incident's
nonconformity, never Customer Operations' finding; one of hers is disputed and stays a diverging opinion at the
closing meeting, one has its corrective-action plan accepted and half implemented, the incident's waits for her plan.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import (
    Audit,
    ChecklistResponse,
    Evidence,
    Finding,
    FindingSource,
    OrgUnit,
    RcaMethod,
    Role,
    Sample,
    User,
)
from audit_app.services.findings import capa, disputes, flow, from_samples, records
from audit_app.services.findings.records import FindingInput


def _unit(name: str) -> int:
    return db.session.scalars(sa.select(OrgUnit.id).where(OrgUnit.name == name)).one()


def _response(audit: Audit, ref: str) -> ChecklistResponse:
    return next(
        r
        for r in db.session.scalars(sa.select(ChecklistResponse).where(ChecklistResponse.audit_id == audit.id))
        if r.item.ref == ref
    )


def _evidence(response: ChecklistResponse) -> list[int]:
    return list(db.session.scalars(sa.select(Evidence.id).where(Evidence.response_id == response.id)))


def _auditee() -> User:
    return db.session.scalars(sa.select(User).where(User.role == Role.AUDITEE).order_by(User.id)).one()


def run(audit: Audit, lead: User, auditor: User, today: date) -> list[Finding]:
    """Raise, review and issue the completed audit's findings during its fieldwork; the auditee answers some."""
    priya = _auditee()
    credit_risk = _unit("Credit Risk")
    sample = db.session.scalars(sa.select(Sample).where(Sample.audit_id == audit.id)).first()
    found: list[Finding] = []

    # NC-01: from the competence sample (7.2), systemic, so graded major.
    competence = from_samples.raise_as_finding(sample, actor=auditor) if sample is not None else None
    if competence is not None:
        data = FindingInput.of(competence)
        data.title = "AI role holders without competence records"
        data.requirement = (
            "People doing work that affects the AI management system must be competent, and the organisation must "
            "keep records that show it (7.2)."
        )
        data.statement = (
            "Two of the AI role holders sampled (EMP references in the sample) started in their AI role with no "
            "training or qualification record for the role's required competence."
        )
        data.auditee_unit_id = credit_risk
        data.process_owner_id = priya.id
        data.response_ids = [_response(audit, "7.2").id]
        records.update(competence, data, actor=auditor)
        found.append(competence)

    # NC-02: Ask Nora's retrieval corpus has no data resource record (A.4.3), per AI system.
    a43 = _response(audit, "A.4.3")
    nora = records.create_in_audit(
        audit,
        FindingInput(
            grade="minor",
            title="No data resource record for the Ask Nora help-article corpus",
            requirement="Data resources used by each AI system must be documented: origin, owner, currency, "
            "personal data (A.4.3).",
            statement="The help-article corpus the Ask Nora chatbot retrieves from has no data resource record.",
            evidence_summary="Interview with the Ask Nora product owner; the retrieval index configuration was shown "
            "on screen; the data catalogue holds records for CreditScore only.",
            grade_rationale="Isolated to one AI system; CreditScore's data resources are fully documented.",
            clause_refs=["A.4.3"],
            evidence_ids=_evidence(a43),
            response_ids=[a43.id],
            auditee_unit_id=_unit("Customer Operations"),
        ),
        actor=auditor,
    )
    found.append(nora)

    # OBS-01: policy awareness in Leeds (5.2), issued to Credit Risk and disputed by its head.
    r52 = _response(audit, "5.2")
    awareness = records.create_in_audit(
        audit,
        FindingInput(
            grade="observation",
            title="AI policy not known to contact-centre staff",
            requirement="The AI policy must be communicated within the organisation (5.2).",
            statement="Two contact-centre team members interviewed in Leeds could not say where the AI policy is "
            "published.",
            evidence_summary="Interview with the contact-centre team leader, Leeds, on the second audit day.",
            clause_refs=["5.2"],
            evidence_ids=_evidence(r52),
            response_ids=[r52.id],
            auditee_unit_id=credit_risk,
            process_owner_id=priya.id,
        ),
        actor=auditor,
    )
    found.append(awareness)

    # OFI-01: retention rules for model documentation (7.5.3).
    r753 = _response(audit, "7.5.3")
    retention = records.create_in_audit(
        audit,
        FindingInput(
            grade="ofi",
            title="Automatic retention for model documentation",
            statement="Retention rules set in the document management system would keep model documentation for "
            "the period the AIMS requires without manual clean-ups.",
            clause_refs=["7.5.3"],
            response_ids=[r753.id],
            auditee_unit_id=_unit("Risk and Compliance"),
        ),
        actor=auditor,
    )
    found.append(retention)

    for finding in found:
        flow.act(finding, "submit", actor=auditor)
        flow.act(finding, "issue", actor=lead)
    db.session.flush()

    disputes.dispute(
        awareness,
        reason="The staff interviewed in Leeds belong to Customer Operations, not Credit Risk; Credit Risk staff were "
        "all briefed on the policy in September.",
        actor=priya,
    )
    if competence is not None:
        _answer(competence, priya, lead, today)
    found.append(_incident(priya, lead, auditor, today))
    return found


def _answer(finding: Finding, owner: User, lead: User, today: date) -> None:
    """Acknowledged, plan accepted, first action implemented, second still planned."""
    flow.act(finding, "acknowledge", actor=owner)
    capa.save_plan(
        finding,
        capa.PlanInput(
            correction="Both validators completed the AI risk course; certificates filed in the learning system.",
            rca_method=RcaMethod.FIVE_WHYS,
            rca_analysis="1. Why no record? They never took the course.\n2. Why? Nobody asked them to.\n"
            "3. Why? Onboarding assigns the course only to new hires.\n4. Why? Internal transfers skip onboarding.\n"
            "5. Why? The transfer checklist predates the AI roles.",
            root_cause="The internal-transfer checklist does not assign the AI role's required training.",
            extent_check="All 40 AI role holders checked against training records: the same gap affects one more "
            "transferee in Data Science (now trained). The fraud team's roles use the same checklist.",
        ),
        actor=owner,
    )
    for description, days in (
        ("Add the AI role training to the internal-transfer checklist.", 30),
        ("Quarterly reconciliation of AI role holders against training records.", 75),
    ):
        capa.add_action(finding, capa.ActionInput(description, owner.id, today + timedelta(days=days)), actor=owner)
    flow.act(finding, "submit_plan", actor=owner)
    flow.act(finding, "accept_plan", actor=lead)
    capa.record_implementation(
        finding.actions[0],
        note="Transfer checklist v3 published on the HR intranet; change HR-CHG-118.",
        actor=owner,
    )


def _incident(owner: User, lead: User, auditor: User, today: date) -> Finding:
    """A nonconformity from an incident, outside any audit (10.2), acknowledged and waiting for its plan."""
    finding = records.create_outside_audit(
        FindingInput(
            grade="minor",
            source=FindingSource.INCIDENT,
            source_reference="INC-2291",
            occurred_on=today - timedelta(days=12),
            title="CreditScore released without an impact re-assessment",
            requirement="A change to an AI system that can affect individuals needs its impact assessment reviewed "
            "before release (6.1.4).",
            statement="CreditScore 4.2 went live after a change to its input data pipeline with no review of its "
            "impact assessment AISIA-2025-001.",
            evidence_summary="Incident INC-2291 report; release note of CreditScore 4.2; AISIA-2025-001 last "
            "reviewed before the change.",
            grade_rationale="Isolated: the only release since the pipeline change; the decision process still works.",
            clause_refs=["6.1.4"],
            auditee_unit_id=_unit("Credit Risk"),
            process_owner_id=owner.id,
        ),
        actor=auditor,
    )
    flow.act(finding, "submit", actor=auditor)
    flow.act(finding, "issue", actor=lead)
    flow.act(finding, "acknowledge", actor=owner)
    return finding
