"""The demo's completed audit carries its preparation and its conclusions, and meets the reporting gate."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from audit_app import demo
from audit_app.demo import planning
from audit_app.extensions import db
from audit_app.models import Activity, Audit, AuditStatus, Fulfilment
from audit_app.services.planning import conclusions, preparation


def test_the_completed_demo_audit_was_prepared_and_concluded(app_ctx, library, tmp_path):
    demo.load_demo(tmp_path / "demo_credentials.txt")
    planning.load_demo_programme(date(2027, 9, 15))
    db.session.commit()
    closed = db.session.scalar(sa.select(Audit).where(Audit.status == AuditStatus.CLOSED))
    assert [r.kind.value for r in preparation.risks(closed)] == ["auditee_availability", "time"]
    assert [d.document for d in preparation.documents(closed)] == [
        "AIMS scope statement",
        "AI policy",
        "Competence matrix for AI roles",
    ]
    conference = conclusions.get_conference(closed)
    assert conference.fulfilment is Fulfilment.PARTLY_FULFILLED
    assert {a.area: a.fulfilment for a in conference.areas} == {
        "4": Fulfilment.FULFILLED,
        "5": Fulfilment.LARGELY_FULFILLED,
        "7": Fulfilment.PARTLY_FULFILLED,
        "A.4": Fulfilment.PARTLY_FULFILLED,  # A.4.3 nonconforming for the Ask Nora chatbot
    }
    done = conclusions.achievement(closed)
    assert done.achieved == done.planned
    assert done.open == []
    confirmed = db.session.scalars(
        sa.select(Activity).where(
            Activity.action == "audit.fieldwork_warnings_confirmed", Activity.subject_id == closed.id
        )
    ).all()
    assert len(confirmed) == 1
    # CreditScore and Ask Nora are in scope: the one warning left is the draft competence matrix.
    assert confirmed[0].details["warnings"] == [
        "Documents found not adequate in preparation: Competence matrix for AI roles (partly adequate)."
    ]
