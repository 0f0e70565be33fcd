"""Due dates of a finding's response steps, from the programme's due policy per grade (DOMAIN 4.3).

Dates are set when the finding is issued (acknowledge, correction, plan, implementation), when a new cycle
starts after "not effective" (correction, plan, implementation again), and when the implementation is verified
(effectiveness). A step is met when the auditee (or the verifier) does it. Which steps are live depends on the
state: a finding waiting for its plan is not overdue for its effectiveness review.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from audit_app.models import DueDate, DueStep, Finding, FindingStatus, User, utcnow
from audit_app.models.programme import DEFAULT_DUE_POLICY
from audit_app.services.findings import history

S = FindingStatus
#: The steps the auditee (or verifier) is working on in each state; only these can be overdue.
LIVE_STEPS: dict[FindingStatus, tuple[DueStep, ...]] = {
    S.ISSUED: (DueStep.ACKNOWLEDGE, DueStep.CONSIDER),
    S.DISPUTED: (DueStep.ACKNOWLEDGE,),
    S.ACKNOWLEDGED: (DueStep.CORRECTION, DueStep.PLAN),
    S.REOPENED: (DueStep.CORRECTION, DueStep.PLAN),
    S.PLAN_SUBMITTED: (),
    S.PLAN_ACCEPTED: (DueStep.IMPLEMENTATION,),
    S.IMPLEMENTED: (),
    S.VERIFIED: (DueStep.EFFECTIVENESS,),
}
#: Steps set when the finding is issued, and again (all but acknowledge) for each new cycle.
ON_ISSUE = (DueStep.ACKNOWLEDGE, DueStep.CONSIDER, DueStep.CORRECTION, DueStep.PLAN, DueStep.IMPLEMENTATION)
ON_REOPEN = (DueStep.CORRECTION, DueStep.PLAN, DueStep.IMPLEMENTATION)


def add_business_days(start: date, days: int) -> date:
    """`days` working days (Monday to Friday) after `start`."""
    current = start
    left = days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


def policy_days(finding: Finding, step: DueStep) -> int | None:
    """The days the programme's policy gives this grade for this step (None: no due date)."""
    policy = (finding.programme.due_policy if finding.programme is not None else None) or DEFAULT_DUE_POLICY
    value = (policy.get(finding.grade) or {}).get(step.value)
    return int(value) if value is not None else None


def due_from(finding: Finding, step: DueStep, start: date) -> date | None:
    days = policy_days(finding, step)
    if days is None:
        return None
    return add_business_days(start, days) if step is DueStep.ACKNOWLEDGE else start + timedelta(days=days)


def today() -> date:
    return datetime.now(UTC).date()


def _set(finding: Finding, steps: tuple[DueStep, ...], start: date, actor: User | None) -> list[DueDate]:
    created = []
    for step in steps:
        due_on = due_from(finding, step, start)
        if due_on is None:
            continue
        due = DueDate(finding_id=finding.id, cycle=finding.cycle, step=step, due_on=due_on, original_due_on=due_on)
        finding.dues.append(due)  # loads the list first, then adds (adding first listed the date twice)
        history.add(finding.id, "due", actor=actor, field=f"due:{step.value}", new=due_on)
        created.append(due)
    return created


def set_on_issue(finding: Finding, actor: User | None, start: date | None = None) -> list[DueDate]:
    return _set(finding, ON_ISSUE, start or today(), actor)


def set_on_reopen(finding: Finding, actor: User | None, start: date | None = None) -> list[DueDate]:
    return _set(finding, ON_REOPEN, start or today(), actor)


def set_on_verified(finding: Finding, actor: User | None, start: date | None = None) -> list[DueDate]:
    return _set(finding, (DueStep.EFFECTIVENESS,), start or today(), actor)


def current(finding: Finding, step: DueStep) -> DueDate | None:
    return next((d for d in finding.dues if d.cycle == finding.cycle and d.step is step), None)


def mark_met(finding: Finding, *steps: DueStep, actor: User | None) -> None:
    for step in steps:
        due = current(finding, step)
        if due is not None and due.met_at is None:
            due.met_at = utcnow()
            history.add(finding.id, "due", actor=actor, field=f"met:{step.value}", new=due.met_at)


def live(finding: Finding) -> list[DueDate]:
    """The open due dates of the steps the finding's state is waiting for."""
    steps = LIVE_STEPS.get(finding.status, ())
    return [d for d in finding.dues if d.cycle == finding.cycle and d.step in steps and d.met_at is None]


def next_due(finding: Finding) -> DueDate | None:
    return min(live(finding), key=lambda d: d.due_on, default=None)


def overdue(finding: Finding, on: date | None = None) -> list[DueDate]:
    day = on or today()
    return [d for d in live(finding) if d.due_on < day]
