"""Reminders: in-app notifications once per person and reminder, e-mailed through a real local SMTP server."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import (
    Audit,
    AuditAuditee,
    AuditMethod,
    AuditSession,
    AuditTeamMember,
    EmailStatus,
    Notification,
    SessionActivity,
    User,
)
from audit_app.services.notifications import mail
from audit_app.services.notifications import reminders as due
from tests.fixtures.planning import reminder_scenario
from tests.fixtures.smtp import BUSY, REFUSED, smtp_server


@pytest.fixture
def config_overrides(smtp_port: int) -> dict:
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_port, "MAIL_FROM": "audit@example.test"}


@pytest.fixture
def scenario(app, plan):
    return reminder_scenario(plan, due.local_now(app.config["ORG_TIMEZONE"]))


def run_job(app) -> tuple[int, int]:
    """What the scheduler does: store due reminders, commit, then send pending e-mail."""
    created = due.run_reminders(app.config)
    db.session.commit()
    return created, mail.send_pending_email(app.config)


def stored() -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Notification).order_by(Notification.id)))


def _expected(scenario) -> dict[str, str]:
    """E-mail address → reference of the audit they are reminded of."""
    audits = scenario["audits"]
    return {u.email: audits["a"].reference for u in scenario["session_people"]} | {
        u.email: audits["b"].reference for u in scenario["audit_people"]
    }


def test_running_twice_notifies_and_emails_each_person_once(app, scenario, inbox):
    expected = _expected(scenario)
    assert len(expected) == 6
    assert run_job(app) == (6, 6)
    assert run_job(app) == (0, 0)

    notes = stored()
    assert len(notes) == 6
    assert Counter((n.user_id, n.kind) for n in notes) == Counter(
        [(u.id, "session_reminder") for u in scenario["session_people"]]
        + [(u.id, "audit_reminder") for u in scenario["audit_people"]]
    )
    assert {n.email_status for n in notes} == {EmailStatus.SENT}
    assert all(n.emailed_at is not None and n.read_at is None for n in notes)

    assert inbox.recipients() == Counter(expected.keys())  # one e-mail per person, no more
    for message in inbox.messages:
        reference = expected[message["To"]]
        assert message["From"] == "audit@example.test"
        assert message["Subject"].startswith("[AIMS Audit] ")
        assert reference in message["Subject"]
        assert reference in message.get_content()
    session_mails = [m for m in inbox.messages if m["To"] in {u.email for u in scenario["session_people"]}]
    agenda_link = f"http://127.0.0.1:5000/audits/{scenario['audits']['a'].id}/agenda"
    assert all(agenda_link in m.get_content() for m in session_mails)


def test_cancelled_later_and_deactivated_get_nothing(app, scenario, inbox):
    run_job(app)
    notes = stored()
    audits = scenario["audits"]
    everyone = {n.user_id for n in notes}
    assert scenario["gone"].id not in everyone
    for key in ("c", "d"):
        audit = db.session.get(Audit, audits[key].id)
        assert not everyone & {m.user_id for m in audit.team}
        assert not [n for n in notes if audit.reference in n.subject]
    a_sessions = {s.id for s in db.session.get(Audit, audits["a"].id).sessions}
    session_keys = {n.dedupe_key.split(":")[1] for n in notes if n.kind == "session_reminder"}
    assert len(session_keys) == 1
    assert session_keys < {str(i) for i in a_sessions}
    assert scenario["gone"].email not in inbox.recipients()


@pytest.mark.parametrize("config_overrides", [{}])
def test_without_a_mail_server_notifications_stay_in_the_app(app, scenario, inbox):
    assert not app.config["MAIL_SERVER"]
    assert run_job(app) == (6, 0)
    assert run_job(app) == (0, 0)
    assert {n.email_status for n in stored()} == {EmailStatus.NOT_SENT}
    assert inbox.envelopes == []


def test_an_unreachable_server_leaves_them_pending_until_it_is_up(app, scenario, smtp_port):
    assert run_job(app) == (6, 0)  # nothing listens on the port: no crash
    notes = stored()
    assert {n.email_status for n in notes} == {EmailStatus.PENDING}
    assert all(n.emailed_at is None for n in notes)
    with smtp_server(smtp_port) as inbox:
        assert run_job(app) == (0, 6)
        assert run_job(app) == (0, 0)
    assert inbox.recipients() == Counter(_expected(scenario).keys())
    assert {n.email_status for n in stored()} == {EmailStatus.SENT}


def test_a_refused_recipient_is_marked_failed_and_the_others_are_sent(app, scenario, inbox):
    refused = db.session.get(User, next(iter(scenario["audit_people"])).id)
    refused.email = REFUSED
    db.session.commit()
    assert run_job(app) == (6, 5)
    notes = stored()
    failed = [n for n in notes if n.email_status is EmailStatus.FAILED]
    assert [n.user_id for n in failed] == [refused.id]
    assert "550" in failed[0].email_error
    assert sum(1 for n in notes if n.email_status is EmailStatus.SENT) == 5
    assert REFUSED not in inbox.recipients()
    assert len(inbox.envelopes) == 5


def _busy_note(scenario) -> int:
    """Give one reminded person the BUSY address; return their user id."""
    person = db.session.get(User, next(iter(scenario["audit_people"])).id)
    person.email = BUSY
    db.session.commit()
    return person.id


def test_a_temporary_refusal_is_retried_on_the_next_run(app, scenario, inbox):
    busy_id = _busy_note(scenario)
    inbox.busy = 1
    assert run_job(app) == (6, 5)
    note = next(n for n in stored() if n.user_id == busy_id)
    assert note.email_status is EmailStatus.PENDING
    assert note.email_attempts == 1
    assert "451" in note.email_error
    assert "attempt 1 of 5" in note.email_error
    assert BUSY not in inbox.recipients()

    assert run_job(app) == (0, 1)  # the next run delivers it, once
    note = next(n for n in stored() if n.user_id == busy_id)
    assert note.email_status is EmailStatus.SENT
    assert note.email_error == ""
    assert inbox.recipients()[BUSY] == 1
    assert run_job(app) == (0, 0)
    assert len(inbox.envelopes) == 6


def test_temporary_refusals_give_up_after_the_configured_attempts(app, scenario, inbox):
    max_attempts = app.config["MAIL_MAX_ATTEMPTS"] = 3
    busy_id = _busy_note(scenario)
    inbox.busy = 100
    for attempt in range(1, max_attempts + 1):
        run_job(app)
        note = next(n for n in stored() if n.user_id == busy_id)
        assert note.email_attempts == attempt
    assert note.email_status is EmailStatus.FAILED
    assert f"still refused after {max_attempts} attempts: 451" in note.email_error
    assert run_job(app) == (0, 0)  # a failed message is not tried again
    assert next(n for n in stored() if n.user_id == busy_id).email_attempts == max_attempts
    assert BUSY not in inbox.recipients()


def test_a_permanent_refusal_is_not_retried(app, scenario, inbox):
    refused = db.session.get(User, next(iter(scenario["audit_people"])).id)
    refused.email = REFUSED
    db.session.commit()
    run_job(app)
    run_job(app)
    note = next(n for n in stored() if n.user_id == refused.id)
    assert note.email_status is EmailStatus.FAILED
    assert note.email_attempts == 1


# ------------------------------------------------------------------ pure selection with a fixed clock

NOW = datetime(2026, 3, 1, 10, 0)  # noqa: DTZ001 (agenda times are the organisation's naive wall clock)


def _audit(**kwargs) -> Audit:
    lead = User(id=1, name="Lena Lead", email="lena@example.test")
    values = {
        "id": 5,
        "reference": "IA-2026-05",
        "title": "Lending",
        "start_date": date(2026, 3, 2),
        "end_date": date(2026, 3, 3),
        "method": AuditMethod.REMOTE,
        "lead_auditor": lead,
        "lead_auditor_id": 1,
    }
    return Audit(**{**values, **kwargs})


def _session(audit: Audit, sid: int, starts: datetime, **kwargs) -> AuditSession:
    values = {
        "id": sid,
        "audit_id": audit.id,
        "audit": audit,
        "day": starts.date(),
        "start_time": starts.time(),
        "duration_minutes": 45,
        "activity": SessionActivity.INTERVIEW,
        "title": "Risk interview",
        "location": "",
        "remote_link": "",
    }
    return AuditSession(**{**values, **kwargs})


def test_session_reminders_within_the_window(app_ctx):
    audit = _audit()
    anna, bob = User(id=11, name="Anna"), User(id=12, name="Bob")
    inside = [
        _session(audit, 1, NOW, auditors=[anna]),
        _session(audit, 2, NOW + timedelta(hours=24), auditors=[bob], location="Room 4"),
    ]
    outside = [
        _session(audit, 3, NOW - timedelta(minutes=1), auditors=[anna]),
        _session(audit, 4, NOW + timedelta(hours=24, minutes=1), auditors=[anna]),
    ]
    reminders = due.session_reminders(inside + outside, NOW, 24)
    assert [(r.user_id, r.dedupe_key) for r in reminders] == [
        (11, "session:1:202603011000:11"),
        (12, "session:2:202603021000:12"),
    ]
    first, second = reminders
    assert first.kind == "session_reminder"
    assert first.link == "/audits/5/agenda"
    assert first.subject == "IA-2026-05: Risk interview on Sun 01 Mar 2026 at 10:00"
    assert first.body == (
        "Interview for audit IA-2026-05 Lending, Sun 01 Mar 2026 at 10:00 (45 minutes), location to be confirmed."
    )
    assert second.body.endswith("(45 minutes), Room 4.")


def test_session_reminders_go_to_auditors_and_auditee_accounts_once_each(app_ctx):
    audit = _audit()
    anna = User(id=11, name="Anna")
    with_account = AuditAuditee(id=1, user_id=11, name="Anna")  # also an auditor: reminded once
    other = AuditAuditee(id=2, user_id=30, name="Otto")
    no_account = AuditAuditee(id=3, user_id=None, name="Nora")
    session = _session(
        audit, 7, NOW + timedelta(hours=2), auditors=[anna], auditees=[with_account, other, no_account],
        remote_link="https://meet.example.test/x",
    )  # fmt: skip
    reminders = due.session_reminders([session], NOW, 24)
    assert [r.user_id for r in reminders] == [11, 30]
    assert reminders[0].body.endswith("https://meet.example.test/x.")
    moved = _session(audit, 7, NOW + timedelta(hours=3), auditors=[anna])
    assert due.session_reminders([moved], NOW, 24)[0].dedupe_key == "session:7:202603011300:11"


def test_audit_reminders_within_the_window(app_ctx):
    def team_of(*ids):
        return [AuditTeamMember(user_id=i) for i in ids]

    today = NOW.date()
    audits = [
        _audit(id=1, reference="IA-2026-01", start_date=today, team=team_of(1, 2)),
        _audit(id=2, reference="IA-2026-02", start_date=today + timedelta(days=7), team=team_of(1)),
        _audit(id=3, reference="IA-2026-03", start_date=today - timedelta(days=1), team=team_of(1)),
        _audit(id=4, reference="IA-2026-04", start_date=today + timedelta(days=8), team=team_of(1)),
    ]
    audits[0].auditees = [AuditAuditee(user_id=40, name="Vera"), AuditAuditee(user_id=None, name="Nora")]
    audits[0].end_date = today + timedelta(days=2)
    reminders = due.audit_reminders(audits, today, 7)
    assert [(r.user_id, r.dedupe_key) for r in reminders] == [
        (1, "audit-start:1:20260301:1"),
        (2, "audit-start:1:20260301:2"),
        (40, "audit-start:1:20260301:40"),
        (1, "audit-start:2:20260308:1"),
    ]
    first = reminders[0]
    assert (first.kind, first.link) == ("audit_reminder", "/audits/1")
    assert first.subject == "Audit IA-2026-01 starts on Sun 01 Mar 2026"
    assert first.body == "IA-2026-01 Lending runs from 01 Mar to 03 Mar 2026 (remote). Lead auditor: Lena Lead."


def test_local_now_is_the_organisations_wall_clock():
    london = due.local_now("Europe/London")
    tokyo = due.local_now("Asia/Tokyo")
    assert london.tzinfo is None
    assert tokyo.tzinfo is None
    assert timedelta(hours=8) <= tokyo - london <= timedelta(hours=9, seconds=5)
