"""The impartiality exception path for the lead auditor, and management users on a team (observers only)."""

from __future__ import annotations

import pytest

from audit_app.errors import ValidationFailed
from audit_app.extensions import db
from audit_app.models import Activity, AuditType, Role, TeamRole
from audit_app.services.planning import audits, team
from audit_app.services.planning.team import NotImpartial

JUSTIFIED = "Only certified lead auditor available this quarter; an external reviewer checks the report."


@pytest.fixture
def world(plan):
    credit = plan.unit("Credit Risk")
    lending = plan.unit("Retail Lending")
    lead = plan.user(Role.LEAD_AUDITOR, unit=credit, name="Lena Lead")
    audit = plan.audit(lead=lead)
    return {"audit": audit, "lead": lead, "credit": credit, "lending": lending}


def _lead_member(audit):
    return next(m for m in audit.team if m.role is TeamRole.LEAD_AUDITOR)


def test_scope_with_the_leads_unit_is_refused_and_says_how_to_proceed(plan, world):
    audit = world["audit"]
    with pytest.raises(ValidationFailed) as info:
        audits.set_scope(audit, unit_ids=[world["credit"].id], system_ids=[], actor=plan.admin)
    assert "Lena Lead belongs to Credit Risk, which is in the audit scope." in info.value.errors["scope"]
    assert "at least 20 characters" in info.value.errors["exception"][0]
    assert audit.scope_units == []


def test_the_lead_cannot_excuse_themselves_when_setting_the_scope(plan, world):
    audit = world["audit"]
    with pytest.raises(ValidationFailed) as info:
        audits.set_scope(audit, unit_ids=[world["credit"].id], system_ids=[], actor=world["lead"], exception=JUSTIFIED)
    assert "Nobody can record an impartiality exception for themselves" in info.value.errors["exception"][0]


def test_an_administrator_records_the_leads_exception_with_the_scope(plan, world):
    audit = world["audit"]
    audits.set_scope(audit, unit_ids=[world["credit"].id], system_ids=[], actor=plan.admin, exception=JUSTIFIED)
    member = _lead_member(audit)
    assert [u.name for u in audit.scope_units] == ["Credit Risk"]
    assert member.impartiality_exception == JUSTIFIED
    assert member.exception_recorded_by_id == plan.admin.id
    assert member.exception_recorded_at is not None
    # Setting the same scope again, now by the lead, needs nothing more.
    audits.set_scope(audit, unit_ids=[world["credit"].id, world["lending"].id], system_ids=[], actor=world["lead"])
    assert len(audit.scope_units) == 2


def test_an_exception_for_the_lead_on_the_team_page(plan, world):
    audit = world["audit"]
    audit.scope_units = [world["credit"]]  # e.g. the lead moved into Credit Risk after the scope was set
    assert [m.user_id for m, _ in team.excusable(audit)] == [world["lead"].id]
    with pytest.raises(ValidationFailed) as own:
        team.record_exception(audit, _lead_member(audit), JUSTIFIED, actor=world["lead"])
    assert "themselves" in own.value.errors["exception"][0]
    with pytest.raises(ValidationFailed) as short:
        team.record_exception(audit, _lead_member(audit), "ok", actor=plan.admin)
    assert "exception" in short.value.errors
    member = team.record_exception(audit, _lead_member(audit), JUSTIFIED, actor=plan.admin)
    assert member.impartiality_exception == JUSTIFIED
    assert member.exception_recorded_by_id == plan.admin.id
    assert team.excusable(audit) == [(member, ["Lena Lead belongs to Credit Risk, which is in the audit scope."])]
    assert db.session.query(Activity).filter_by(action="audit.exception_recorded").count() == 1


def test_no_exception_for_someone_who_is_impartial(plan, world):
    audit = world["audit"]
    audits.set_scope(audit, unit_ids=[world["lending"].id], system_ids=[], actor=plan.admin)
    with pytest.raises(ValidationFailed) as info:
        team.record_exception(audit, _lead_member(audit), JUSTIFIED, actor=plan.admin)
    assert "has no impartiality conflict" in info.value.errors["exception"][0]


def _details(audit, lead_id):
    return audits.AuditDetails(
        title=audit.title,
        audit_type=AuditType.INTERNAL,
        start_date=audit.start_date,
        end_date=audit.end_date,
        lead_auditor_id=lead_id,
    )


def test_changing_the_lead_honours_an_exception_already_held(plan, world):
    audit = world["audit"]
    audits.set_scope(audit, unit_ids=[world["lending"].id], system_ids=[], actor=plan.admin)
    insider = plan.user(Role.LEAD_AUDITOR, unit=world["lending"], name="Rolf Lender")
    team.add_member(audit, insider.id, TeamRole.AUDITOR, actor=world["lead"], exception=JUSTIFIED)
    audits.update_details(audit, _details(audit, insider.id), actor=plan.admin)
    assert audit.lead_auditor_id == insider.id
    member = _lead_member(audit)
    assert member.user_id == insider.id
    assert member.impartiality_exception == JUSTIFIED


def test_changing_the_lead_to_someone_not_impartial_needs_an_exception(plan, world):
    audit = world["audit"]
    audits.set_scope(audit, unit_ids=[world["lending"].id], system_ids=[], actor=plan.admin)
    insider = plan.user(Role.LEAD_AUDITOR, unit=world["lending"], name="Rolf Lender")
    with pytest.raises(NotImpartial):
        audits.update_details(audit, _details(audit, insider.id), actor=plan.admin)
    audits.update_details(audit, _details(audit, insider.id), actor=plan.admin, lead_exception=JUSTIFIED)
    assert _lead_member(audit).impartiality_exception == JUSTIFIED
    assert _lead_member(audit).exception_recorded_by_id == plan.admin.id


@pytest.mark.parametrize("role", [TeamRole.AUDITOR, TeamRole.TECHNICAL_EXPERT, TeamRole.AUDITOR_IN_TRAINING])
def test_management_users_join_only_as_observers(plan, world, role):
    audit = world["audit"]
    manager = plan.user(Role.VIEWER, name="Mona Manager")
    with pytest.raises(ValidationFailed) as info:
        team.add_member(audit, manager.id, role, actor=world["lead"])
    assert str(info.value) == "Management users join an audit team only as observers."
    assert info.value.errors["role"] == ["Mona Manager has a management (read-only) account: choose Observer."]
    assert team.add_member(audit, manager.id, TeamRole.OBSERVER, actor=world["lead"]).role is TeamRole.OBSERVER
