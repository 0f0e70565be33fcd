"""The demo register: stage 1 documents approved, competence evidence overdue, monitoring results missing."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from audit_app.demo.docinfo import load_demo_register
from audit_app.extensions import db
from audit_app.models import DocStatus, DocumentedInfo, Role
from audit_app.services.docinfo import status
from audit_app.services.docinfo.status import current_status, status_as_of

TODAY = date(2026, 12, 8)


def test_the_demo_register_shows_every_status_and_loads_once(app, make_user):
    make_user(Role.ADMIN)
    make_user(Role.VIEWER)
    with app.app_context():
        assert load_demo_register(TODAY) is True
        db.session.commit()
        assert load_demo_register(TODAY) is False
        entries = {e.source_key: e for e in db.session.scalars(sa.select(DocumentedInfo))}
        assert {current_status(entries[k], TODAY) for k in status.STAGE1_KEYS} == {DocStatus.APPROVED}
        assert current_status(entries[status.COMPETENCE], TODAY) is DocStatus.REVIEW_OVERDUE
        assert current_status(entries[status.MONITORING], TODAY) is DocStatus.MISSING
        assert current_status(entries[status.RISK_TREATMENT_PLAN], TODAY) is DocStatus.DRAFT
        # Its history dates the approvals: a year ago the competence matrix was approved and not yet due.
        db.session.expire_all()
        competence = db.session.scalar(sa.select(DocumentedInfo).where(DocumentedInfo.source_key == status.COMPETENCE))
        assert status_as_of(competence, date(2025, 12, 8)) is DocStatus.APPROVED
        policy = db.session.scalar(sa.select(DocumentedInfo).where(DocumentedInfo.source_key == status.AI_POLICY))
        assert status_as_of(policy, date(2026, 1, 1)) is DocStatus.MISSING
