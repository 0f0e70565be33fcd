"""The demo's findings: issued from the completed audit and an incident, answered by the auditee in part, and
seen by the auditee account only where they are issued to Credit Risk."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from audit_app import demo
from audit_app.demo import planning
from audit_app.extensions import db
from audit_app.models import (
    ActionStatus,
    Audit,
    AuditStatus,
    DisputeStatus,
    Finding,
    FindingSource,
    FindingStatus,
    Role,
    User,
)
from audit_app.services.findings import policy, quality


def test_the_demo_findings_are_issued_answered_in_part_and_isolated_by_unit(app_ctx, library, tmp_path):
    demo.load_demo(tmp_path / "demo_credentials.txt")
    planning.load_demo_programme(date(2027, 9, 15))
    db.session.flush()
    closed = db.session.scalars(sa.select(Audit).where(Audit.status == AuditStatus.CLOSED)).one()
    found = {f.reference: f for f in db.session.scalars(sa.select(Finding))}
    ref = closed.reference
    assert set(found) == {f"{ref}-NC-01", f"{ref}-NC-02", f"{ref}-OBS-01", f"{ref}-OFI-01", "NCR-2027-001"}

    competence = found[f"{ref}-NC-01"]
    assert competence.grade == "major"
    assert competence.samples
    assert "deviated" in competence.samples[0].summary
    assert competence.status is FindingStatus.PLAN_ACCEPTED
    assert [a.status for a in competence.actions] == [ActionStatus.IMPLEMENTED, ActionStatus.PLANNED]
    awareness = found[f"{ref}-OBS-01"]
    assert awareness.status is FindingStatus.DISPUTED
    assert awareness.disputes[0].status is DisputeStatus.OPEN
    incident = found["NCR-2027-001"]
    assert incident.source is FindingSource.INCIDENT
    assert incident.status is FindingStatus.ACKNOWLEDGED
    for finding in found.values():
        assert quality.blockers(finding) == [], finding.reference

    auditee = db.session.scalars(sa.select(User).where(User.role == Role.AUDITEE)).one()
    seen = set(db.session.scalars(sa.select(Finding.reference).where(policy.visible_where(auditee))))
    assert seen == {f"{ref}-NC-01", f"{ref}-OBS-01", "NCR-2027-001"}
