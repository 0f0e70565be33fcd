"""Reminders of upcoming sessions and audits: which are due, and storing each one once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from audit_app.extensions import db
from audit_app.models import Audit, AuditSession, AuditStatus, EmailStatus, Notification, User

#: Audits in these states get reminders.
ACTIVE = (AuditStatus.PLANNED, AuditStatus.PREPARATION, AuditStatus.FIELDWORK)


@dataclass(frozen=True)
class Reminder:
    user_id: int
    dedupe_key: str
    kind: str
    subject: str
    body: str
    link: str


def local_now(tz_name: str) -> datetime:
    """The organisation's wall-clock time, naive, to compare with agenda days and times."""
    return datetime.now(ZoneInfo(tz_name)).replace(tzinfo=None)


def session_reminders(sessions: list[AuditSession], now: datetime, hours: int) -> list[Reminder]:
    """Reminders for every person in a session starting within `hours` of `now`."""
    reminders = []
    for session in sessions:
        if not now <= session.starts <= now + timedelta(hours=hours):
            continue
        people = {u.id for u in session.auditors} | {a.user_id for a in session.auditees if a.user_id}
        when = f"{session.day:%a %d %b %Y} at {session.start_time:%H:%M}"
        where = session.location or session.remote_link or "location to be confirmed"
        for user_id in sorted(people):
            reminders.append(
                Reminder(
                    user_id,
                    f"session:{session.id}:{session.starts:%Y%m%d%H%M}:{user_id}",
                    "session_reminder",
                    f"{session.audit.reference}: {session.title} on {when}",
                    f"{session.activity.label} for audit {session.audit.label}, {when} ({session.duration_minutes} "
                    f"minutes), {where}.",
                    f"/audits/{session.audit_id}/agenda",
                )
            )
    return reminders


def audit_reminders(audits: list[Audit], today: date, days: int) -> list[Reminder]:
    """Reminders to the team and auditee accounts of audits starting within `days` of `today`."""
    reminders = []
    for audit in audits:
        if not today <= audit.start_date <= today + timedelta(days=days):
            continue
        people = {m.user_id for m in audit.team} | {a.user_id for a in audit.auditees if a.user_id}
        for user_id in sorted(people):
            reminders.append(
                Reminder(
                    user_id,
                    f"audit-start:{audit.id}:{audit.start_date:%Y%m%d}:{user_id}",
                    "audit_reminder",
                    f"Audit {audit.reference} starts on {audit.start_date:%a %d %b %Y}",
                    f"{audit.label} runs from {audit.start_date:%d %b} to {audit.end_date:%d %b %Y} "
                    f"({audit.method.label.lower()}). Lead auditor: {audit.lead_auditor.name}.",
                    f"/audits/{audit.id}",
                )
            )
    return reminders


def create_notifications(reminders: list[Reminder], *, email_enabled: bool) -> list[Notification]:
    """Store reminders not stored before (by dedupe key); return the new notifications."""
    if not reminders:
        return []
    keys = {r.dedupe_key for r in reminders}
    seen = set(db.session.scalars(sa.select(Notification.dedupe_key).where(Notification.dedupe_key.in_(keys))))
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_({r.user_id for r in reminders})))}
    created = []
    for reminder in reminders:
        user = users.get(reminder.user_id)
        if reminder.dedupe_key in seen or user is None or not user.active:
            continue
        seen.add(reminder.dedupe_key)
        note = Notification(
            user_id=user.id,
            kind=reminder.kind,
            subject=reminder.subject[:200],
            body=reminder.body,
            link=reminder.link,
            dedupe_key=reminder.dedupe_key,
            email_status=EmailStatus.PENDING if email_enabled else EmailStatus.NOT_SENT,
        )
        db.session.add(note)
        created.append(note)
    return created


def run_reminders(config: dict[str, Any]) -> int:
    """Find due reminders and store them once; the caller commits, then calls send_pending_email."""
    now = local_now(config["ORG_TIMEZONE"])
    horizon_days = max(config["REMINDER_AUDIT_DAYS"], config["REMINDER_SESSION_HOURS"] // 24 + 1)
    sessions = list(
        db.session.scalars(
            sa.select(AuditSession)
            .join(Audit)
            .where(
                Audit.status.in_(ACTIVE),
                AuditSession.removed_at.is_(None),
                AuditSession.day >= now.date(),
                AuditSession.day <= now.date() + timedelta(days=horizon_days),
            )
            .options(
                selectinload(AuditSession.auditors),
                selectinload(AuditSession.auditees),
                selectinload(AuditSession.audit),
            )
        )
    )
    audits = list(
        db.session.scalars(
            sa.select(Audit)
            .where(
                Audit.status.in_(ACTIVE),
                Audit.start_date >= now.date(),
                Audit.start_date <= now.date() + timedelta(days=config["REMINDER_AUDIT_DAYS"]),
            )
            .options(selectinload(Audit.team), selectinload(Audit.auditees), selectinload(Audit.lead_auditor))
        )
    )
    reminders = session_reminders(sessions, now, config["REMINDER_SESSION_HOURS"])
    reminders += audit_reminders(audits, now.date(), config["REMINDER_AUDIT_DAYS"])
    return len(create_notifications(reminders, email_enabled=bool(config.get("MAIL_SERVER"))))
