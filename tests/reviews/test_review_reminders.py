"""Reminders of management-review actions: before due and when overdue, once per due date, in-app and e-mail."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import EmailStatus, Notification, User
from audit_app.models.user import Role
from audit_app.services.notifications import mail
from audit_app.services.notifications.review_reminders import OVERDUE, REMINDER, run_review_reminders
from audit_app.services.reviews import records

DUE = date(2026, 5, 20)


@pytest.fixture
def config_overrides(smtp_port: int) -> dict:
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_port, "MAIL_FROM": "audit@example.test"}


def _notes(kind: str) -> list[tuple[int, str]]:
    return list(
        db.session.execute(sa.select(Notification.user_id, Notification.subject).where(Notification.kind == kind))
    )


def test_reminder_then_overdue_once_each_and_new_date_reminds_again(app, make_user, inbox):
    lead_id, owner_id = make_user(Role.LEAD_AUDITOR), make_user(Role.VIEWER)
    with app.app_context():
        lead = db.session.get(User, lead_id)
        review = records.plan_review(lead, "Annual review", DUE, today=DUE)
        action = records.add_action(review, lead, "Publish the AI policy v2", owner_id, DUE, today=DUE)
        done = records.add_action(review, lead, "Done already", owner_id, DUE, today=DUE)
        records.complete_action(done, lead, "Done", revision=None, today=DUE)
        db.session.commit()
        days = int(app.config["FINDING_REMINDER_DAYS"])

        assert run_review_reminders(app.config, today=DUE - timedelta(days=days + 1)) == 0  # too early
        for _ in range(2):
            run_review_reminders(app.config, today=DUE - timedelta(days=2))
            run_review_reminders(app.config, today=DUE - timedelta(days=1))
            db.session.commit()
        assert _notes(REMINDER) == [(owner_id, "Management review action due on Wed 20 May 2026")]
        assert db.session.get(type(action), action.id).reminded_for == DUE

        for _ in range(2):
            run_review_reminders(app.config, today=DUE + timedelta(days=3))
            db.session.commit()
        assert sorted(u for u, _ in _notes(OVERDUE)) == sorted([owner_id, lead_id])
        mail.send_pending_email(app.config)
        statuses = set(db.session.scalars(sa.select(Notification.email_status)))
        assert statuses == {EmailStatus.SENT}

        # a new due date is a new reminder; a cancelled action is left alone
        action = db.session.get(type(action), action.id)
        action.due_on = DUE + timedelta(days=10)
        db.session.commit()
        assert run_review_reminders(app.config, today=DUE + timedelta(days=4)) == 1
        records.cancel_action(action, lead, "Dropped", revision=None)
        db.session.commit()
        assert run_review_reminders(app.config, today=DUE + timedelta(days=30)) == 0
        owner_email = db.session.get(User, owner_id).email
    subjects = [str(m["Subject"]) for m in inbox.messages if m["To"] == owner_email]
    assert sum("OVERDUE management review action" in s for s in subjects) == 1
    assert sum("Management review action due on Wed 20 May 2026" in s for s in subjects) == 1
