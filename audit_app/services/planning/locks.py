"""What each state of an audit freezes, and the refusal when a frozen part would change.

Kept apart from the life-cycle table (lifecycle.py) so that the services it gates (team, agenda, scope,
meetings, preparation, conclusions) can use it without importing the life cycle, which reads them.
"""

from __future__ import annotations

from audit_app.errors import Conflict
from audit_app.models import Audit, AuditStatus

S = AuditStatus

#: Parts of an audit that can no longer change in each state.
LOCKED: dict[AuditStatus, frozenset[str]] = {
    S.PLANNED: frozenset(),
    S.PREPARATION: frozenset(),
    S.FIELDWORK: frozenset({"scope", "criteria"}),
    S.REPORTING: frozenset({"scope", "criteria", "details", "team", "agenda", "preparation"}),
    S.FOLLOW_UP: frozenset(
        {"scope", "criteria", "details", "team", "agenda", "meetings", "preparation", "conclusions"}
    ),
    S.CLOSED: frozenset({"scope", "criteria", "details", "team", "agenda", "meetings", "preparation", "conclusions"}),
    S.CANCELLED: frozenset(
        {"scope", "criteria", "details", "team", "agenda", "meetings", "preparation", "conclusions"}
    ),
}

SECTION_LABELS = {
    "scope": "Scope",
    "criteria": "Criteria",
    "details": "Audit details and dates",
    "team": "The audit team",
    "agenda": "The agenda",
    "meetings": "Opening and closing meeting records",
    "preparation": "Audit risks and document review",
    "conclusions": "Team conference and audit conclusions",
}

LOCK_REASONS = {
    S.FIELDWORK: "scope and criteria are frozen once fieldwork starts",
    S.REPORTING: "only the closing meeting and the conclusions can still be recorded while the report is written",
    S.FOLLOW_UP: "the audit is in follow-up",
    S.CLOSED: "the audit is closed",
    S.CANCELLED: "the audit is cancelled",
}


class Locked(Conflict):
    """That part of the audit is frozen in its current state."""


def ensure_unlocked(audit: Audit, section: str) -> None:
    """Refuse changes to a part of the audit that its state freezes."""
    if section in LOCKED[audit.status]:
        raise Locked(
            f"{SECTION_LABELS[section]} can no longer change: the audit is {audit.status.in_words} "
            f"and {LOCK_REASONS.get(audit.status, 'this state freezes it')}."
        )


def lock_message(audit: Audit, section: str) -> str | None:
    """Why a section is frozen now, or None (pages show it above a read-only form)."""
    try:
        ensure_unlocked(audit, section)
    except Locked as exc:
        return str(exc)
    return None


def locked_sections(audit: Audit) -> list[str]:
    """The labels of the frozen sections, in the order the overview lists them."""
    order = list(SECTION_LABELS)
    return [SECTION_LABELS[s] for s in sorted(LOCKED[audit.status], key=order.index)]
