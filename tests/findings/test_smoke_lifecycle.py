"""The main path of a nonconformity, through the services: drafted, issued, answered, verified, closed."""

from __future__ import annotations

from audit_app.extensions import db
from audit_app.models import FindingHistory, FindingStatus
from tests.fixtures.findings import Findings


def test_a_minor_nonconformity_goes_from_draft_to_closed_effective(app, fw_world):
    with app.app_context():
        f = Findings(fw_world)
        finding = f.draft()
        assert finding.status is FindingStatus.DRAFT
        assert finding.reference is None
        f.to(finding, FindingStatus.CLOSED_EFFECTIVE)
        db.session.commit()
        assert finding.reference == f"{f.audit.reference}-NC-01"
        moves = [
            (h.old_value, h.new_value)
            for h in db.session.query(FindingHistory).filter_by(finding_id=finding.id, event="status")
        ]
        assert [new for _, new in moves] == [
            "submitted",
            "issued",
            "acknowledged",
            "plan_submitted",
            "plan_accepted",
            "implemented",
            "verified",
            "closed_effective",
        ]
