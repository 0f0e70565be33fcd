"""Impartiality per session and per function (ISO/IEC 42001 9.2.2): own unit, own process, own clause or control."""

from __future__ import annotations

from datetime import time

import pytest

from audit_app.errors import ValidationFailed
from audit_app.extensions import db
from audit_app.models import Activity, Role, SessionActivity, TeamRole, UnitKind
from audit_app.services.planning import agenda, audits, competence, team
from audit_app.services.planning.team import NotImpartial

JUSTIFIED = "Only person who can explain the scoring pipeline; a second auditor reviews every conclusion."


@pytest.fixture
def setup(plan):
    """An audit of Credit Risk (with its Loan origination process) and Data Science, with four auditors."""
    credit = plan.unit("Credit Risk")
    origination = plan.unit("Loan origination", kind=UnitKind.PROCESS, parent=credit)
    science = plan.unit("Data Science")
    audit_unit = plan.unit("Internal Audit")
    lead = plan.user(Role.LEAD_AUDITOR, unit=audit_unit, name="Lena Lead")
    audit = plan.audit(lead=lead)
    audits.set_scope(audit, unit_ids=[credit.id, science.id], system_ids=[], actor=plan.admin)
    items = plan.pin(audit, "6.1.2", "8.4", "9.2.1", "9.2.2", "A.5.2")
    auditor = plan.member(audit, plan.user(Role.AUDITOR, unit=audit_unit, name="Ida Auditor")).user
    return {
        "audit": audit,
        "lead": lead,
        "auditor": auditor,
        "credit": credit,
        "origination": origination,
        "science": science,
        "items": {i.ref: i for i in items},
    }


def _data(*, units=(), items=(), auditors=(), auditees=(), exception="", title="Risk interview"):
    return agenda.SessionData(
        day=None,
        start_time=time(9, 0),
        duration_minutes=60,
        activity=SessionActivity.INTERVIEW,
        title=title,
        item_ids=tuple(i.id for i in items),
        auditor_ids=tuple(u.id for u in auditors),
        auditee_ids=tuple(a.id for a in auditees),
        unit_ids=tuple(u.id for u in units),
        exception=exception,
    )


def _save(plan, audit, actor=None, session=None, **kwargs):
    data = _data(**kwargs)
    data = agenda.SessionData(**{**data.__dict__, "day": audit.start_date})
    saved = agenda.save_session(audit, data, actor=actor or plan.admin, session=session)
    db.session.flush()
    return saved


def _refused(plan, audit, **kwargs) -> list[str]:
    before = len(audit.sessions)
    with pytest.raises(NotImpartial) as info:
        _save(plan, audit, **kwargs)
    assert len(audit.sessions) == before
    return info.value.reasons


def test_an_auditor_interviewing_their_own_unit_is_refused(plan, setup):
    insider = plan.member(setup["audit"], plan.user(Role.AUDITOR, name="Sam Science"), TeamRole.AUDITOR).user
    insider.org_unit = setup["science"]  # moved to Data Science after joining
    reasons = _refused(plan, setup["audit"], units=[setup["science"]], auditors=[insider])
    assert reasons == ["Sam Science would interview their own unit: Data Science (Data Science)."]


def test_a_process_of_the_auditors_department_counts_as_their_own_unit(plan, setup):
    auditor = setup["auditor"]
    auditor.org_unit = setup["credit"]
    reasons = _refused(plan, setup["audit"], units=[setup["origination"]], auditors=[auditor])
    assert reasons == ["Ida Auditor would interview their own unit: Loan origination (Credit Risk)."]


def test_an_auditee_from_the_auditors_unit_counts_as_interviewing_it(plan, setup):
    audit, auditor = setup["audit"], setup["auditor"]
    auditor.org_unit = setup["science"]
    auditee = plan.auditee(audit, plan.user(Role.AUDITEE, unit=setup["science"], name="Dana Data"))
    reasons = _refused(plan, audit, auditees=[auditee], auditors=[auditor])
    assert "Ida Auditor would interview their own unit: Data Science" in reasons[0]


def test_the_programme_manager_auditing_internal_audit_is_refused(plan, setup):
    audit = setup["audit"]
    audit.programme.manager_id = setup["auditor"].id
    reasons = _refused(plan, audit, items=[setup["items"]["9.2.1"], setup["items"]["8.4"]], auditors=[setup["auditor"]])
    assert reasons == ["Ida Auditor manages the audit programme, so would audit their own work in 9.2.1."]


def test_the_author_of_the_risk_method_auditing_6_1_2_is_refused(plan, setup):
    audit, auditor = setup["audit"], setup["auditor"]
    competence.save_profile(auditor, competence.ProfileData(responsible_refs=("6.1.2",)), actor=plan.admin)
    reasons = _refused(plan, audit, items=[setup["items"]["6.1.2"]], auditors=[auditor])
    assert reasons == ["Ida Auditor is responsible for 6.1.2, so would audit their own work in 6.1.2."]
    # The same auditor may audit what they did not produce.
    assert _save(plan, audit, items=[setup["items"]["8.4"]], auditors=[auditor]).impartiality_exception == ""


def test_the_owner_of_a_process_auditing_it_is_refused(plan, setup):
    audit, auditor = setup["audit"], setup["auditor"]
    competence.save_profile(
        auditor, competence.ProfileData(responsible_unit_ids=(setup["origination"].id,)), actor=plan.admin
    )
    reasons = _refused(plan, audit, units=[setup["origination"]], auditors=[auditor])
    assert reasons == ["Ida Auditor owns or manages Loan origination, and the session covers Loan origination."]


def test_a_justified_exception_is_recorded_with_who_when_and_what_it_covers(plan, setup):
    audit, auditor = setup["audit"], setup["auditor"]
    competence.save_profile(auditor, competence.ProfileData(responsible_refs=("6.1.2",)), actor=plan.admin)
    session = _save(plan, audit, items=[setup["items"]["6.1.2"]], auditors=[auditor], exception=JUSTIFIED)
    assert session.impartiality_exception == JUSTIFIED
    assert session.exception_recorded_by_id == plan.admin.id
    assert session.exception_recorded_at is not None
    assert session.exception_covers == [f"{auditor.id}:ref:6.1.2"]
    assert not [c for c in agenda.conflicts_for(audit) if c.kind == "not_impartial"]
    assert db.session.query(Activity).filter_by(action="audit.session_exception").count() == 1

    # A change that adds a new threat needs a new exception; one that keeps the old threats does not.
    competence.save_profile(auditor, competence.ProfileData(responsible_refs=("6.1.2", "A.5.2")), actor=plan.admin)
    with pytest.raises(NotImpartial) as info:
        _save(
            plan, audit, session=session, items=[setup["items"]["6.1.2"], setup["items"]["A.5.2"]], auditors=[auditor]
        )
    assert info.value.reasons == ["Ida Auditor is responsible for A.5.2, so would audit their own work in A.5.2."]


def test_a_threat_that_appears_later_is_flagged_on_the_agenda(plan, setup):
    audit, auditor = setup["audit"], setup["auditor"]
    _save(plan, audit, items=[setup["items"]["6.1.2"]], auditors=[auditor], title="Risk method")
    competence.save_profile(auditor, competence.ProfileData(responsible_refs=("6.1",)), actor=plan.admin)
    flagged = [c for c in agenda.conflicts_for(audit) if c.kind == "not_impartial"]
    assert [c.message for c in flagged] == [
        f"Ida Auditor is responsible for 6.1, so would audit their own work in 6.1.2. "
        f"Session: Risk method ({audit.start_date:%d %b} 09:00)."
    ]


def test_the_exception_is_too_short_or_self_recorded(plan, setup):
    audit, auditor = setup["audit"], setup["auditor"]
    audit.programme.manager_id = setup["lead"].id
    with pytest.raises(ValidationFailed) as short:
        _save(plan, audit, items=[setup["items"]["9.2.2"]], auditors=[setup["lead"]], exception="because")
    assert "exception" in short.value.errors
    with pytest.raises(ValidationFailed) as own:
        _save(
            plan,
            audit,
            actor=setup["lead"],
            items=[setup["items"]["9.2.2"]],
            auditors=[setup["lead"]],
            exception=JUSTIFIED,
        )
    assert "Nobody can record an impartiality exception for themselves" in own.value.errors["exception"][0]
    assert auditor.id  # another auditor covers 9.2 without any exception
    assert _save(plan, audit, actor=setup["lead"], items=[setup["items"]["9.2.2"]], auditors=[auditor]).id


def test_an_audit_level_exception_covers_the_members_own_unit_in_sessions(plan, setup):
    audit = setup["audit"]
    insider = plan.user(Role.AUDITOR, unit=setup["science"], name="Sam Science")
    team.add_member(audit, insider.id, TeamRole.TECHNICAL_EXPERT, actor=setup["lead"], exception=JUSTIFIED)
    assert _save(plan, audit, units=[setup["science"]], auditors=[insider]).impartiality_exception == ""


def test_observers_are_not_bound_in_sessions(plan, setup):
    audit = setup["audit"]
    watcher = plan.member(audit, plan.user(Role.VIEWER, unit=setup["science"]), TeamRole.OBSERVER).user
    assert _save(plan, audit, units=[setup["science"]], auditors=[watcher]).id


def test_sessions_cover_only_units_in_the_scope(plan, setup):
    outside = plan.unit("Marketing")
    with pytest.raises(ValidationFailed) as info:
        _save(plan, setup["audit"], units=[outside])
    assert "unit_ids" in info.value.errors
    session = _save(plan, setup["audit"], units=[setup["origination"], setup["credit"]])
    assert {u.name for u in session.units} == {"Credit Risk", "Loan origination"}
