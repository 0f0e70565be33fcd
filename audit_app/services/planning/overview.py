"""An audit at a glance, as data: its progress through the life cycle, declarations, criteria and locks.

The overview page shows these figures and the audit report will show the same ones, so they are computed
here once, from the audit alone (pure reads: nothing is changed).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from audit_app.models import MEETING_POINTS, Audit, AuditMeeting, AuditStatus, MeetingKind
from audit_app.services.planning import lifecycle, meetings

S = AuditStatus
#: The life-cycle stages shown as progress (cancelled is shown apart).
STAGES = (S.PLANNED, S.PREPARATION, S.FIELDWORK, S.REPORTING, S.FOLLOW_UP, S.CLOSED)


@dataclass(frozen=True)
class Stage:
    status: AuditStatus
    state: str  # words shown to the user: "done", "current stage", "next", …

    @property
    def is_current(self) -> bool:
        return self.state == "current stage"


def stages(audit: Audit) -> list[Stage]:
    """Each stage marked in words: done, skipped, current stage, next, later (or not reached if cancelled)."""
    visited = {S.PLANNED} | {t.to_status for t in audit.transitions} | {t.from_status for t in audit.transitions}
    if audit.status is S.CANCELLED:
        stopped = next((t.from_status for t in reversed(audit.transitions) if t.to_status is S.CANCELLED), S.PLANNED)
        at = STAGES.index(stopped) if stopped in STAGES else 0
        return [
            Stage(s, "cancelled here" if i == at else ("done" if i < at and s in visited else "not reached"))
            for i, s in enumerate(STAGES)
        ]
    at = STAGES.index(audit.status)
    states = []
    for i, status in enumerate(STAGES):
        if i < at:
            states.append(Stage(status, "done" if status in visited else "skipped"))
        elif i == at:
            states.append(Stage(status, "done" if status is S.CLOSED else "current stage"))
        else:
            states.append(Stage(status, "next" if i == at + 1 else "later"))
    if audit.status is S.CLOSED:
        states[-1] = Stage(S.CLOSED, "current stage")
    return states


def declared(audit: Audit) -> int:
    """How many team members have confirmed their declaration of independence."""
    return sum(1 for m in audit.team if m.has_declared)


def items_per_version(audit: Audit) -> dict[int, int]:
    """The number of clauses and controls in scope from each pinned checklist version (by version id)."""
    return dict(Counter(item.version_id for item in audit.scope_items))


def points_covered(meeting: AuditMeeting) -> list[str]:
    """The labels of the points a meeting record ticked, in the order recorded (unknown keys as they are)."""
    labels = dict(MEETING_POINTS[meeting.kind])
    return [labels.get(key, key) for key in meeting.points_covered]


@dataclass(frozen=True)
class AuditOverview:
    stages: list[Stage]
    #: Team members who confirmed their declaration of independence, out of team_size.
    declared: int
    team_size: int
    #: Clauses and controls in scope per pinned checklist version id.
    items_per_version: dict[int, int]
    #: Labels of the sections the current state freezes, and why it freezes them ("" when nothing is).
    locked: list[str]
    lock_reason: str
    opening: AuditMeeting | None
    closing: AuditMeeting | None
    #: The labels of the points each recorded meeting covered.
    points_covered: dict[MeetingKind, list[str]]

    @property
    def pending_declarations(self) -> int:
        return self.team_size - self.declared


def audit_overview(audit: Audit) -> AuditOverview:
    """Everything the overview shows about an audit beyond its own fields."""
    recorded = {kind: meetings.get_meeting(audit, kind) for kind in (MeetingKind.OPENING, MeetingKind.CLOSING)}
    return AuditOverview(
        stages=stages(audit),
        declared=declared(audit),
        team_size=len(audit.team),
        items_per_version=items_per_version(audit),
        locked=lifecycle.locked_sections(audit),
        lock_reason=lifecycle.LOCK_REASONS.get(audit.status, ""),
        opening=recorded[MeetingKind.OPENING],
        closing=recorded[MeetingKind.CLOSING],
        points_covered={kind: points_covered(m) for kind, m in recorded.items() if m is not None},
    )
