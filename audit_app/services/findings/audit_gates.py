"""What the audit's findings mean for the audit's own life cycle."""

from __future__ import annotations

import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import UNISSUED_STATES, Audit, Finding


def unreviewed_findings(audit: Audit) -> list[str]:
    """Leaving reporting needs every finding reviewed: issued, or rejected/withdrawn/merged (none left in draft or
    waiting for review)."""
    waiting = db.session.scalar(
        sa.select(sa.func.count(Finding.id)).where(Finding.audit_id == audit.id, Finding.status.in_(UNISSUED_STATES))
    )
    if not waiting:
        return []
    return [f"Review every finding first: {waiting} still in draft or waiting for the lead auditor's review."]
