"""The demo's completed audit arrives with its report issued: version 1, frozen, verifiable, reopening as ISSUED."""

from __future__ import annotations

import io
from datetime import date

import docx
import sqlalchemy as sa

from audit_app import demo
from audit_app.demo import planning
from audit_app.extensions import db
from audit_app.models import Audit, AuditStatus, IssuedReport, ReportKind, Role, User
from audit_app.services.reports import issuing


def test_the_closed_demo_audit_has_an_issued_report_that_verifies(app_ctx, library, tmp_path):
    demo.load_demo(tmp_path / "demo_credentials.txt")
    planning.load_demo_programme(date(2027, 9, 15))
    db.session.flush()
    closed = db.session.scalars(sa.select(Audit).where(Audit.status == AuditStatus.CLOSED)).one()
    (report,) = db.session.scalars(sa.select(IssuedReport).where(IssuedReport.audit_id == closed.id)).all()
    assert (report.kind, report.version) == (ReportKind.AUDIT, 1)
    assert report.prepared_by_id == closed.lead_auditor_id
    assert report.reviewed_by.role is Role.ADMIN
    assert report.approved_by.role is Role.VIEWER
    assert "Executive Committee" in report.distribution
    assert report.manifest, "the demo audit's evidence files are in the manifest"
    assert issuing.verify(report).ok
    viewer = db.session.scalars(sa.select(User).where(User.role == Role.VIEWER)).first()
    document = docx.Document(io.BytesIO(issuing.download(viewer, report)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "ISSUED — version 1" in text
    assert closed.reference in text
