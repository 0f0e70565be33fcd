"""Transition tables drive exhaustive tests: every (state, action, person) is tried.

For each life cycle the table itself says what is allowed: an allowed move succeeds and is recorded with
who and when; everything else is refused with a reason and changes nothing (state, history, rows). The
people cover every way of standing towards an audit: administrator, the audit's lead, another lead auditor,
an auditor on the team, an observer, an auditor off the team, management and an auditee.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from audit_app.errors import ChangedMeanwhile, Conflict, DomainError, InvalidTransition, NotAllowed
from audit_app.extensions import db
from audit_app.models import (
    Activity,
    Audit,
    AuditProgramme,
    AuditStatus,
    AuditTransition,
    ProgrammeStatus,
    Role,
    Sample,
    SampleItem,
    SampleItemResult,
    SampleStatus,
    TeamRole,
    User,
    utcnow,
)
from audit_app.services import access
from audit_app.services.planning import lifecycle, programmes
from audit_app.services.sampling import samples
from audit_app.services.sampling.lifecycle import SAMPLE_LIFECYCLE
from audit_app.workflow import Workflow, move
from tests.fixtures.conclusions import conclude
from tests.fixtures.sampling import make_sample, sized

PEOPLE = ("admin", "lead", "other_lead", "team_auditor", "observer", "outside_auditor", "viewer", "auditee")


def _people(plan, audit: Audit) -> dict[str, User]:
    people = {
        "admin": plan.admin,
        "lead": audit.lead_auditor,
        "other_lead": plan.member(audit, plan.user(Role.LEAD_AUDITOR)).user,
        "team_auditor": plan.member(audit, plan.user(Role.AUDITOR)).user,
        "observer": plan.member(audit, plan.user(Role.VIEWER), role=TeamRole.OBSERVER).user,
        "outside_auditor": plan.user(Role.AUDITOR),
        "viewer": plan.user(Role.VIEWER),
        "auditee": plan.user(Role.AUDITEE),
    }
    plan.auditee(audit, people["auditee"])
    return people


def _activities(subject: str, subject_id: int) -> list[Activity]:
    stmt = sa.select(Activity).where(Activity.subject_type == subject, Activity.subject_id == subject_id)
    return list(db.session.scalars(stmt))


def _history(audit_id: int) -> list[AuditTransition]:
    return list(db.session.scalars(sa.select(AuditTransition).where(AuditTransition.audit_id == audit_id)))


def _items(sample_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(SampleItem.sample_id == sample_id)) or 0


@dataclass(frozen=True)
class Case:
    state: enum.Enum
    action: str
    person: str


def _cases(workflow: Workflow) -> list[Case]:
    return [Case(s, a, p) for s in workflow.states for a in workflow.actions for p in PEOPLE]


# --- audits -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", list(AuditStatus), ids=lambda s: s.value)
def test_every_audit_move_for_every_person(plan, state):
    lead = plan.user(Role.LEAD_AUDITOR)
    audit_id = plan.ready(plan.audit(lead=lead), AuditStatus.PLANNED).id
    people = _people(plan, db.session.get(Audit, audit_id))
    plan.declare_all(db.session.get(Audit, audit_id))  # every gate holds: only the table and the person decide
    db.session.get(Audit, audit_id).status = state
    if state is AuditStatus.FIELDWORK:  # the reporting gate: every item concluded, the team conference recorded
        conclude(db.session.get(Audit, audit_id), lead)
    db.session.commit()
    tried = succeeded = 0
    for action in lifecycle.AUDIT_LIFECYCLE.actions:
        for name in PEOPLE:
            audit, actor = db.session.get(Audit, audit_id), db.session.get(User, people[name].id)
            row = lifecycle.AUDIT_LIFECYCLE.find(state, action)
            allowed = row is not None and bool(row.roles & access.parties(actor, audit))
            target = AuditStatus(action)
            before = utcnow()
            if allowed:
                record = lifecycle.transition(
                    audit, target, actor=actor, reason="Tested reason.", confirm_warnings=True
                )
                db.session.flush()
                assert audit.status is target
                assert (record.from_status, record.to_status, record.actor_id) == (state, target, actor.id)
                assert record.created_at >= before
                (entry,) = [a for a in _activities("Audit", audit_id) if a.action == "audit.status_changed"]
                assert entry.actor_id == actor.id
                succeeded += 1
            else:
                with pytest.raises(DomainError) as refused:
                    lifecycle.transition(audit, target, actor=actor, reason="Tested reason.")
                assert isinstance(refused.value, NotAllowed | InvalidTransition)
                assert str(refused.value)
                db.session.flush()
                assert audit.status is state
                assert (
                    db.session.scalars(sa.select(AuditTransition).where(AuditTransition.audit_id == audit_id)).all()
                    == []
                )
            db.session.rollback()
            tried += 1
    assert tried == len(lifecycle.AUDIT_LIFECYCLE.actions) * len(PEOPLE)
    # Each move out of this state was made by exactly the administrator and the audit's lead.
    assert succeeded == 2 * len(lifecycle.AUDIT_LIFECYCLE.from_state(state))


# --- samples ------------------------------------------------------------------------------------------------


def _sample_in(plan, state: SampleStatus) -> tuple[int, dict[str, User]]:
    """A sample of an audit in fieldwork, in `state`, with the next move's gate satisfied; committed."""
    audit = plan.ready(plan.audit(lead=plan.user(Role.LEAD_AUDITOR)), AuditStatus.FIELDWORK)
    people = _people(plan, audit)
    worker = people["team_auditor"]
    sample = sized(make_sample(audit, worker), worker)
    if state is not SampleStatus.DRAFT:
        samples.draw(sample, actor=worker, seed=11)
        for item in list(sample.items):
            samples.record_result(item, SampleItemResult.CONFORMING, actor=worker)
    if state is SampleStatus.EVALUATED:
        samples.evaluate(sample, actor=worker)
    db.session.commit()
    return sample.id, people


def _run_sample_action(sample: Sample, action: str, actor: User) -> None:
    if action == "draw":
        samples.draw(sample, actor=actor, seed=5)
    else:
        samples.evaluate(sample, actor=actor)


@pytest.mark.parametrize("state", list(SampleStatus), ids=lambda s: s.value)
def test_every_sample_move_for_every_person(plan, state):
    sample_id, people = _sample_in(plan, state)
    recorded = {"draw": "sample.drawn", "evaluate": "sample.evaluated"}
    succeeded = 0
    for case in [c for c in _cases(SAMPLE_LIFECYCLE) if c.state is state]:
        sample, actor = db.session.get(Sample, sample_id), db.session.get(User, people[case.person].id)
        items_before = _items(sample_id)
        trail_before = len(_activities("Sample", sample_id))
        row = SAMPLE_LIFECYCLE.find(state, case.action)
        allowed = (
            row is not None
            and access.may(actor, sample.audit, access.Need.WORK)
            and bool(row.roles & access.parties(actor, sample.audit))
        )
        if allowed:
            _run_sample_action(sample, case.action, actor)
            db.session.flush()
            assert sample.status is row.target
            entries = [a for a in _activities("Sample", sample_id) if a.action == recorded[case.action]]
            assert entries[-1].actor_id == actor.id
            succeeded += 1
        else:
            with pytest.raises(DomainError) as refused:
                _run_sample_action(sample, case.action, actor)
            assert isinstance(refused.value, NotAllowed | Conflict), case
            assert str(refused.value)
            db.session.flush()
            assert sample.status is state
            assert len(_activities("Sample", sample_id)) == trail_before
            assert (
                db.session.scalar(sa.select(sa.func.count()).where(SampleItem.sample_id == sample_id)) == items_before
            )
        db.session.rollback()
    # Those on the team with an auditing role move a sample (the lead, the auditor, and the other lead auditor
    # who sits on this team as an auditor); nobody else does: not the observer, not even an administrator.
    assert succeeded == 3 * len(SAMPLE_LIFECYCLE.from_state(state))


# --- programmes -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", list(ProgrammeStatus), ids=lambda s: s.value)
def test_every_programme_move_for_every_account_role(plan, state):
    programme = plan.programme("2026")
    programme.status = state
    people = {role: plan.user(role) for role in Role}
    db.session.commit()
    succeeded = 0
    for action in programmes.PROGRAMME_LIFECYCLE.actions:
        target = ProgrammeStatus(action)
        if target is state:
            continue  # saving a programme without changing its status is no move
        for role, person in people.items():
            programme = db.session.get(AuditProgramme, programme.id)
            actor = db.session.get(User, person.id)
            data = programmes.ProgrammeData(
                programme.code,
                programme.title,
                programme.period_start,
                programme.period_end,
                programme.checklist_version_id,
                status=target,
                closing_reason="Tested reason: the programme holds no audit.",  # closing short of its extent
            )
            row = programmes.PROGRAMME_LIFECYCLE.find(state, action)
            trail_before = len(_activities("AuditProgramme", programme.id))
            if row is not None and role.value in row.roles:
                programmes.save_programme(data, actor=actor, programme=programme)
                db.session.flush()
                assert programme.status is target
                entries = [
                    a for a in _activities("AuditProgramme", programme.id) if a.action.endswith("status_changed")
                ]
                assert (entries[-1].actor_id, entries[-1].details) == (
                    actor.id,
                    {"source": state.value, "target": target.value},
                )
                closures = programmes.closures(programme)
                assert [(c.closed_by_id, c.reason) for c in closures] == (
                    [(actor.id, data.closing_reason)] if target is ProgrammeStatus.CLOSED else []
                )
                succeeded += 1
            else:
                with pytest.raises((NotAllowed, InvalidTransition)) as refused:
                    programmes.save_programme(data, actor=actor, programme=programme)
                assert str(refused.value)
                db.session.flush()
                assert programme.status is state
                assert len(_activities("AuditProgramme", programme.id)) == trail_before
            db.session.rollback()
    # Administrators and lead auditors make each move the table allows from this state; nobody else does.
    assert succeeded == 2 * len(programmes.PROGRAMME_LIFECYCLE.from_state(state))


# --- the helper itself --------------------------------------------------------------------------------------


class Light(enum.StrEnum):
    RED = "red"
    GREEN = "green"


def test_a_table_with_two_rows_for_one_state_and_action_is_refused():
    with pytest.raises(ValueError, match="two rows"):
        Workflow(
            "light",
            [move(Light.RED, "go", Light.GREEN, roles={"a"}), move(Light.RED, "go", Light.RED, roles={"a"})],
            states=Light,
        )


def test_a_move_that_lost_a_race_changes_nothing(plan):
    audit = plan.ready(plan.audit(), AuditStatus.PLANNED)
    db.session.commit()
    # Another request moves the audit on after this one loaded it (the row changes underneath).
    with db.engine.begin() as other:
        other.execute(sa.update(Audit).where(Audit.id == audit.id).values(status=AuditStatus.PREPARATION))
    assert audit.status is AuditStatus.PLANNED  # what this request still believes
    with pytest.raises(ChangedMeanwhile, match="changed state while you were working"):
        lifecycle.transition(audit, AuditStatus.CANCELLED, actor=audit.lead_auditor, reason="Budget.")
    db.session.rollback()
    assert db.session.get(Audit, audit.id).status is AuditStatus.PREPARATION
    assert _history(audit.id) == []
