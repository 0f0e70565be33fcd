"""The demo's documented-information register: the stage 1 documents approved, one record past its review, one
missing and one still a draft, each with a dated history so that the "as of" view tells the story."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import DocumentedInfo, DocumentedInfoHistory, Role, User
from audit_app.services.docinfo import prefill, status
from audit_app.services.docinfo.entries import add_months
from audit_app.services.docinfo.history import add_change

#: key -> (location, version, approved by, months before today it was approved; None: a draft, not approved).
FILLED: dict[str, tuple[str, str, str, int | None]] = {
    status.SCOPE: ("https://intranet.northbridge.example/aims/scope", "2.1", "Executive Committee", 5),
    status.AI_POLICY: ("https://intranet.northbridge.example/policies/ai", "3.0", "Executive Committee", 4),
    status.RISK_ASSESSMENT_PROCESS: ("DMS / AIMS / PR-06 AI risk method", "1.4", "Chief Risk Officer", 6),
    status.RISK_TREATMENT_PROCESS: ("DMS / AIMS / PR-07 AI risk treatment", "1.2", "Chief Risk Officer", 6),
    status.IMPACT_ASSESSMENT_PROCESS: ("DMS / AIMS / PR-08 AISIA method", "1.1", "Chief Risk Officer", 3),
    status.SOA: ("DMS / AIMS / SoA", "1.0", "Executive Committee", 2),
    status.OBJECTIVES: ("https://intranet.northbridge.example/aims/objectives", "2026", "Executive Committee", 3),
    # Approved fourteen months ago with a yearly review: the review is overdue.
    status.COMPETENCE: ("HR system / AIMS competence matrix", "2025", "Head of People", 14),
    # Written, not yet approved.
    status.RISK_TREATMENT_PLAN: ("DMS / AIMS / AI risk treatment plan", "0.9", "", None),
}
#: Left missing on purpose: monitoring results (status.MONITORING) have no location or version yet.


def _stamp(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=UTC)


def load_demo_register(today: date) -> bool:
    """Fill the demo register once (nothing when any entry already has a location); whether it filled it."""
    prefill.prefill()
    db.session.flush()
    if db.session.scalar(sa.select(DocumentedInfo.id).where(DocumentedInfo.location != "").limit(1)):
        return False
    admin = db.session.scalar(sa.select(User).where(User.role == Role.ADMIN).order_by(User.id).limit(1))
    viewer = db.session.scalar(sa.select(User).where(User.role == Role.VIEWER).order_by(User.id).limit(1))
    entries = {e.source_key: e for e in db.session.scalars(sa.select(DocumentedInfo))}
    start = today - timedelta(days=450)
    for entry in entries.values():
        entry.created_at = _stamp(start)
    created = sa.update(DocumentedInfoHistory).where(DocumentedInfoHistory.field == "created")
    db.session.execute(created.values(changed_at=_stamp(start)))
    for key, (location, version, approver, months) in FILLED.items():
        entry = entries[key]
        owner = viewer if key in (status.AI_POLICY, status.OBJECTIVES) else admin
        approved = add_months(today, -months) if months is not None else None
        written = (approved or today) - timedelta(days=20)
        entry.owner_id = owner.id if owner is not None else None
        for name, value in (("location", location), ("doc_version", version)):
            add_change(entry, admin, name, "", value, at=_stamp(written))
            setattr(entry, name, value)
        if approved is not None:
            next_review = add_months(approved, entry.review_interval_months)
            approval: list[tuple[str, object, object]] = [
                ("approved_by_name", "", approver),
                ("approved_on", None, approved),
                ("next_review_on", None, next_review),
            ]
            for field, old, new in approval:
                add_change(entry, admin, field, old, new, at=_stamp(approved))
            entry.approved_by_name, entry.approved_on, entry.next_review_on = approver, approved, next_review
    return True
