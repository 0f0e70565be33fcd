"""The audit plan's agenda: sessions, and the conflicts a lead auditor must see.

Each session names the auditee units it covers. A session where an auditor would interview their own unit, or
audit work they produced or manage (services/planning/impartiality.py), is refused unless a justified exception
is recorded for it; the exception names the threats it was accepted for, so a later change that adds a threat
needs a new one. Threats that appear after a session was saved are flagged among the agenda's conflicts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from audit_app.errors import NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    Audit,
    AuditAuditee,
    AuditSession,
    AuditStatus,
    ChecklistItem,
    OrgUnit,
    SessionActivity,
    User,
    utcnow,
)
from audit_app.services import access, activity
from audit_app.services.access import Need
from audit_app.services.planning import impartiality
from audit_app.services.planning.locks import ensure_unlocked
from audit_app.services.planning.team import NotImpartial, ensure_may_excuse, exception_text
from audit_app.services.text import clean

MAX_SESSION_MINUTES = 12 * 60


@dataclass(frozen=True)
class SessionData:
    day: date
    start_time: time
    duration_minutes: int
    activity: SessionActivity
    title: str
    location: str = ""
    remote_link: str = ""
    notes: str = ""
    item_ids: tuple[int, ...] = ()
    auditor_ids: tuple[int, ...] = ()
    auditee_ids: tuple[int, ...] = ()
    unit_ids: tuple[int, ...] = ()
    #: A justified exception for the impartiality threats the session raises (20 characters or more).
    exception: str = ""


@dataclass(frozen=True)
class SessionThreat:
    """One auditor's impartiality threat in one session, and whether a recorded exception covers it."""

    user: User
    threat: impartiality.Threat
    covered: bool

    @property
    def key(self) -> str:
        return f"{self.user.id}:{self.threat.key}"


def unit_choices(audit: Audit) -> dict[int, OrgUnit]:
    """The units a session may cover: the units in the audit's scope and every unit inside one, by name."""
    scope_ids = {u.id for u in audit.scope_units}
    if not scope_ids:
        return {}
    units = db.session.scalars(sa.select(OrgUnit).order_by(OrgUnit.name)).all()
    return {u.id: u for u in units if any(a.id in scope_ids for a in impartiality.lineage(u))}


def threats_in(
    audit: Audit,
    *,
    auditors: list[User],
    units: list[OrgUnit],
    items: list[ChecklistItem],
    auditees: list[AuditAuditee],
    covers: list[str] | None,
    duties: dict[int, impartiality.Responsibilities] | None = None,
) -> list[SessionThreat]:
    """Every threat to the impartiality of the session's auditors (observers are not bound).

    The units a session covers are the ones it names and the units its auditees come from. A threat is covered
    when the session's exception was accepted for it, or, for interviewing one's own unit, when the member holds
    an audit-level exception (which was accepted for exactly that); auditing one's own work needs its own.
    """
    members = {m.user_id: m for m in audit.team}
    covered_keys = set(covers or ())
    seen: dict[int, OrgUnit] = {u.id: u for u in units}
    for auditee in auditees:
        unit = auditee.org_unit or (auditee.user.org_unit if auditee.user is not None else None)
        if unit is not None:
            seen.setdefault(unit.id, unit)
    found: list[SessionThreat] = []
    for user in auditors:
        member = members.get(user.id)
        if member is None or member.role not in impartiality.BOUND_ROLES:
            continue
        mine = (
            duties[user.id] if duties is not None and user.id in duties else impartiality.responsibilities(user, audit)
        )
        for threat in impartiality.session_threats(user, mine, seen.values(), items):
            key = f"{user.id}:{threat.key}"
            held = threat.key.startswith("unit:") and bool(member.impartiality_exception.strip())
            found.append(SessionThreat(user, threat, key in covered_keys or held))
    return found


def load_sessions(audit: Audit) -> Audit:
    """The audit with its sessions and each session's units, clauses, auditors and auditees loaded together (a
    fixed number of statements whatever the number of sessions), for the agenda page and its conflict checks."""
    db.session.execute(
        sa.select(Audit)
        .where(Audit.id == audit.id)
        .options(
            selectinload(Audit.sessions).selectinload(AuditSession.units),
            selectinload(Audit.sessions).selectinload(AuditSession.items),
            selectinload(Audit.sessions).selectinload(AuditSession.auditors),
            selectinload(Audit.sessions).selectinload(AuditSession.auditees),
        )
        .execution_options(populate_existing=True)
    ).scalar_one()
    return audit


def get_session(audit: Audit, session_id: int) -> AuditSession:
    session = next((s for s in audit.sessions if s.id == session_id), None)
    if session is None:
        raise NotFound("That session is not on this audit's agenda.")
    return session


def save_session(audit: Audit, data: SessionData, *, actor: User, session: AuditSession | None = None) -> AuditSession:
    """Add or change an agenda session; auditors must be on the team, items in the audit's scope."""
    access.ensure(actor, audit, Need.MANAGE)
    ensure_unlocked(audit, "agenda")
    errors: dict[str, list[str]] = {}
    if not 5 <= data.duration_minutes <= MAX_SESSION_MINUTES:
        errors["duration_minutes"] = [f"Use between 5 and {MAX_SESSION_MINUTES} minutes."]
    link = clean(data.remote_link, field="remote_link", max_length=500)
    if link and not link.startswith(("https://", "http://")):
        errors["remote_link"] = ["Use a web address starting with https://."]
    team = {m.user_id: m.user for m in audit.team}
    stray = [i for i in data.auditor_ids if i not in team]
    if stray:
        errors["auditor_ids"] = ["Only members of the audit team can run a session."]
    auditees = {a.id: a for a in audit.auditees}
    if any(i not in auditees for i in data.auditee_ids):
        errors["auditee_ids"] = ["Only the audit's auditee representatives can attend as auditees."]
    scope = {i.id: i for i in audit.scope_items}
    if any(i not in scope for i in data.item_ids):
        errors["item_ids"] = ["Only clauses and controls in the audit's scope can be covered."]
    choices = unit_choices(audit) if data.unit_ids else {}
    if any(i not in choices for i in data.unit_ids):
        errors["unit_ids"] = ["Only units in the audit's scope, or part of one, can be covered."]
    if errors:
        raise ValidationFailed("The session is not valid.", errors)
    title = clean(data.title, field="title", max_length=200, required=True)
    exception = exception_text(data.exception)
    units = [choices[i] for i in dict.fromkeys(data.unit_ids)]
    items = [scope[i] for i in dict.fromkeys(data.item_ids)]
    auditors = [team[i] for i in dict.fromkeys(data.auditor_ids)]
    attending = [auditees[i] for i in dict.fromkeys(data.auditee_ids)]
    covers = list(session.exception_covers or ()) if session is not None else []
    found = threats_in(audit, auditors=auditors, units=units, items=items, auditees=attending, covers=covers)
    uncovered = [t for t in found if not t.covered]
    if uncovered and not exception:
        raise NotImpartial([t.threat.message for t in uncovered])
    if uncovered:
        ensure_may_excuse(actor, [t.user for t in uncovered])
    created = session is None
    session = session or AuditSession()
    session.day, session.start_time, session.duration_minutes = data.day, data.start_time, data.duration_minutes
    session.activity, session.title, session.remote_link = data.activity, title, link
    session.location = clean(data.location, field="location", max_length=200)
    session.notes = clean(data.notes, field="notes", max_length=4000, multiline=True)
    session.items, session.auditors, session.auditees, session.units = items, auditors, attending, units
    if created:
        audit.sessions.append(session)
    if uncovered:
        session.impartiality_exception = exception
        session.exception_covers = list(dict.fromkeys([*covers, *(t.key for t in uncovered)]))
        session.exception_recorded_by_id, session.exception_recorded_at = actor.id, utcnow()
        activity.record(
            actor,
            "audit.session_exception",
            audit,
            session=title,
            exception=exception,
            conflicts=[t.threat.message for t in uncovered],
        )
    activity.record(
        actor,
        "audit.session_saved" if not created else "audit.session_added",
        audit,
        session=title,
        day=data.day.isoformat(),
    )
    return session


def delete_session(audit: Audit, session: AuditSession, *, actor: User) -> None:
    """Take a session off the agenda; the row is kept (never deleted) and the change logged."""
    access.ensure(actor, audit, Need.MANAGE)
    ensure_unlocked(audit, "agenda")
    activity.record(
        actor,
        "audit.session_removed",
        audit,
        session=session.title,
        day=session.day.isoformat(),
        start=session.start_time.isoformat(timespec="minutes"),
    )
    session.removed_at, session.removed_by_id = utcnow(), actor.id  # kept for the record, off the agenda
    db.session.flush()
    db.session.expire(audit, ["sessions"])


@dataclass(frozen=True)
class Slot:
    """A plain view of a session for conflict checks."""

    session_id: int
    audit_id: int
    label: str
    starts: datetime
    ends: datetime
    people: frozenset[tuple[str, int]]  # ("user", id) or ("auditee", id)
    names: dict[tuple[str, int], str]


@dataclass(frozen=True)
class PlanConflict:
    kind: str  # "double_booked", "outside_dates", "uncovered", "not_impartial"
    message: str
    session_ids: tuple[int, ...] = ()


def _slot(session: AuditSession) -> Slot:
    people: dict[tuple[str, int], str] = {("user", u.id): u.name for u in session.auditors}
    for auditee in session.auditees:
        key = ("user", auditee.user_id) if auditee.user_id else ("auditee", auditee.id)
        people[key] = auditee.name
    return Slot(
        session.id,
        session.audit_id,
        f"{session.title} ({session.day:%d %b} {session.start_time:%H:%M})",
        session.starts,
        session.ends,
        frozenset(people),
        people,
    )


def detect_conflicts(
    audit_start: date,
    audit_end: date,
    own: Iterable[Slot],
    others: Iterable[Slot],
    scope: Iterable[tuple[str, str]],
    covered: Iterable[str],
) -> list[PlanConflict]:
    """Find double bookings, sessions outside the audit dates and in-scope items no session covers."""
    own = sorted(own, key=lambda s: (s.starts, s.session_id))
    conflicts: list[PlanConflict] = []
    for slot in own:
        if not audit_start <= slot.starts.date() <= audit_end or slot.ends.date() > audit_end:
            conflicts.append(
                PlanConflict(
                    "outside_dates",
                    f"{slot.label} falls outside the audit dates ({audit_start:%d %b %Y} to {audit_end:%d %b %Y}).",
                    (slot.session_id,),
                )
            )
    candidates = own + sorted(others, key=lambda s: (s.starts, s.session_id))
    for index, first in enumerate(own):
        for second in candidates[index + 1 :]:
            if second.session_id == first.session_id or not (first.starts < second.ends and second.starts < first.ends):
                continue
            for person in sorted(first.people & second.people):
                where = "" if second.audit_id == first.audit_id else " of another audit"
                conflicts.append(
                    PlanConflict(
                        "double_booked",
                        f"{first.names[person]} is in two sessions at once: {first.label} and {second.label}{where}.",
                        (first.session_id, second.session_id),
                    )
                )
    covered_refs = set(covered)
    for ref, title in scope:
        if ref not in covered_refs:
            conflicts.append(PlanConflict("uncovered", f"{ref} {title} is in scope but no session covers it."))
    return conflicts


def conflicts_for(audit: Audit) -> list[PlanConflict]:
    """Conflicts in this audit's plan, including people booked in other open audits at the same time."""
    own = [_slot(s) for s in audit.sessions]
    days = {s.day for s in audit.sessions}
    others: list[Slot] = []
    if days:
        stmt = (
            sa.select(AuditSession)
            .join(Audit)
            .options(selectinload(AuditSession.auditors), selectinload(AuditSession.auditees))
            .where(
                AuditSession.day.in_(days),
                AuditSession.audit_id != audit.id,
                Audit.status.not_in([AuditStatus.CANCELLED, AuditStatus.CLOSED]),
                AuditSession.removed_at.is_(None),
            )
        )
        others = [_slot(s) for s in db.session.scalars(stmt)]
    covered = {item.ref for s in audit.sessions for item in s.items}
    scope = [(i.ref, i.title) for i in audit.scope_items]
    return detect_conflicts(audit.start_date, audit.end_date, own, others, scope, covered) + impartiality_conflicts(
        audit
    )


def impartiality_conflicts(audit: Audit) -> list[PlanConflict]:
    """Sessions where an auditor is not impartial and no exception covers it (ISO/IEC 42001 9.2.2)."""
    duties = {m.user_id: impartiality.responsibilities(m.user, audit) for m in audit.team}
    return [
        PlanConflict(
            "not_impartial",
            f"{found.threat.message} Session: {session.title} ({session.day:%d %b} {session.start_time:%H:%M}).",
            (session.id,),
        )
        for session in audit.sessions
        for found in threats_in(
            audit,
            auditors=list(session.auditors),
            units=list(session.units),
            items=list(session.items),
            auditees=list(session.auditees),
            covers=session.exception_covers,
            duties=duties,
        )
        if not found.covered
    ]
