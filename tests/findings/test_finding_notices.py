"""The next person to act is told when a finding moves (in-app; e-mail when SMTP is configured)."""

from __future__ import annotations

import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import EmailStatus, FindingStatus, Notification
from audit_app.services.findings import disputes, flow
from tests.fixtures.findings import Findings


def _told(finding_id: int) -> dict[int, list[str]]:
    told: dict[int, list[str]] = {}
    for note in db.session.scalars(
        sa.select(Notification).where(Notification.link == f"/findings/{finding_id}").order_by(Notification.id)
    ):
        told.setdefault(note.user_id, []).append(note.kind)
    return told


def test_issuing_tells_the_units_auditees_and_a_dispute_tells_the_lead(app, fw_world):
    w = fw_world
    with app.app_context():
        f = Findings(w)
        finding = f.draft()
        flow.act(finding, "submit", actor=f.user(w.auditor_id))
        assert _told(finding.id) == {w.lead_id: ["finding_submit"]}
        flow.act(finding, "issue", actor=f.user(w.lead_id))
        told = _told(finding.id)
        assert told[w.auditee_id] == ["finding_issue"]
        assert told[w.colleague_id] == ["finding_issue"]
        assert w.stranger_id not in told
        assert w.auditor_id not in told
        note = db.session.scalars(sa.select(Notification).where(Notification.user_id == w.auditee_id)).one()
        assert note.subject.startswith(f"{finding.reference} issued to your unit")
        assert note.email_status is EmailStatus.NOT_SENT  # no SMTP configured in this test
        disputes.dispute(
            finding, reason="The releases named were hotfixes outside the process.", actor=f.user(w.auditee_id)
        )
        assert _told(finding.id)[w.lead_id] == ["finding_submit", "finding_dispute"]
        assert finding.status is FindingStatus.DISPUTED


def test_the_actor_is_never_told_of_their_own_move(app, fw_world):
    w = fw_world
    with app.app_context():
        f = Findings(w)
        finding = f.draft()
        lead = f.user(w.lead_id)
        finding.raised_by_id = lead.id
        flow.act(finding, "submit", actor=lead)
        assert _told(finding.id) == {}
