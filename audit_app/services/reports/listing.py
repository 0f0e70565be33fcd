"""What the report pages list: an audit's issued versions with their sign-offs and download counts, and the
people who may sign a report off, each in one query."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from audit_app.extensions import db
from audit_app.models import Audit, IssuedReport, ReportDownload, ReportKind, User


def issued_reports(audit: Audit) -> list[IssuedReport]:
    """Every issued version of every report of the audit, by kind then version, with who signed them."""
    return list(
        db.session.scalars(
            sa.select(IssuedReport)
            .where(IssuedReport.audit_id == audit.id)
            .options(
                joinedload(IssuedReport.prepared_by),
                joinedload(IssuedReport.reviewed_by),
                joinedload(IssuedReport.approved_by),
            )
            .order_by(IssuedReport.kind, IssuedReport.version)
        )
    )


def download_counts(reports: Iterable[IssuedReport]) -> dict[int, int]:
    """How often each report was downloaded (reports never downloaded are left out)."""
    ids = [report.id for report in reports]
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(ReportDownload.report_id, sa.func.count(ReportDownload.id))
        .where(ReportDownload.report_id.in_(ids))
        .group_by(ReportDownload.report_id)
    ).all()
    return dict(rows)


def next_versions(reports: Iterable[IssuedReport]) -> dict[ReportKind, int]:
    """The version the next issue of each kind will carry (1 for a kind never issued)."""
    latest = dict.fromkeys(ReportKind, 0)
    for report in reports:
        latest[report.kind] = max(latest[report.kind], report.version)
    return {kind: version + 1 for kind, version in latest.items()}


def signatories() -> list[User]:
    """The active accounts that may be named as reviewer or approver, by name."""
    return list(db.session.scalars(sa.select(User).where(User.active.is_(True)).order_by(User.name, User.id)))
