"""The e-mail delivery page: administrators see what is waiting or failed and queue a failed reminder again."""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import Activity, EmailStatus, Notification, Role
from audit_app.services.notifications import mail
from tests.fixtures.smtp import REFUSED, smtp_server


@pytest.fixture
def config_overrides(smtp_port: int) -> dict:
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_port, "MAIL_FROM": "audit@example.test"}


@pytest.fixture
def notes(app, make_user):
    """One notification per e-mail status for an auditor; returns ids by status."""
    user_id = make_user(Role.AUDITOR, email="ava@example.test")
    with app.app_context():
        made = {}
        for n, status in enumerate(EmailStatus):
            note = Notification(
                user_id=user_id,
                kind="audit_reminder",
                subject=f"Reminder {status.value}",
                dedupe_key=f"test:{n}",
                email_status=status,
                email_error="550 No such mailbox" if status is EmailStatus.FAILED else "",
                email_attempts=1 if status is EmailStatus.FAILED else 0,
            )
            db.session.add(note)
            db.session.flush()
            made[status] = note.id
        db.session.commit()
        return made


def page(client) -> str:
    response = client.get("/admin/email")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def stored(app, note_id: int) -> Notification:
    with app.app_context():
        note = db.session.get(Notification, note_id)
        db.session.expunge(note)
        return note


def test_the_page_counts_and_lists_what_is_waiting_or_failed(client, login, make_user, notes):
    login(make_user(Role.ADMIN))
    text = page(client)
    for status in EmailStatus:
        assert f'<dd id="email-{status.value}">1</dd>' in text
    assert f'id="email-{notes[EmailStatus.FAILED]}"' in text
    assert f'id="email-{notes[EmailStatus.PENDING]}"' in text
    assert f'id="email-{notes[EmailStatus.SENT]}"' not in text
    assert "550 No such mailbox" in text
    assert "✗ Failed" in text  # the status is in words, not colour alone
    assert "Send again to ava@example.test" in text
    assert "tried again on later runs, 5 times in all" in text


def test_a_failed_reminder_queued_again_is_sent_on_the_next_run(app, client, login, make_user, notes, smtp_port):
    admin_id = make_user(Role.ADMIN)
    login(admin_id)
    failed = notes[EmailStatus.FAILED]
    response = client.post(f"/admin/email/{failed}/retry")
    assert response.status_code == 302
    assert "queued again" in page(client)
    note = stored(app, failed)
    assert (note.email_status, note.email_attempts) == (EmailStatus.PENDING, 0)
    assert "550 No such mailbox" in note.email_error  # the earlier reply is kept
    with app.app_context():
        entry = db.session.scalar(sa.select(Activity).where(Activity.action == "email.retry"))
        assert (entry.actor_id, entry.subject_id) == (admin_id, failed)

    with smtp_server(smtp_port) as inbox, app.app_context():
        assert mail.send_pending_email(app.config) == 2  # this one and the one already waiting
    assert inbox.recipients()["ava@example.test"] == 2
    assert stored(app, failed).email_status is EmailStatus.SENT


@pytest.mark.parametrize("status", [EmailStatus.PENDING, EmailStatus.SENT, EmailStatus.NOT_SENT])
def test_only_a_failed_e_mail_can_be_queued_again(app, client, login, make_user, notes, status):
    login(make_user(Role.ADMIN))
    before = stored(app, notes[status])
    response = client.post(f"/admin/email/{notes[status]}/retry", follow_redirects=True)
    assert "Only a failed e-mail can be sent again" in html.unescape(response.get_data(as_text=True))
    after = stored(app, notes[status])
    assert (after.email_status, after.email_attempts, after.email_error) == (
        before.email_status,
        before.email_attempts,
        before.email_error,
    )


def test_an_unknown_notification_is_not_found(client, login, make_user, notes):
    login(make_user(Role.ADMIN))
    assert client.post("/admin/email/999999/retry").status_code == 404


@pytest.mark.parametrize("role", [Role.LEAD_AUDITOR, Role.AUDITOR, Role.VIEWER, Role.AUDITEE])
def test_other_roles_cannot_queue_again(app, client, login, make_user, notes, role):
    login(make_user(role))
    assert client.post(f"/admin/email/{notes[EmailStatus.FAILED]}/retry").status_code == 403
    assert stored(app, notes[EmailStatus.FAILED]).email_status is EmailStatus.FAILED


@pytest.mark.parametrize("config_overrides", [{}])
def test_without_a_mail_server_the_page_says_so(client, login, make_user):
    login(make_user(Role.ADMIN))
    text = page(client)
    assert "No mail server is configured" in text
    assert "Nothing is waiting and nothing has failed." in text


def test_a_refused_address_fails_and_shows_on_the_page(app, client, login, make_user, smtp_port):
    user_id = make_user(Role.AUDITOR, email=REFUSED)
    with app.app_context():
        db.session.add(
            Notification(
                user_id=user_id,
                kind="audit_reminder",
                subject="Audit soon",
                dedupe_key="x:1",
                email_status=EmailStatus.PENDING,
            )
        )
        db.session.commit()
        with smtp_server(smtp_port):
            assert mail.send_pending_email(app.config) == 0
    login(make_user(Role.ADMIN))
    text = page(client)
    assert '<dd id="email-failed">1</dd>' in text
    assert "550 No such mailbox" in text
