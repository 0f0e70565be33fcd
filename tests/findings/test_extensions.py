"""Extension requests: the auditee asks with a reason, the finding's reviewer approves (the date moves, the original
stays) or refuses (with a reason); one request waits at a time; every step is in the history and the trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from audit_app.errors import Conflict, NotAllowed, ValidationFailed
from audit_app.extensions import db
from audit_app.models import Activity, DueStep, ExtensionStatus, FindingHistory, FindingStatus
from audit_app.services.findings import dues, extensions
from audit_app.services.findings.extensions import ExtensionInput
from tests.fixtures.findings import Findings

S = FindingStatus


def _issued(f: Findings, grade: str = "minor"):
    finding = f.to(f.draft(grade), S.ISSUED)
    db.session.flush()
    return finding, dues.current(finding, DueStep.ACKNOWLEDGE)


def _ask(f: Findings, finding, due, days: int = 10, who: int | None = None, reason: str = "Owner on leave."):
    data = ExtensionInput(due.due_on + timedelta(days=days), reason)
    return extensions.request_extension(finding, due, data, actor=f.user(who or f.world.auditee_id))


def _history(finding_id: int) -> list[tuple[str, str, str, str]]:
    rows = db.session.scalars(
        sa.select(FindingHistory).where(FindingHistory.finding_id == finding_id).order_by(FindingHistory.id)
    )
    return [(h.event, h.field, h.old_value, h.new_value) for h in rows if h.event in ("extension", "due", "action")]


def test_an_approved_extension_moves_the_date_and_keeps_the_original(app, fw_world):
    with app.app_context():
        f = Findings(fw_world)
        finding, due = _issued(f)
        original = due.due_on
        extension = _ask(f, finding, due)
        assert extension.status is ExtensionStatus.PENDING
        assert due.due_on == original
        extensions.decide(extension, approve=True, actor=f.user(fw_world.lead_id), reason="Fair enough.")
        db.session.commit()
        assert (due.due_on, due.original_due_on) == (original + timedelta(days=10), original)
        assert extension.status is ExtensionStatus.APPROVED
        assert extension.decided_by_id == fw_world.lead_id
        moved = original + timedelta(days=10)
        assert _history(finding.id)[-3:] == [
            ("extension", "extension:acknowledge", original.isoformat(), moved.isoformat()),
            ("due", "due:acknowledge", original.isoformat(), moved.isoformat()),
            ("extension", "extension:acknowledge", "pending", "approved"),
        ]
        trail = db.session.scalars(
            sa.select(Activity.action).where(Activity.action.like("finding.extension%")).order_by(Activity.id)
        )
        assert list(trail) == ["finding.extension_requested", "finding.extension_approved"]


def test_a_refusal_needs_a_reason_and_keeps_the_date(app, fw_world):
    with app.app_context():
        f = Findings(fw_world)
        finding, due = _issued(f)
        original = due.due_on
        extension = _ask(f, finding, due)
        with pytest.raises(ValidationFailed):
            extensions.decide(extension, approve=False, actor=f.user(fw_world.lead_id), reason="  ")
        extensions.decide(extension, approve=False, actor=f.user(fw_world.lead_id), reason="The step takes a day.")
        db.session.commit()
        assert due.due_on == original
        assert extension.status is ExtensionStatus.REFUSED
        assert extension.decision_reason == "The step takes a day."
        assert _history(finding.id)[-1] == ("extension", "extension:acknowledge", "pending", "refused")


@pytest.mark.parametrize("who", ["auditor_id", "auditee_id", "viewer_id", "outsider_id"])
def test_only_the_reviewer_decides(app, fw_world, who):
    with app.app_context():
        f = Findings(fw_world)
        finding, due = _issued(f)
        extension = _ask(f, finding, due)
        with pytest.raises(NotAllowed):
            extensions.decide(extension, approve=True, actor=f.user(getattr(fw_world, who)))
        assert extension.status is ExtensionStatus.PENDING
        extensions.decide(extension, approve=True, actor=f.user(fw_world.admin_id))  # administrators review too
        assert extension.status is ExtensionStatus.APPROVED


def test_one_request_waits_at_a_time_and_a_decided_one_cannot_be_decided_again(app, fw_world):
    with app.app_context():
        f = Findings(fw_world)
        finding, due = _issued(f)
        first = _ask(f, finding, due)
        with pytest.raises(Conflict, match="already waiting"):
            _ask(f, finding, due, days=20, who=fw_world.colleague_id)
        extensions.decide(first, approve=False, actor=f.user(fw_world.lead_id), reason="No.")
        with pytest.raises(Conflict, match="already refused"):
            extensions.decide(first, approve=True, actor=f.user(fw_world.lead_id))
        second = _ask(f, finding, due, days=5)
        assert second.status is ExtensionStatus.PENDING


@pytest.mark.parametrize(
    ("days", "reason", "field"),
    [
        (0, "Owner on leave.", "requested_due_on"),  # not later than the current date
        (-3, "Owner on leave.", "requested_due_on"),
        (extensions.MAX_EXTENSION_DAYS + 1, "Owner on leave.", "requested_due_on"),
        (10, "   ", "reason"),
        (10, "bad\x00text", "reason"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(app, fw_world, days, reason, field):
    with app.app_context():
        f = Findings(fw_world)
        finding, due = _issued(f)
        with pytest.raises(ValidationFailed) as refused:
            _ask(f, finding, due, days=days, reason=reason)
        assert field in refused.value.errors
        assert due.extensions == []


def test_no_date_and_a_past_date_are_refused(app, fw_world):
    with app.app_context():
        f = Findings(fw_world)
        finding, due = _issued(f)
        owner = f.user(fw_world.auditee_id)
        with pytest.raises(ValidationFailed):
            extensions.request_extension(finding, due, ExtensionInput(None, "r"), actor=owner)
        late = due.due_on + timedelta(days=1)
        with pytest.raises(ValidationFailed, match="already past"):
            extensions.request_extension(
                finding, due, ExtensionInput(late, "r"), actor=owner, today=late + timedelta(days=1)
            )


@pytest.mark.parametrize("who", ["stranger_id", "lead_id", "auditor_id", "admin_id"])
def test_only_the_auditee_answering_for_the_finding_asks(app, fw_world, who):
    with app.app_context():
        f = Findings(fw_world)
        finding, due = _issued(f)
        with pytest.raises(NotAllowed):
            _ask(f, finding, due, who=getattr(fw_world, who))


def test_a_met_or_later_cycle_date_does_not_move(app, fw_world):
    with app.app_context():
        f = Findings(fw_world)
        finding, due = _issued(f)
        extension = _ask(f, finding, due)
        f.to(finding, S.ACKNOWLEDGED)  # the acknowledgement is met meanwhile
        with pytest.raises(Conflict, match="already done"):
            extensions.decide(extension, approve=True, actor=f.user(fw_world.lead_id))
        with pytest.raises(Conflict, match="open due date"):
            _ask(f, finding, due)


def test_an_action_owner_asks_to_move_their_action_and_the_approval_moves_it(app, fw_world):
    with app.app_context():
        f = Findings(fw_world)
        finding = f.to(f.draft(), S.PLAN_ACCEPTED)
        action = finding.actions[0]
        before = action.due_on
        data = ExtensionInput(before + timedelta(days=14), "Supplier delivers the gate tool late.")
        with pytest.raises(NotAllowed):
            extensions.request_extension(finding, None, data, actor=f.user(fw_world.stranger_id), action=action)
        extension = extensions.request_extension(
            finding, None, data, actor=f.user(fw_world.colleague_id), action=action
        )
        assert extension.action_id == action.id
        assert extension.due.step is DueStep.IMPLEMENTATION  # filed under the cycle's implementation date
        implementation_due = extension.due.due_on
        extensions.decide(extension, approve=True, actor=f.user(fw_world.lead_id))
        db.session.commit()
        assert action.due_on == before + timedelta(days=14)
        assert extension.due.due_on == implementation_due  # the step's own date is not touched
        entry = db.session.scalar(
            sa.select(FindingHistory)
            .where(FindingHistory.action_id == action.id, FindingHistory.field == "due_on")
            .order_by(FindingHistory.id.desc())
            .limit(1)
        )
        assert (entry.old_value, entry.new_value) == (before.isoformat(), action.due_on.isoformat())


def test_the_effectiveness_date_is_not_the_auditees_to_move(app, fw_world):
    with app.app_context():
        f = Findings(fw_world)
        finding = f.to(f.draft("major"), S.VERIFIED)
        due = dues.current(finding, DueStep.EFFECTIVENESS)
        with pytest.raises(Conflict, match="auditors' own"):
            _ask(f, finding, due)
