"""Review reminders of the register: one per due date and owner, in the app and by e-mail (a real SMTP server)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import DocKind, DocumentedInfo, EmailStatus, Notification, Role, User, utcnow
from audit_app.services.notifications import docinfo_reminders, mail
from audit_app.services.notifications.docinfo_reminders import OVERDUE, REMINDER, run_docinfo_reminders
from audit_app.services.notifications.reminders import local_now

DUE = date(2026, 9, 1)


def _entry(owner_id: int | None, due: date = DUE, **kw) -> int:
    entry = DocumentedInfo(
        title="AI policy", kind=DocKind.MAINTAIN, owner_id=owner_id, location="x", doc_version="1",
        approved_on=date(2025, 9, 1), next_review_on=due, **kw,
    )  # fmt: skip
    db.session.add(entry)
    db.session.commit()
    return entry.id


def _notes() -> list[tuple[str, int]]:
    return list(db.session.execute(sa.select(Notification.kind, Notification.user_id).order_by(Notification.id)))


def test_reminders_fall_due_30_days_ahead_then_overdue_each_once(app, make_user):
    owner = make_user(Role.VIEWER)
    with app.app_context():
        entry_id = _entry(owner)
        _entry(None)  # nobody to remind
        _entry(owner, due=DUE + timedelta(days=200))  # not due yet
        assert run_docinfo_reminders(app.config, today=DUE - timedelta(days=31)) == 0
        counts = [run_docinfo_reminders(app.config, today=DUE - timedelta(days=30)) for _ in range(2)]
        db.session.commit()
        assert counts == [1, 0]
        assert run_docinfo_reminders(app.config, today=DUE - timedelta(days=3)) == 0  # same due date: no second one
        assert [run_docinfo_reminders(app.config, today=DUE + timedelta(days=1)) for _ in range(2)] == [1, 0]
        db.session.commit()
        assert _notes() == [(REMINDER, owner), (OVERDUE, owner)]
        assert db.session.get(DocumentedInfo, entry_id).reminded_for == DUE
        link = db.session.scalar(sa.select(Notification.link).where(Notification.kind == OVERDUE))
        assert link == f"/documents-register/{entry_id}"
        # A new approval moves the review date: the owner hears of the new one.
        db.session.get(DocumentedInfo, entry_id).next_review_on = DUE + timedelta(days=10)
        assert run_docinfo_reminders(app.config, today=DUE + timedelta(days=1)) == 1


def test_retired_entries_and_inactive_owners_get_no_reminder(app, make_user):
    gone = make_user(Role.VIEWER, active=False)
    owner = make_user(Role.ADMIN)
    with app.app_context():
        _entry(gone)
        _entry(owner, retired_at=utcnow())
        assert run_docinfo_reminders(app.config, today=DUE) == 0


def test_the_scheduler_job_sends_the_review_reminders(app, make_user):
    owner = make_user(Role.VIEWER)
    with app.app_context():
        _entry(owner, due=local_now(app.config["ORG_TIMEZONE"]).date() - timedelta(days=1))
    with app.app_context():  # as `flask --app wsgi scheduler --once` runs it
        result = app.test_cli_runner().invoke(args=["scheduler", "--once"])
        assert result.exit_code == 0, result.output
        assert _notes() == [(OVERDUE, owner)]


def test_the_selection_is_pure():
    item = docinfo_reminders.ReviewDue(7, "Scope", 3, DUE)
    assert docinfo_reminders.select([item], DUE - timedelta(days=31), days=30) == []
    (due,) = docinfo_reminders.select([item], DUE, days=30)
    assert (due.kind, due.dedupe_key) == (REMINDER, "docinfo:docinfo_review_due:7:20260901:3")
    (late,) = docinfo_reminders.select([item], DUE + timedelta(days=2), days=30)
    assert late.kind == OVERDUE
    assert "2 day(s) overdue" in late.body


@pytest.fixture
def config_overrides(smtp_port: int) -> dict:
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_port, "MAIL_FROM": "audit@example.test"}


def test_an_overdue_review_is_e_mailed_once(app, make_user, inbox):
    owner_id = make_user(Role.VIEWER, email="owner@example.test")
    with app.app_context():
        _entry(owner_id)
        for _ in range(2):
            run_docinfo_reminders(app.config, today=DUE + timedelta(days=5))
            db.session.commit()
            mail.send_pending_email(app.config)
        assert set(db.session.scalars(sa.select(Notification.email_status))) == {EmailStatus.SENT}
        email = db.session.get(User, owner_id).email
    sent = [m for m in inbox.messages if "review" in str(m["Subject"])]
    assert [m["To"] for m in sent] == [email]
    assert str(sent[0]["Subject"]).strip() == "[AIMS Audit] OVERDUE review: AI policy was due on Tue 01 Sep 2026"
