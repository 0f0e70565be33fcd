"""Audit records are never deleted: removed team members, auditees and sessions stay, stamped who and when."""

from __future__ import annotations

from datetime import time, timedelta

import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import Activity, AuditSession, AuditTeamMember, Role, TeamRole
from audit_app.services.notifications import reminders
from audit_app.services.planning import agenda, team
from audit_app.services.planning.schedule import sessions_between


def test_removed_session_is_kept_but_off_the_agenda(plan):
    audit = plan.audit()
    items = plan.pin(audit, "4.1", "8.4")
    kept = plan.session(audit, items=[items[0]], auditors=[audit.lead_auditor])
    gone = plan.session(audit, items=[items[1]], auditors=[audit.lead_auditor], start=time(9, 30))
    assert any(c.kind == "double_booked" for c in agenda.conflicts_for(audit))

    agenda.delete_session(audit, gone, actor=audit.lead_auditor)
    db.session.commit()

    assert [s.id for s in audit.sessions] == [kept.id]
    row = db.session.get(AuditSession, gone.id)
    assert row.removed_at is not None
    assert row.removed_by_id == audit.lead_auditor_id
    kinds = [c.kind for c in agenda.conflicts_for(audit)]
    assert "double_booked" not in kinds
    assert "uncovered" in kinds  # 8.4 lost its session
    listed = sessions_between(audit.lead_auditor, audit.start_date, audit.end_date)
    assert [s.id for s in listed] == [kept.id]
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Activity).where(Activity.action == "audit.session_removed")
        )
        == 1
    )


def test_removed_session_gets_no_reminder(plan, app):
    now = reminders.local_now(app.config["ORG_TIMEZONE"]).replace(second=0, microsecond=0)
    soon = now + timedelta(hours=2)
    programme = plan.programme("SOFT", period=(now.date() - timedelta(days=1), now.date() + timedelta(days=300)))
    audit = plan.audit(programme, dates=(now.date() - timedelta(days=1), now.date() + timedelta(days=30)))
    session = plan.session(audit, day=soon.date(), start=soon.time(), auditors=[audit.lead_auditor])
    db.session.commit()
    assert reminders.session_reminders(list(audit.sessions), now, 24)  # due while on the agenda

    agenda.delete_session(audit, session, actor=audit.lead_auditor)
    db.session.commit()
    assert reminders.session_reminders(list(audit.sessions), now, 24) == []
    assert reminders.run_reminders(app.config) == 0


def test_removed_member_is_kept_and_can_rejoin_with_a_fresh_declaration(plan):
    audit = plan.audit()
    auditor = plan.user(Role.AUDITOR)
    member = team.add_member(audit, auditor.id, TeamRole.AUDITOR, actor=audit.lead_auditor)
    team.confirm_declaration(audit, actor=auditor)
    db.session.commit()

    team.remove_member(audit, member, actor=audit.lead_auditor)
    db.session.commit()
    assert auditor.id not in [m.user_id for m in audit.team]
    assert db.session.get(AuditTeamMember, member.id).removed_at is not None

    again = team.add_member(audit, auditor.id, TeamRole.TECHNICAL_EXPERT, actor=audit.lead_auditor)
    db.session.commit()
    assert again.id == member.id  # the same row, brought back
    assert again.role is TeamRole.TECHNICAL_EXPERT
    assert again.removed_at is None
    assert not again.has_declared  # a new declaration is needed for the new stint
    assert auditor.id in [m.user_id for m in audit.team]


def test_removed_auditee_is_kept(plan):
    audit = plan.audit()
    person = plan.user(Role.AUDITEE)
    auditee = team.add_auditee(audit, actor=audit.lead_auditor, user_id=person.id, position="Owner")
    db.session.commit()
    team.remove_auditee(audit, auditee.id, actor=audit.lead_auditor)
    db.session.commit()
    assert audit.auditees == []
    assert auditee.removed_at is not None
    assert auditee.removed_by_id == audit.lead_auditor_id
