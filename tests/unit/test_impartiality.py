"""Impartiality (ISO/IEC 42001 9.2.2): refusals with reasons, justified exceptions, declarations."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from audit_app.errors import NotAllowed, ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    INDEPENDENCE_DECLARATION,
    Activity,
    AuditTeamMember,
    AuditType,
    Role,
    TeamRole,
    UnitKind,
    utcnow,
)
from audit_app.services.planning import audits, team
from audit_app.services.planning.team import NotImpartial

JUSTIFIED = "Only qualified model validator; she audits the data controls, not her own model."


@pytest.fixture
def org(plan):
    """A department with a process under it, a second department, and an AI system owned by the first."""
    risk = plan.unit("Risk Management")
    validation = plan.unit("Model Validation", kind=UnitKind.PROCESS, parent=risk)
    lending = plan.unit("Retail Lending")
    scorer = plan.system("Credit Scorer", owner=risk)
    return {"risk": risk, "validation": validation, "lending": lending, "scorer": scorer}


def _scoped_audit(plan, *, units=(), systems=()):
    audit = plan.audit(lead=plan.user(Role.LEAD_AUDITOR, name="Lena Lead"))
    audits.set_scope(audit, unit_ids=[u.id for u in units], system_ids=[s.id for s in systems], actor=plan.admin)
    return audit


def _refused(audit, user, role=TeamRole.AUDITOR) -> NotImpartial:
    before = len(audit.team)
    with pytest.raises(NotImpartial) as info:
        team.add_member(audit, user.id, role, actor=audit.lead_auditor)
    assert len(audit.team) == before
    assert not any(m.user_id == user.id for m in audit.team)
    assert "Record a justified exception to assign them anyway." in str(info.value)
    return info.value


def test_own_unit_in_scope_is_refused(plan, org):
    audit = _scoped_audit(plan, units=[org["lending"]])
    auditor = plan.user(Role.AUDITOR, unit=org["lending"], name="Lars Lender")
    exc = _refused(audit, auditor)
    assert exc.reasons == ["Lars Lender belongs to Retail Lending, which is in the audit scope."]


def test_auditor_whose_department_holds_a_scoped_process_is_refused(plan, org):
    audit = _scoped_audit(plan, units=[org["validation"]])
    auditor = plan.user(Role.AUDITOR, unit=org["risk"], name="Rita Risk")
    exc = _refused(audit, auditor)
    assert exc.reasons == [
        "Rita Risk belongs to Risk Management, and Model Validation (in the audit scope) is part of it."
    ]


def test_auditor_whose_unit_owns_a_scoped_system_is_refused(plan, org):
    audit = _scoped_audit(plan, systems=[org["scorer"]])
    auditor = plan.user(Role.AUDITOR, unit=org["risk"], name="Rita Risk")
    exc = _refused(audit, auditor, TeamRole.TECHNICAL_EXPERT)
    assert exc.reasons == ["Rita Risk's unit owns the AI system Credit Scorer, which is in the audit scope."]


def test_every_reason_is_given_at_once(plan, org):
    audit = _scoped_audit(plan, units=[org["risk"]], systems=[org["scorer"]])
    auditor = plan.user(Role.AUDITOR, unit=org["risk"], name="Rita Risk")
    exc = _refused(audit, auditor, TeamRole.AUDITOR_IN_TRAINING)
    assert len(exc.reasons) == 2
    assert "Risk Management" in exc.reasons[0]
    assert "Credit Scorer" in exc.reasons[1]


def test_impartial_people_join_freely(plan, org):
    audit = _scoped_audit(plan, units=[org["validation"]], systems=[org["scorer"]])
    outsider = plan.user(Role.AUDITOR, unit=org["lending"])
    no_unit = plan.user(Role.AUDITOR)  # a management account could join only as an observer (tested below)
    assert team.add_member(audit, outsider.id, TeamRole.AUDITOR, actor=audit.lead_auditor).impartiality_exception == ""
    team.add_member(audit, no_unit.id, TeamRole.TECHNICAL_EXPERT, actor=audit.lead_auditor)
    assert {m.user_id for m in audit.team} >= {outsider.id, no_unit.id}


def test_an_observer_is_not_bound(plan, org):
    audit = _scoped_audit(plan, units=[org["risk"]], systems=[org["scorer"]])
    insider = plan.user(Role.AUDITOR, unit=org["risk"])
    member = team.add_member(audit, insider.id, TeamRole.OBSERVER, actor=audit.lead_auditor)
    assert member.role is TeamRole.OBSERVER
    assert member.impartiality_exception == ""
    assert member.exception_recorded_by_id is None


def test_a_justified_exception_is_stored_with_who_and_when(plan, org):
    audit = _scoped_audit(plan, systems=[org["scorer"]])
    insider = plan.user(Role.AUDITOR, unit=org["risk"], name="Rita Risk")
    before = utcnow()
    member = team.add_member(audit, insider.id, TeamRole.AUDITOR, actor=audit.lead_auditor, exception=JUSTIFIED)
    db.session.commit()
    member = db.session.get(AuditTeamMember, member.id)
    assert member.impartiality_exception == JUSTIFIED
    assert member.exception_recorded_by_id == audit.lead_auditor_id
    assert before <= member.exception_recorded_at <= utcnow()
    entry = db.session.scalar(sa.select(Activity).where(Activity.action == "audit.team_added"))
    assert entry.details["exception"] == JUSTIFIED
    assert entry.details["conflicts"] == [
        "Rita Risk's unit owns the AI system Credit Scorer, which is in the audit scope."
    ]


def test_an_exception_for_an_impartial_person_is_not_stored(plan, org):
    audit = _scoped_audit(plan, systems=[org["scorer"]])
    outsider = plan.user(Role.AUDITOR, unit=org["lending"])
    member = team.add_member(audit, outsider.id, TeamRole.AUDITOR, actor=audit.lead_auditor, exception=JUSTIFIED)
    assert member.impartiality_exception == ""
    assert member.exception_recorded_at is None


@pytest.mark.parametrize("short", ["ok", "She is fine really"])
def test_a_too_short_exception_is_refused(plan, org, short):
    audit = _scoped_audit(plan, units=[org["risk"]])
    insider = plan.user(Role.AUDITOR, unit=org["risk"])
    with pytest.raises(ValidationFailed) as info:
        team.add_member(audit, insider.id, TeamRole.AUDITOR, actor=audit.lead_auditor, exception=short)
    assert "at least 20 characters" in info.value.errors["exception"][0]
    assert not any(m.user_id == insider.id for m in audit.team)


# ------------------------------------------------------------------ scope changes and the lead


def test_widening_the_scope_to_a_members_unit_is_refused_naming_them(plan, org):
    audit = _scoped_audit(plan, units=[org["lending"]])
    insider = plan.user(Role.AUDITOR, unit=org["risk"], name="Rita Risk")
    team.add_member(audit, insider.id, TeamRole.AUDITOR, actor=audit.lead_auditor)
    with pytest.raises(ValidationFailed) as info:
        audits.set_scope(
            audit,
            unit_ids=[org["lending"].id, org["validation"].id],
            system_ids=[org["scorer"].id],
            actor=audit.lead_auditor,
        )
    problems = info.value.errors["scope"]
    assert any(p.startswith("Rita Risk belongs to Risk Management") for p in problems)
    assert any(p.startswith("Rita Risk's unit owns the AI system Credit Scorer") for p in problems)
    assert [u.name for u in audit.scope_units] == ["Retail Lending"]
    assert audit.scope_systems == []


def test_widening_the_scope_keeps_an_exception_and_does_not_bind_an_observer(plan, org):
    """The insider's exception still covers the scorer; the observer's own unit may join the scope."""
    audit = _scoped_audit(plan, systems=[org["scorer"]])
    insider = plan.user(Role.AUDITOR, unit=org["risk"])
    observer = plan.user(Role.AUDITOR, unit=org["lending"])
    team.add_member(audit, insider.id, TeamRole.AUDITOR, actor=audit.lead_auditor, exception=JUSTIFIED)
    team.add_member(audit, observer.id, TeamRole.OBSERVER, actor=audit.lead_auditor)
    audits.set_scope(audit, unit_ids=[org["lending"].id], system_ids=[org["scorer"].id], actor=audit.lead_auditor)
    assert {u.name for u in audit.scope_units} == {"Retail Lending"}


def _details(audit, lead_id):
    return audits.AuditDetails(
        title=audit.title,
        audit_type=AuditType.INTERNAL,
        start_date=audit.start_date,
        end_date=audit.end_date,
        lead_auditor_id=lead_id,
    )


def test_a_non_impartial_lead_is_refused(plan, org):
    audit = _scoped_audit(plan, units=[org["validation"]])
    old_lead = audit.lead_auditor_id
    insider_lead = plan.user(Role.LEAD_AUDITOR, unit=org["risk"], name="Rolf Risklead")
    with pytest.raises(NotImpartial) as info:
        audits.update_details(audit, _details(audit, insider_lead.id), actor=plan.admin)
    assert "Rolf Risklead belongs to Risk Management" in info.value.reasons[0]
    assert audit.lead_auditor_id == old_lead
    assert [(m.user_id, m.role) for m in audit.team] == [(old_lead, TeamRole.LEAD_AUDITOR)]


def test_an_impartial_new_lead_takes_over_and_the_old_lead_stays_as_auditor(plan, org):
    audit = _scoped_audit(plan, units=[org["validation"]])
    old_lead = audit.lead_auditor_id
    new_lead = plan.user(Role.LEAD_AUDITOR, unit=org["lending"])
    audits.update_details(audit, _details(audit, new_lead.id), actor=plan.admin)
    assert audit.lead_auditor_id == new_lead.id
    assert {(m.user_id, m.role) for m in audit.team} == {
        (old_lead, TeamRole.AUDITOR),
        (new_lead.id, TeamRole.LEAD_AUDITOR),
    }


# ------------------------------------------------------------------ who may join


def test_auditees_cannot_join_the_team(plan, org):
    audit = _scoped_audit(plan)
    auditee = plan.user(Role.AUDITEE, unit=org["lending"])
    with pytest.raises(ValidationFailed) as info:
        team.add_member(audit, auditee.id, TeamRole.OBSERVER, actor=audit.lead_auditor)
    assert info.value.errors == {"user_id": ["Auditees cannot join the audit team."]}


def test_inactive_users_and_a_second_lead_cannot_join(plan):
    audit = _scoped_audit(plan)
    gone = plan.user(Role.AUDITOR, active=False)
    with pytest.raises(ValidationFailed, match="Choose an active auditor"):
        team.add_member(audit, gone.id, TeamRole.AUDITOR, actor=audit.lead_auditor)
    with pytest.raises(ValidationFailed) as info:
        team.add_member(audit, plan.user(Role.LEAD_AUDITOR).id, TeamRole.LEAD_AUDITOR, actor=audit.lead_auditor)
    assert "role" in info.value.errors
    assert len(audit.team) == 1


def test_a_duplicate_member_is_refused(plan):
    audit = _scoped_audit(plan)
    auditor = plan.user(Role.AUDITOR, name="Dora Double")
    team.add_member(audit, auditor.id, TeamRole.AUDITOR, actor=audit.lead_auditor)
    with pytest.raises(ValidationFailed) as info:
        team.add_member(audit, auditor.id, TeamRole.TECHNICAL_EXPERT, actor=audit.lead_auditor)
    assert info.value.errors == {"user_id": ["Dora Double is already on this audit team."]}
    assert sum(1 for m in audit.team if m.user_id == auditor.id) == 1


def test_only_the_lead_or_an_admin_manages_the_team(plan):
    audit = _scoped_audit(plan)
    auditor = plan.user(Role.AUDITOR)
    for outsider in (plan.user(Role.LEAD_AUDITOR), plan.user(Role.AUDITOR), plan.user(Role.VIEWER)):
        with pytest.raises(NotAllowed):
            team.add_member(audit, auditor.id, TeamRole.AUDITOR, actor=outsider)
    team.add_member(audit, auditor.id, TeamRole.AUDITOR, actor=plan.admin)


# ------------------------------------------------------------------ declarations


def test_confirm_declaration_stores_the_time_and_the_text_once(plan):
    audit = _scoped_audit(plan)
    auditor = plan.user(Role.AUDITOR)
    member = team.add_member(audit, auditor.id, TeamRole.AUDITOR, actor=audit.lead_auditor)
    assert not member.has_declared
    assert member.declaration_text == ""
    before = utcnow()
    confirmed = team.confirm_declaration(audit, actor=auditor)
    db.session.commit()
    assert confirmed is member
    assert member.has_declared
    assert before <= member.declaration_confirmed_at <= utcnow()
    assert member.declaration_text == INDEPENDENCE_DECLARATION
    first = member.declaration_confirmed_at
    team.confirm_declaration(audit, actor=auditor)  # idempotent
    db.session.commit()
    assert member.declaration_confirmed_at == first
    entries = db.session.scalars(sa.select(Activity).where(Activity.action == "audit.declaration_confirmed")).all()
    assert len(entries) == 1
    assert entries[0].actor_id == auditor.id


def test_only_members_confirm_a_declaration(plan):
    audit = _scoped_audit(plan)
    for outsider in (plan.user(Role.AUDITOR), plan.admin, plan.user(Role.VIEWER)):
        with pytest.raises(NotAllowed, match="Only members of the audit team"):
            team.confirm_declaration(audit, actor=outsider)
    assert [m.has_declared for m in audit.team] == [False]


def test_auditor_in_a_sub_unit_of_a_scope_unit_is_not_impartial(app_ctx):
    """A process owner's staff cannot audit the department their process belongs to."""
    from audit_app.extensions import db as _db
    from audit_app.models import OrgUnit as _Unit
    from audit_app.models import Role as _Role
    from audit_app.models import UnitKind as _Kind
    from audit_app.models import User as _User
    from audit_app.services.planning import impartiality as _imp

    department = _Unit(name="Risk Management", kind=_Kind.DEPARTMENT)
    process = _Unit(name="Model Validation", kind=_Kind.PROCESS, parent=department)
    other = _Unit(name="Internal Audit", kind=_Kind.DEPARTMENT)
    auditor = _User(email="mv@example.test", name="Val Idator", role=_Role.AUDITOR, org_unit=process)
    outsider = _User(email="ia@example.test", name="Ina Dit", role=_Role.AUDITOR, org_unit=other)
    _db.session.add_all([department, process, other, auditor, outsider])
    _db.session.flush()
    reasons = _imp.conflicts(auditor, [department], [])
    assert reasons == ["Val Idator belongs to Model Validation, which is part of Risk Management (in the audit scope)."]
    assert _imp.conflicts(outsider, [department], []) == []


def test_an_exception_does_not_cover_conflicts_that_a_later_scope_change_adds(app_ctx):
    """The justified exception was accepted for the conflicts of its time; a new one needs a new decision."""
    from datetime import date as _date

    from audit_app.errors import ValidationFailed as _Invalid
    from audit_app.extensions import db as _db
    from audit_app.models import AIRole as _AIRole
    from audit_app.models import AISystem as _System
    from audit_app.models import AuditType as _Type
    from audit_app.models import LifecycleStage as _Stage
    from audit_app.models import OrgUnit as _Unit
    from audit_app.models import RiskLevel as _Risk
    from audit_app.models import Role as _Role
    from audit_app.models import TeamRole as _TeamRole
    from audit_app.models import UnitKind as _Kind
    from audit_app.models import User as _User
    from audit_app.services.library import checklists as _checklists
    from audit_app.services.planning import audits as _audits
    from audit_app.services.planning import programmes as _programmes
    from audit_app.services.planning import team as _team

    version = _checklists.load_built_in()[0].version
    home = _Unit(name="Data Science", kind=_Kind.DEPARTMENT)
    other = _Unit(name="Credit Risk", kind=_Kind.DEPARTMENT)
    lead = _User(email="lead@x.test", name="Lead", role=_Role.LEAD_AUDITOR)
    expert = _User(email="ds@x.test", name="Dee Scientist", role=_Role.AUDITOR, org_unit=home)
    _db.session.add_all([home, other, lead, expert])
    _db.session.flush()
    model = _System(
        name="Scorer",
        purpose="p",
        roles=[_AIRole.DEVELOPER],
        risk_level=_Risk.HIGH,
        owner_unit_id=home.id,
        lifecycle_stage=_Stage.DEPLOYMENT,
    )
    _db.session.add(model)
    _db.session.flush()
    programme = _programmes.save_programme(
        _programmes.ProgrammeData("EXC", "Exceptions", _date(2026, 1, 1), _date(2026, 12, 31), version.id), actor=lead
    )
    audit = _audits.create_audit(
        programme,
        _audits.AuditDetails("Credit", _Type.INTERNAL, _date(2026, 5, 4), _date(2026, 5, 5), lead.id),
        actor=lead,
    )
    _db.session.flush()
    _audits.set_scope(audit, unit_ids=[other.id], system_ids=[model.id], actor=lead)
    _team.add_member(
        audit,
        expert.id,
        _TeamRole.TECHNICAL_EXPERT,
        actor=lead,
        exception="Only model developer able to explain the scorer; she will not judge conformity.",
    )
    _audits.set_scope(audit, unit_ids=[other.id], system_ids=[model.id], actor=lead)  # same scope: still fine
    with pytest.raises(_Invalid) as refused:
        _audits.set_scope(audit, unit_ids=[other.id, home.id], system_ids=[model.id], actor=lead)
    assert "Dee Scientist belongs to Data Science, which is in the audit scope." in refused.value.errors["scope"]
    assert [u.id for u in audit.scope_units] == [other.id]
