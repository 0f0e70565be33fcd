"""With SMTP configured, the findings' reminders also go out by e-mail, once (a real local SMTP server)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import DueStep, EmailStatus, FindingStatus, Notification, User
from audit_app.services.findings import dues
from audit_app.services.notifications import mail
from audit_app.services.notifications.finding_reminders import OVERDUE, run_finding_reminders
from tests.fixtures.findings import Findings


@pytest.fixture
def config_overrides(smtp_port: int) -> dict:
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_port, "MAIL_FROM": "audit@example.test"}


def test_an_overdue_notice_is_e_mailed_once(app, fw_world, inbox):
    with app.app_context():
        f = Findings(fw_world)
        finding = f.to(f.draft(), FindingStatus.ISSUED)
        db.session.commit()
        late = dues.current(finding, DueStep.ACKNOWLEDGE).due_on + timedelta(days=1)
        for _ in range(2):
            run_finding_reminders(app.config, today=late)
            db.session.commit()
            mail.send_pending_email(app.config)
        lead = db.session.get(User, fw_world.lead_id)
        owner = db.session.get(User, fw_world.auditee_id)
        statuses = set(db.session.scalars(sa.select(Notification.email_status).where(Notification.kind == OVERDUE)))
        assert statuses == {EmailStatus.SENT}
        reference = finding.reference
    overdue = [m for m in inbox.messages if "OVERDUE" in m["Subject"]]
    # Other moves e-mail people too (issue, submit…); the overdue notice reaches each person once.
    assert sorted(m["To"] for m in overdue if m["To"] in (lead.email, owner.email)) == sorted([lead.email, owner.email])
    subjects = {str(m["Subject"]).strip() for m in overdue}
    assert subjects == {
        f"[AIMS Audit] OVERDUE {reference}: Acknowledge was due on {late - timedelta(days=1):%a %d %b %Y}"
    }
