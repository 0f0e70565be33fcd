"""The calendar of agenda sessions: a month grid and the sessions a user may see in it."""

from __future__ import annotations

import calendar as _calendar
import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from audit_app.errors import ValidationFailed
from audit_app.extensions import db
from audit_app.models import Audit, AuditSession, AuditStatus, User
from audit_app.services import access

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """Read "YYYY-MM"; anything else is refused with a message a person can act on."""
        match = _MONTH.match(text.strip())
        if match is None or not 1 <= int(match.group(2)) <= 12 or not 1900 <= int(match.group(1)) <= 2999:
            raise ValidationFailed(
                f"{text[:20]!r} is not a month. Use the form YYYY-MM with a month from 01 to 12, e.g. 2026-06.",
                {"month": ["Use the form YYYY-MM, e.g. 2026-06."]},
            )
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def name(self) -> str:
        return f"{self.first:%B %Y}"

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    @property
    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def weeks(self) -> list[list[date]]:
        """Monday-to-Sunday weeks covering the month (with the days of the neighbouring months)."""
        return _calendar.Calendar(firstweekday=0).monthdatescalendar(self.year, self.month)


def sessions_between(user: User, first: date, last: date) -> list[AuditSession]:
    """Sessions from `first` to `last` of audits the user may see (not cancelled), with their audit, in one query."""
    stmt = (
        sa.select(AuditSession)
        .join(AuditSession.audit)
        .options(contains_eager(AuditSession.audit))
        .where(
            AuditSession.day >= first,
            AuditSession.day <= last,
            Audit.status != AuditStatus.CANCELLED,
            AuditSession.removed_at.is_(None),
        )
        .order_by(AuditSession.day, AuditSession.start_time, AuditSession.id)
    )
    stmt = stmt.where(access.VIEW.where(user))  # the sessions of audits the user may see
    return list(db.session.scalars(stmt))


def month_sessions(user: User, month: Month) -> dict[date, list[AuditSession]]:
    """The sessions shown in the month's grid, by day."""
    weeks = month.weeks()
    by_day: dict[date, list[AuditSession]] = {}
    for session in sessions_between(user, weeks[0][0], weeks[-1][-1]):
        by_day.setdefault(session.day, []).append(session)
    return by_day
