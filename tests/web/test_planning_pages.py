"""Planning pages, part 1: the audit team (impartiality, exceptions, declarations) and auditee representatives.

The `plan` fixture and the helpers here are imported by the other test_planning_* modules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time

import pytest
import sqlalchemy as sa
from flask import Flask

from audit_app.extensions import db
from audit_app.models import (
    AIRole,
    Audit,
    AuditStatus,
    ChecklistItem,
    LifecycleStage,
    MeetingKind,
    RiskLevel,
    Role,
    SessionActivity,
    TeamRole,
    User,
)
from audit_app.services import org
from audit_app.services.planning import agenda, audits, lifecycle, meetings, programmes, team

EXCEPTION = "Only specialist in credit models; the lead reviews every conclusion she draws."


NAMES = {
    "lead_id": "Lena Lead",
    "impartial_id": "Ian Impartial",
    "credit_auditor_id": "Carla Credit",
    "modelops_auditor_id": "Mo Modelops",
    "other_lead_id": "Otto Other",
    "auditee_id": "Ada Auditee",
}


@dataclass(frozen=True)
class Plan:
    audit_id: int
    lead_id: int
    impartial_id: int  # an auditor from a unit outside the scope
    credit_auditor_id: int  # belongs to Credit Risk, a unit in the scope
    modelops_auditor_id: int  # belongs to Model Ops, whose AI system is in the scope
    other_lead_id: int  # a lead auditor, but not of this audit
    auditee_id: int  # an auditee account from Credit Risk (not yet a representative)
    credit_unit_id: int
    item_ids: tuple[int, int]
    item_refs: tuple[str, str]


@pytest.fixture(name="plan")
def plan_fixture(app: Flask, library: int, make_unit: Callable[..., int]) -> Plan:
    """An audit of Credit Risk and a Model Ops AI system, 1 to 3 June 2026, with two clauses in scope."""
    credit, modelops, audit_unit = make_unit("Credit Risk"), make_unit("Model Ops"), make_unit("Internal Audit")
    people = {  # key: (role, unit); accounts without passwords (tests sign in through the session)
        "admin_id": (Role.ADMIN, None),
        "lead_id": (Role.LEAD_AUDITOR, None),
        "impartial_id": (Role.AUDITOR, audit_unit),
        "credit_auditor_id": (Role.AUDITOR, credit),
        "modelops_auditor_id": (Role.AUDITOR, modelops),
        "other_lead_id": (Role.LEAD_AUDITOR, None),
        "auditee_id": (Role.AUDITEE, credit),
    }
    with app.app_context():
        users = {
            key: User(email=f"{key}@plan.test", name=NAMES.get(key, "Alex Admin"), role=role, org_unit_id=unit)
            for key, (role, unit) in people.items()
        }
        db.session.add_all(users.values())
        db.session.flush()
        ids = {key: user.id for key, user in users.items() if key != "admin_id"}
        admin, lead = users["admin_id"], users["lead_id"]
        system = org.save_system(
            org.SystemData(
                "Credit scorer",
                "Scores loan applications.",
                AIRole.DEVELOPER,
                RiskLevel.HIGH,
                modelops,
                LifecycleStage.OPERATION_MONITORING,
            ),
            actor=admin,
        )
        programme = programmes.save_programme(
            programmes.ProgrammeData("2026", "Internal audits 2026", date(2026, 1, 1), date(2026, 12, 31), library),
            actor=lead,
        )
        audit = audits.create_audit(
            programme,
            audits.AuditDetails(
                "Credit models", audits.AuditType.INTERNAL, date(2026, 6, 1), date(2026, 6, 3), lead.id
            ),
            actor=lead,
        )
        db.session.flush()
        audits.set_scope(audit, unit_ids=[credit], system_ids=[system.id], actor=lead)
        items = list(
            db.session.scalars(
                sa.select(ChecklistItem)
                .where(ChecklistItem.version_id == library, ChecklistItem.auditable.is_(True))
                .order_by(ChecklistItem.position)
                .limit(2)
            )
        )
        audits.set_criteria(audit, version_ids=[library], item_ids=[i.id for i in items], other_criteria="", actor=lead)
        db.session.commit()
        return Plan(
            audit_id=audit.id,
            credit_unit_id=credit,
            item_ids=(items[0].id, items[1].id),
            item_refs=(items[0].ref, items[1].ref),
            **ids,
        )


def run(app: Flask, action: Callable[[Audit, Callable[[int], User]], object], audit_id: int) -> None:
    """Change the audit through the services (as another request would) and commit."""
    with app.app_context():
        audit = db.session.get(Audit, audit_id)
        action(audit, lambda user_id: db.session.get(User, user_id))
        db.session.commit()


def add_member(app: Flask, plan: Plan, user_id: int, role: TeamRole = TeamRole.AUDITOR) -> int:
    with app.app_context():
        audit = db.session.get(Audit, plan.audit_id)
        member = team.add_member(audit, user_id, role, actor=db.session.get(User, plan.lead_id))
        db.session.commit()
        return member.id


def to_fieldwork(app: Flask, plan: Plan) -> None:
    """Meet the gates (declarations, a session covering the scope) and move the audit to fieldwork."""

    def _go(audit: Audit, user: Callable[[int], User]) -> None:
        lead = user(plan.lead_id)
        for member in list(audit.team):
            team.confirm_declaration(audit, actor=member.user)
        agenda.save_session(
            audit,
            agenda.SessionData(
                date(2026, 6, 1), time(9, 0), 60, SessionActivity.OPENING_MEETING, "Opening", item_ids=plan.item_ids
            ),
            actor=lead,
        )
        lifecycle.transition(audit, AuditStatus.PREPARATION, actor=lead)
        lifecycle.transition(audit, AuditStatus.FIELDWORK, actor=lead)

    run(app, _go, plan.audit_id)


def to_reporting(app: Flask, plan: Plan) -> None:
    """Fieldwork, both meetings recorded, then reporting (which freezes the team and the agenda)."""
    to_fieldwork(app, plan)

    def _go(audit: Audit, user: Callable[[int], User]) -> None:
        lead = user(plan.lead_id)
        held = datetime.combine(audit.start_date, time(9, 0))
        for kind in MeetingKind:
            meetings.record_meeting(audit, kind, meetings.MeetingData(held, "Everyone"), actor=lead)
        lifecycle.transition(audit, AuditStatus.REPORTING, actor=lead)

    run(app, _go, plan.audit_id)


def team_rows(app: Flask, audit_id: int) -> dict[int, tuple[TeamRole, str, bool]]:
    """user id -> (team role, impartiality exception, declared?)."""
    with app.app_context():
        audit = db.session.get(Audit, audit_id)
        return {m.user_id: (m.role, m.impartiality_exception, m.has_declared) for m in audit.team}


def auditee_rows(app: Flask, audit_id: int) -> list[tuple[str, int | None, str]]:
    with app.app_context():
        return [(a.name, a.user_id, a.position) for a in db.session.get(Audit, audit_id).auditees]


def team_url(plan: Plan) -> str:
    return f"/audits/{plan.audit_id}/team"


def test_lead_adds_an_impartial_member(client, app, login, plan):
    login(plan.lead_id)
    page = client.get(team_url(plan)).get_data(as_text=True)
    assert "I declare that I am independent" in page  # the declaration each member confirms
    assert "Ian Impartial (Internal auditor)</option>" in page
    assert "Carla Credit (Internal auditor) (not impartial: Carla Credit belongs to Credit Risk" in page
    assert (
        "Mo Modelops (Internal auditor) (not impartial: Mo Modelops&#39;s unit owns the AI system Credit scorer" in page
    )
    assert '<option value="lead_auditor"' not in page  # the lead is changed in the audit details

    response = client.post(team_url(plan), data={"user_id": str(plan.impartial_id), "role": "auditor"})
    assert response.status_code == 302
    assert team_rows(app, plan.audit_id)[plan.impartial_id] == (TeamRole.AUDITOR, "", False)
    page = client.get(team_url(plan)).get_data(as_text=True)
    assert "Ian Impartial added to the team as auditor." in page
    row = page.split('<th scope="row">Ian Impartial</th>')[1].split("</tr>")[0]
    assert "Internal auditor" in row
    assert "Auditor" in row
    assert "Not confirmed yet" in row
    assert "Remove Ian Impartial" in row


@pytest.mark.parametrize(
    ("who", "reason"),
    [
        ("credit_auditor_id", "Carla Credit belongs to Credit Risk, which is in the audit scope."),
        (
            "modelops_auditor_id",
            "Mo Modelops&#39;s unit owns the AI system Credit scorer, which is in the audit scope.",
        ),
    ],
)
def test_member_who_is_not_impartial_is_refused_with_the_reason(client, app, login, plan, who, reason):
    login(plan.lead_id)
    user_id = getattr(plan, who)
    response = client.post(team_url(plan), data={"user_id": str(user_id), "role": "technical_expert"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Not added: this person would not be impartial" in page
    assert reason in page
    assert "justified exception (at least 20 characters" in page
    assert f'<option selected value="{user_id}">' in page  # what was typed is kept
    assert '<option selected value="technical_expert">' in page
    assert user_id not in team_rows(app, plan.audit_id)


def test_a_justified_exception_assigns_the_member_and_is_shown(client, app, login, plan):
    login(plan.lead_id)
    data = {"user_id": str(plan.credit_auditor_id), "role": "auditor", "exception": EXCEPTION}
    assert client.post(team_url(plan), data=data).status_code == 302
    assert team_rows(app, plan.audit_id)[plan.credit_auditor_id] == (TeamRole.AUDITOR, EXCEPTION, False)
    page = client.get(team_url(plan)).get_data(as_text=True)
    row = page.split('<th scope="row">Carla Credit</th>')[1].split("</tr>")[0]
    assert "! Exception" in row
    assert EXCEPTION in row
    assert "Recorded by Lena Lead on" in row


def test_a_too_short_exception_is_refused(client, app, login, plan, field_errors):
    login(plan.lead_id)
    data = {"user_id": str(plan.credit_auditor_id), "role": "auditor", "exception": "I trust her."}
    response = client.post(team_url(plan), data=data)
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True), "exception") == [
        "Say why the assignment is justified and how objectivity is protected (at least 20 characters)."
    ]
    assert plan.credit_auditor_id not in team_rows(app, plan.audit_id)


def test_empty_member_form_is_refused(client, app, login, plan, field_errors):
    login(plan.lead_id)
    response = client.post(team_url(plan), data={"user_id": "", "role": "auditor"})
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True), "user_id") == ["Choose a person."]
    assert list(team_rows(app, plan.audit_id)) == [plan.lead_id]


def test_lead_removes_a_member_but_not_the_lead(client, app, login, plan):
    member_id = add_member(app, plan, plan.impartial_id)
    login(plan.lead_id)
    response = client.post(f"/audits/{plan.audit_id}/team/{member_id}/remove")
    assert response.status_code == 302
    assert plan.impartial_id not in team_rows(app, plan.audit_id)
    assert client.post(f"/audits/{plan.audit_id}/team/{member_id}/remove").status_code == 404

    with app.app_context():
        lead_member = db.session.get(Audit, plan.audit_id).team[0].id
    response = client.post(f"/audits/{plan.audit_id}/team/{lead_member}/remove")
    assert response.status_code == 400
    assert "The lead auditor stays on the team." in response.get_data(as_text=True)
    assert plan.lead_id in team_rows(app, plan.audit_id)


def test_auditee_account_and_named_auditee_are_added_and_removed(client, app, login, plan, field_errors):
    login(plan.lead_id)
    url = f"/audits/{plan.audit_id}/auditees"
    page = client.get(team_url(plan)).get_data(as_text=True)
    assert f'<option value="{plan.auditee_id}">Ada Auditee (Credit Risk)</option>' in page

    assert (
        client.post(url, data={"auditee-user_id": str(plan.auditee_id), "auditee-position": "Head"}).status_code == 302
    )
    named = {
        "auditee-user_id": "",
        "auditee-name": "Bob Byrne",
        "auditee-position": "Model owner",
        "auditee-org_unit_id": str(plan.credit_unit_id),
    }
    assert client.post(url, data=named).status_code == 302
    assert auditee_rows(app, plan.audit_id) == [
        ("Ada Auditee", plan.auditee_id, "Head"),
        ("Bob Byrne", None, "Model owner"),
    ]
    page = client.get(team_url(plan)).get_data(as_text=True)
    bob = page.split('<th scope="row">Bob Byrne</th>')[1].split("</tr>")[0]
    assert "Model owner" in bob
    assert "Credit Risk" in bob
    assert "No account" in bob
    ada = page.split('<th scope="row">Ada Auditee</th>')[1].split("</tr>")[0]
    assert "Has an account" in ada

    response = client.post(url, data={"auditee-user_id": "", "auditee-name": ""})
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True), "auditee-name") == ["This field is required."]

    with app.app_context():
        ids = [a.id for a in db.session.get(Audit, plan.audit_id).auditees]
    for auditee_id in ids:
        assert client.post(f"{url}/{auditee_id}/remove").status_code == 302
    assert auditee_rows(app, plan.audit_id) == []
    assert client.post(f"{url}/{ids[0]}/remove").status_code == 404


def test_member_confirms_their_declaration(client, app, login, plan, make_user):
    add_member(app, plan, plan.impartial_id)
    login(plan.impartial_id)
    agenda_page = client.get(f"/audits/{plan.audit_id}/agenda").get_data(as_text=True)
    assert "Confirm my declaration" in agenda_page
    assert "I declare that I am independent" in agenda_page
    response = client.post(f"/audits/{plan.audit_id}/declaration")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/audits/{plan.audit_id}/agenda")
    assert team_rows(app, plan.audit_id)[plan.impartial_id][2] is True
    assert "Confirm my declaration" not in client.get(f"/audits/{plan.audit_id}/agenda").get_data(as_text=True)

    login(plan.lead_id)
    page = client.get(team_url(plan)).get_data(as_text=True)
    row = page.split('<th scope="row">Ian Impartial</th>')[1].split("</tr>")[0]
    assert "✓ Confirmed</span> on <time" in row
    lead_row = page.split('<th scope="row">Lena Lead</th>')[1].split("</tr>")[0]
    assert "Not confirmed yet" in lead_row

    login(plan.modelops_auditor_id)  # staff, but not on this team
    assert client.post(f"/audits/{plan.audit_id}/declaration").status_code == 403
    assert plan.modelops_auditor_id not in team_rows(app, plan.audit_id)


def test_another_lead_auditor_gets_403_on_every_management_post(client, app, login, plan):
    member_id = add_member(app, plan, plan.impartial_id)
    to_fieldwork(app, plan)
    with app.app_context():
        audit = db.session.get(Audit, plan.audit_id)
        session_id, auditee_count = audit.sessions[0].id, len(audit.auditees)
    before = team_rows(app, plan.audit_id)
    login(plan.other_lead_id)
    base = f"/audits/{plan.audit_id}"
    posts = {
        f"{base}/team": {"user_id": str(plan.modelops_auditor_id), "role": "auditor"},
        f"{base}/team/{member_id}/remove": {},
        f"{base}/auditees": {"auditee-name": "Someone"},
        f"{base}/auditees/1/remove": {},
        f"{base}/agenda/new": {
            "day": "2026-06-02",
            "start_time": "10:00",
            "duration_minutes": "60",
            "activity": "interview",
            "title": "Sneaky",
        },
        f"{base}/agenda/{session_id}/edit": {
            "day": "2026-06-02",
            "start_time": "10:00",
            "duration_minutes": "60",
            "activity": "interview",
            "title": "Sneaky",
        },
        f"{base}/agenda/{session_id}/delete": {},
        f"{base}/meetings/opening": {"held_at": "2026-06-01", "held_time": "09:00", "attendees": "Me"},
    }
    for url, data in posts.items():
        assert client.post(url, data=data).status_code == 403, url
    for url in (f"{base}/agenda/new", f"{base}/agenda/{session_id}/edit"):
        assert client.get(url).status_code == 403, url
    assert team_rows(app, plan.audit_id) == before
    with app.app_context():
        audit = db.session.get(Audit, plan.audit_id)
        assert [(s.id, s.title) for s in audit.sessions] == [(session_id, "Opening")]
        assert len(audit.auditees) == auditee_count
        assert audit.meetings == []
    page = client.get(team_url(plan)).get_data(as_text=True)  # they may look, without the forms
    assert "Only this audit's lead auditor (Lena Lead)" in page
    assert "Add to the team" not in page
