"""The findings' reminder job (DOMAIN 4.3), run on a controlled "today": a reminder before the date, an overdue
notice to the owners, the lead and the unit's manager, an escalation to administrators and management with the
escalated flag; run twice, each is stored once."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import sqlalchemy as sa
from flask_sqlalchemy.record_queries import get_recorded_queries

from audit_app.extensions import db
from audit_app.models import (
    DueStep,
    FindingHistory,
    FindingStatus,
    Notification,
    OrgUnit,
    Role,
    User,
)
from audit_app.services.findings import dues, extensions
from audit_app.services.findings.extensions import ExtensionInput
from audit_app.services.notifications import finding_reminders
from audit_app.services.notifications.finding_reminders import ESCALATED, OVERDUE, REMINDER, run_finding_reminders
from tests.fixtures.findings import Findings

S = FindingStatus


def _manager(world) -> int:
    manager = User(email="mona@example.test", name="Mona Manager", role=Role.AUDITEE)
    db.session.add(manager)
    db.session.flush()
    db.session.get(OrgUnit, world.unit_id).manager_id = manager.id
    return manager.id


def _run_twice(app, day) -> list[int]:
    counts = [run_finding_reminders(app.config, today=day) for _ in range(2)]
    db.session.commit()
    return counts


def _told(kind: str) -> Counter:
    return Counter(db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == kind)))


def test_the_ladder_run_twice_stores_each_notice_once(app, fw_world):
    w = fw_world
    with app.app_context():
        f = Findings(w)
        manager_id = _manager(w)
        finding = f.to(f.draft(), S.ISSUED)
        db.session.commit()
        due = dues.current(finding, DueStep.ACKNOWLEDGE).due_on
        owners = {w.auditee_id, w.colleague_id}  # the unit's auditees (the process owner among them)

        # Too early: nothing.
        assert _run_twice(app, due - timedelta(days=8)) == [0, 0]
        # Within the window: a reminder to the people who must act, once.
        assert _run_twice(app, due - timedelta(days=3)) == [2, 0]
        assert _told(REMINDER) == Counter(owners)
        assert w.stranger_id not in _told(REMINDER)  # another unit's auditee
        # Overdue: the owners, the lead auditor and the unit's manager, once.
        assert _run_twice(app, due + timedelta(days=1)) == [4, 0]
        assert _told(OVERDUE) == Counter(owners | {w.lead_id, manager_id})
        assert finding.escalated_at is None
        # Past the escalation delay: administrators and management, once; the finding is flagged, once.
        management = set(
            db.session.scalars(sa.select(User.id).where(User.role.in_((Role.ADMIN, Role.VIEWER)), User.active))
        )
        assert {w.admin_id, w.viewer_id} <= management
        escalation_day = due + timedelta(days=app.config["FINDING_ESCALATION_DAYS"])
        assert _run_twice(app, escalation_day) == [len(management), 0]
        assert _told(ESCALATED) == Counter(management)
        db.session.refresh(finding)
        assert finding.escalated_at is not None
        assert finding.status is S.ISSUED
        flagged = db.session.scalars(
            sa.select(FindingHistory).where(
                FindingHistory.finding_id == finding.id, FindingHistory.event == "escalated"
            )
        ).all()
        assert len(flagged) == 1
        assert "Acknowledge overdue" in flagged[0].reason
        note = db.session.scalar(sa.select(Notification).where(Notification.kind == OVERDUE).limit(1))
        assert note.link == f"/findings/{finding.id}"
        assert finding.reference in note.subject
        assert "OVERDUE" in note.subject


def test_an_approved_extension_gives_a_new_date_and_so_a_new_reminder(app, fw_world):
    w = fw_world
    with app.app_context():
        f = Findings(w)
        finding = f.to(f.draft(), S.ISSUED)
        due = dues.current(finding, DueStep.ACKNOWLEDGE)
        first = due.due_on
        assert _run_twice(app, first - timedelta(days=1)) == [2, 0]
        extension = extensions.request_extension(
            finding, due, ExtensionInput(first + timedelta(days=20), "Owner on leave."), actor=f.user(w.auditee_id)
        )
        extensions.decide(extension, approve=True, actor=f.user(w.lead_id))
        db.session.commit()
        assert _run_twice(app, first + timedelta(days=1)) == [0, 0]  # no longer overdue
        assert _run_twice(app, first + timedelta(days=15)) == [2, 0]  # the new date's reminder
        assert sum(_told(REMINDER).values()) == 4
        assert not _told(OVERDUE)


def test_a_met_step_is_no_longer_reminded(app, fw_world):
    with app.app_context():
        f = Findings(fw_world)
        finding = f.to(f.draft(), S.ISSUED)
        due = dues.current(finding, DueStep.ACKNOWLEDGE).due_on
        f.to(finding, S.ACKNOWLEDGED)
        db.session.commit()
        # Acknowledged: the acknowledgement is met; correction and plan dates are further out.
        assert _run_twice(app, due + timedelta(days=1)) == [0, 0]


def test_an_action_owner_is_reminded_of_their_action_and_its_lateness_goes_up_the_ladder(app, fw_world):
    w = fw_world
    with app.app_context():
        f = Findings(w)
        finding = f.to(f.draft(), S.PLAN_ACCEPTED)
        action = finding.actions[0]
        db.session.commit()
        assert _run_twice(app, action.due_on - timedelta(days=2)) == [1, 0]
        assert _told(REMINDER) == Counter({w.colleague_id: 1})
        note = db.session.scalar(sa.select(Notification).where(Notification.kind == REMINDER))
        assert f"action-{action.id}" in note.dedupe_key
        assert "Action" in note.subject
        assert _run_twice(app, action.due_on + timedelta(days=1)) == [2, 0]  # the owner and the lead (no manager)
        assert _told(OVERDUE) == Counter({w.colleague_id: 1, w.lead_id: 1})


def test_the_job_reads_a_fixed_number_of_statements(app, fw_world):
    """Two findings or four, overdue and escalated with notices to many people: the same reads."""
    with app.app_context():
        f = Findings(fw_world)
        _manager(fw_world)
        day = dues.today() + timedelta(days=60)  # every acknowledgement escalated

        def statements(extra: int) -> int:
            for _ in range(extra):
                f.to(f.draft(), S.ISSUED)
            db.session.commit()
            db.session.expunge_all()
            with app.test_request_context():
                before = len(get_recorded_queries())
                run_finding_reminders(app.config, today=day)
                db.session.flush()
                run = get_recorded_queries()[before:]
                # Reads are fixed; each new notice and flag is one write of its own.
                counted = sum(1 for q in run if q.statement.lstrip().upper().startswith("SELECT"))
            db.session.rollback()
            return counted

        small, large = statements(2), statements(4)
        assert small == large


def test_the_selection_is_pure_and_skips_dates_beyond_the_window():
    item = finding_reminders.DueItem(
        finding_id=1,
        reference="IA-1-NC-01",
        title="t",
        cycle=1,
        key="plan",
        what="Plan",
        due_on=dues.today(),
        owners=frozenset({5}),
        reviewer_id=6,
        manager_id=None,
    )
    far = finding_reminders.select(
        [item], item.due_on - timedelta(days=8), reminder_days=7, escalation_days=30, management=[1]
    )
    assert far.reminders == []
    assert far.escalate == {}
    late = finding_reminders.select(
        [item], item.due_on + timedelta(days=30), reminder_days=7, escalation_days=30, management=[1]
    )
    assert sorted((r.kind, r.user_id) for r in late.reminders) == [
        (ESCALATED, 1),
        (OVERDUE, 5),
        (OVERDUE, 6),
    ]
    assert late.escalate == {1: item}


def test_the_scheduler_runs_the_finding_reminders_beside_the_audit_reminders(app, fw_world):
    with app.app_context():
        f = Findings(fw_world)
        finding = f.to(f.draft(), S.ISSUED)
        dues.current(finding, DueStep.ACKNOWLEDGE).due_on = dues.today() - timedelta(days=1)
        db.session.commit()
    with app.app_context():  # as `flask --app wsgi scheduler --once` runs it
        result = app.test_cli_runner().invoke(args=["scheduler", "--once"])
        assert result.exit_code == 0, result.output
        assert _told(OVERDUE)[fw_world.lead_id] == 1


def test_outside_an_audit_the_raiser_hears_of_lateness():
    from audit_app.models import Finding

    assert finding_reminders.reviewer_of(Finding(audit=None, raised_by_id=42)) == 42
