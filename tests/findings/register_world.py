"""Shared data for the CAPA register tests: findings of two units in several states, and bulk rows for size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import (
    ActionStatus,
    Audit,
    CorrectiveAction,
    DueDate,
    DueStep,
    Finding,
    FindingClause,
    FindingSource,
    FindingStatus,
    RcaMethod,
    User,
    utcnow,
)
from audit_app.services.findings import capa, dues, flow
from tests.fixtures.findings import Findings, FindingsWorld

S = FindingStatus


@dataclass(frozen=True)
class RegisterWorld:
    issued: int  # minor NC of the unit, issued (acknowledge due in 2 business days), clause 4.1
    accepted: int  # minor NC of the unit, plan accepted (a planned action owned by the colleague), clause 4.1
    major: int  # major NC of the unit, acknowledged, clause 4.2
    closed: int  # minor NC of the unit, closed effective, clause 4.2
    draft: int  # a draft of the unit (never in an auditee's register)
    other: int  # minor NC of the other unit, plan accepted (its action owned by the stranger), clause 4.1
    other_draft: int


def build(world: FindingsWorld) -> RegisterWorld:
    """Inside an app context: the findings above, through the services, committed."""
    f = Findings(world)
    issued = f.to(f.draft("minor", title="Releases without impact assessment"), S.ISSUED)
    accepted = f.to(f.draft("minor", title="Monitoring thresholds undocumented"), S.PLAN_ACCEPTED)
    major = f.to(f.draft("major", title="No AI risk treatment plan", clause_refs=["4.2"]), S.ACKNOWLEDGED)
    closed = f.to(f.draft("minor", title="Training records missing", clause_refs=["4.2"]), S.CLOSED_EFFECTIVE)
    draft = f.draft("minor", title="Draft about supplier review")
    other = f.to(
        f.draft(
            "minor",
            title="Data lineage not recorded",
            auditee_unit_id=world.other_unit_id,
            process_owner_id=world.stranger_id,
        ),
        S.ISSUED,
    )
    _answer_as(other, world.stranger_id, world.lead_id)
    other_draft = f.draft(
        "minor", title="Other unit draft", auditee_unit_id=world.other_unit_id, process_owner_id=world.stranger_id
    )
    db.session.commit()
    return RegisterWorld(issued.id, accepted.id, major.id, closed.id, draft.id, other.id, other_draft.id)


def _answer_as(finding: Finding, owner_id: int, lead_id: int) -> None:
    """The other unit's auditee acknowledges and plans (one action of their own); the lead accepts the plan."""
    owner, lead = db.session.get(User, owner_id), db.session.get(User, lead_id)
    flow.act(finding, "acknowledge", actor=owner)
    capa.save_plan(
        finding,
        capa.PlanInput(
            correction="Lineage recorded for the three datasets.",
            rca_method=RcaMethod.FREE_TEXT,
            rca_analysis="The pipeline template had no lineage step.",
            root_cause="No lineage step in the pipeline template.",
            extent_check="All pipelines use the template: all fixed by the action.",
        ),
        actor=owner,
    )
    capa.add_action(
        finding,
        capa.ActionInput(
            description="Add a lineage step to the pipeline template.",
            owner_id=owner.id,
            due_on=dues.today() + timedelta(days=30),
        ),
        actor=owner,
    )
    flow.act(finding, "submit_plan", actor=owner)
    flow.act(finding, "accept_plan", actor=lead)
    db.session.flush()


def bulk(world: FindingsWorld, count: int, *, start: int = 1, actions_each: int = 3) -> None:
    """`count` issued nonconformities of the unit with actions and due dates, inserted directly (for size only)."""
    audit = db.session.get(Audit, world.audit_id)
    today = dues.today()
    for n in range(start, start + count):
        finding = Finding(
            audit_id=audit.id,
            programme_id=audit.programme_id,
            source=FindingSource.AUDIT,
            prefix="NC",
            number=100 + n,
            reference=f"{audit.reference}-NC-{100 + n}",
            title=f"Bulk finding {n}",
            grade="minor" if n % 2 else "major",
            requirement="r",
            statement="s",
            status=S.PLAN_ACCEPTED if n % 3 else S.ISSUED,
            auditee_unit_id=world.unit_id if n % 2 else world.other_unit_id,
            process_owner_id=world.auditee_id if n % 2 else world.stranger_id,
            raised_by_id=world.auditor_id,
            issued_at=utcnow() - timedelta(days=n),
            issued_by_id=world.lead_id,
            raised_at=utcnow() - timedelta(days=n),
        )
        finding.clauses = [FindingClause(ref="4.1"), FindingClause(ref="4.2")]
        db.session.add(finding)
        db.session.flush()
        for step in (DueStep.ACKNOWLEDGE, DueStep.IMPLEMENTATION):
            on = today - timedelta(days=n % 5)
            db.session.add(DueDate(finding_id=finding.id, step=step, due_on=on, original_due_on=on))
        for k in range(actions_each):
            db.session.add(
                CorrectiveAction(
                    finding_id=finding.id,
                    description=f"Action {k} of {n}",
                    owner_id=world.colleague_id,
                    due_on=today + timedelta(days=k - 1),
                    status=ActionStatus.PLANNED,
                )
            )
    db.session.commit()


def ids(rows: object) -> set[int]:
    return {r.finding.id for r in rows}  # type: ignore[attr-defined]


def finding(finding_id: int) -> Finding:
    found = db.session.scalar(sa.select(Finding).where(Finding.id == finding_id))
    assert found is not None
    return found
