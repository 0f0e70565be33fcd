"""An audit leaves reporting only once every finding has been reviewed (issued, rejected, withdrawn or merged)."""

from __future__ import annotations

import pytest

from audit_app.errors import InvalidTransition
from audit_app.extensions import db
from audit_app.models import AuditStatus, FindingStatus
from audit_app.services.findings import flow
from audit_app.services.planning import lifecycle
from tests.fixtures.findings import Findings


@pytest.mark.parametrize("target", [AuditStatus.CLOSED, AuditStatus.FOLLOW_UP])
def test_a_finding_still_in_draft_or_review_keeps_the_audit_in_reporting(app, fw_world, target):
    with app.app_context():
        f = Findings(fw_world)
        finding = f.draft()
        flow.act(finding, "submit", actor=f.user(fw_world.auditor_id))
        audit = f.audit
        audit.status = AuditStatus.REPORTING  # setup: the reporting gate is tested elsewhere
        db.session.commit()
        lead = f.user(fw_world.lead_id)
        with pytest.raises(InvalidTransition, match="1 still in draft or waiting"):
            lifecycle.transition(audit, target, actor=lead)
        assert audit.status is AuditStatus.REPORTING
        flow.act(finding, "issue", actor=lead)
        lifecycle.transition(audit, target, actor=lead)
        assert audit.status is target
        assert finding.status is FindingStatus.ISSUED
