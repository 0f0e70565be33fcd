"""Demo report: the completed audit's report issued by its lead auditor, reviewed by the programme's administrator
and approved by management, so the report page shows a frozen version with its hashes from the start."""

from __future__ import annotations

from datetime import date

from audit_app.models import Audit, ReportKind, User
from audit_app.services.reports import issuing


def issue_closed_audit_report(audit: Audit, lead: User, reviewer: User, approver: User, on: date) -> None:
    """Issue version 1 of the audit report while the audit is in reporting (called by demo/planning)."""
    issuing.issue(
        lead,
        audit,
        ReportKind.AUDIT,
        issuing.IssueInput(
            reviewed_by_id=reviewer.id,
            reviewed_on=on,
            approved_by_id=approver.id,
            approved_on=on,
            distribution="Executive Committee\nHead of Credit Risk\nHead of Customer Operations\nInternal audit file",
        ),
    )
