"""Finding numbers and references, given when a finding is issued and never reused."""

from __future__ import annotations

from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import attributes

from audit_app.extensions import db
from audit_app.models import Audit, Finding, utcnow
from audit_app.services.findings import grades


def number(finding: Finding) -> None:
    """Give the finding its number and reference, computed by the UPDATE itself (collision-free).

    In an audit: {audit reference}-{prefix}-{nn}, counted per audit and prefix (IA-2026-03-NC-02). Outside an
    audit: NCR-{year}-{nnn}, counted per year. On PostgreSQL the audit row (or, outside audits, nothing: the
    unique reference retries) is locked first so parallel issues count each other.
    """
    finding.prefix = grades.prefix(finding)
    db.session.flush()
    table = cast(sa.Table, Finding.__table__)
    other = table.alias("other")
    if finding.audit_id is not None:
        db.session.execute(sa.select(Audit.id).where(Audit.id == finding.audit_id).with_for_update(key_share=True))
        taken = (
            sa.select(sa.func.coalesce(sa.func.max(other.c.number), 0) + 1)
            .where(other.c.audit_id == finding.audit_id, other.c.prefix == finding.prefix)
            .scalar_subquery()
        )
        audit_reference = db.session.scalar(sa.select(Audit.reference).where(Audit.id == finding.audit_id))
        base = f"{audit_reference}-{finding.prefix}-"
    else:
        year = (finding.occurred_on or utcnow().date()).year
        base = f"NCR-{year}-"
        taken = (
            sa.select(sa.func.coalesce(sa.func.max(other.c.number), 0) + 1)
            .where(other.c.audit_id.is_(None), other.c.reference.like(f"{base}%"))
            .scalar_subquery()
        )
    db.session.execute(sa.update(table).where(table.c.id == finding.id).values(number=taken))
    value = db.session.scalar(sa.select(table.c.number).where(table.c.id == finding.id))
    width = 2 if finding.audit_id is not None else 3
    reference = f"{base}{value:0{width}d}"
    db.session.execute(sa.update(table).where(table.c.id == finding.id).values(reference=reference))
    attributes.set_committed_value(finding, "number", value)
    attributes.set_committed_value(finding, "reference", reference)
