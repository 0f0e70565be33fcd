"""Audit programmes: create and change them, with their grade scheme, due-date policy and life cycle.

A programme is drafted, made active, and closed; it can go back to draft while active and be reopened once
closed (PROGRAMME_LIFECYCLE). Lead auditors and administrators make every move; each is in the activity trail.
A programme whose stated extent is not met (an audit not completed, a clause or control nobody audited) is
closed only with a reason, kept with the shortfalls as a ProgrammeClosure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from audit_app.errors import InvalidTransition, NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    DUE_STEPS,
    Audit,
    AuditProgramme,
    AuditStatus,
    ChecklistVersion,
    ProgrammeClosure,
    ProgrammeStatus,
    User,
)
from audit_app.models.programme import default_due_policy, default_grades
from audit_app.services import access, activity
from audit_app.services.paging import Page, PageRequest, paginate, shown_with
from audit_app.services.planning import coverage
from audit_app.services.text import clean
from audit_app.workflow import Transition, Wording, Workflow, move

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,19}$")
GRADE_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
TEXT_FIELDS = ("objectives", "risks", "opportunities", "extent", "resources", "methods")

P = ProgrammeStatus
#: Who moves a programme: the account roles that plan (an actor's roles are {actor.role.value}).
MOVERS = tuple(role.value for role in access.PLANNERS)


def _record(
    programme: AuditProgramme,
    transition: Transition[ProgrammeStatus],
    source: ProgrammeStatus,
    actor: User,
    reason: str,
) -> None:
    activity.record(actor, "programme.status_changed", programme, source=source.value, target=transition.target.value)


def _to(target: ProgrammeStatus, *sources: ProgrammeStatus, **kwargs: Any) -> Transition[ProgrammeStatus]:
    """A move named after its target state ("move to active")."""
    return move(sources, target.value, target, roles=MOVERS, **kwargs)


#: Audits that count as completed for the programme's extent.
COMPLETED = (AuditStatus.FOLLOW_UP, AuditStatus.CLOSED)


def _refs(refs: list[str]) -> str:
    return ", ".join(refs)


def extent_shortfalls(programme: AuditProgramme) -> list[str]:
    """Where the programme falls short of its stated extent (ISO 19011 5.4.3): planned audits not completed or
    cancelled, and clauses or controls of its checklist that no audit concluded ("not audited" does not count).
    Empty when the extent is met."""
    shortfalls: list[str] = []
    statuses = db.session.execute(
        sa.select(Audit.reference, Audit.status).where(Audit.programme_id == programme.id).order_by(Audit.sequence)
    ).all()
    if not statuses:
        shortfalls.append("No audit was planned in the programme.")
    unfinished = [ref for ref, status in statuses if status not in COMPLETED and status is not AuditStatus.CANCELLED]
    if unfinished:
        shortfalls.append(f"{len(unfinished)} planned audit(s) not completed: {_refs(unfinished)}.")
    cancelled = [ref for ref, status in statuses if status is AuditStatus.CANCELLED]
    if cancelled:
        shortfalls.append(f"{len(cancelled)} audit(s) cancelled: {_refs(cancelled)}.")
    matrix = coverage.programme_coverage(programme, with_suggestions=False)
    missing = [row.key for row in matrix.rows if not row.achieved]
    if missing:
        shortfalls.append(
            f"{len(missing)} of {len(matrix.rows)} clauses and controls were not audited in the programme: "
            f"{_refs(missing)}."
        )
    return shortfalls


def _keep_closure(programme: AuditProgramme, actor: User, reason: str) -> None:
    """Keep the reason for closing a programme whose extent was not met, with the shortfalls as they were."""
    shortfalls = extent_shortfalls(programme)
    if shortfalls:
        db.session.add(
            ProgrammeClosure(programme_id=programme.id, shortfalls=shortfalls, reason=reason, closed_by_id=actor.id)
        )


def ensure_closable(programme: AuditProgramme, reason: str) -> None:
    """Refuse to close a programme whose stated extent is not met unless a reason is given (listing what is
    missing)."""
    shortfalls = extent_shortfalls(programme)
    if shortfalls and not reason.strip():
        message = (
            "The programme's stated extent is not met: "
            + " ".join(shortfalls)
            + " Give the reason for closing it anyway."
        )
        raise InvalidTransition(message)


def closures(programme: AuditProgramme) -> list[ProgrammeClosure]:
    """Every time the programme was closed short of its extent, newest first."""
    return list(
        db.session.scalars(
            sa.select(ProgrammeClosure)
            .where(ProgrammeClosure.programme_id == programme.id)
            .order_by(ProgrammeClosure.id.desc())
        )
    )


#: The programme life cycle: draft → active → closed, back to draft while active, reopened once closed.
PROGRAMME_LIFECYCLE: Workflow[ProgrammeStatus] = Workflow(
    "programme",
    [
        _to(P.ACTIVE, P.DRAFT, P.CLOSED),
        _to(P.CLOSED, P.ACTIVE, effects=[_keep_closure]),
        _to(P.DRAFT, P.ACTIVE),
    ],
    states=ProgrammeStatus,
    wording=Wording(
        not_allowed="Only lead auditors and administrators manage audit programmes.",
        not_in_table=lambda noun, state, action, moves: (
            f"A programme in {state.label.lower()} cannot move to {P(action).label.lower()}. "
            f"Allowed: {', '.join(t.target.label.lower() for t in moves) or 'none'}."
        ),
    ),
    record=_record,
)


@dataclass(frozen=True)
class ProgrammeData:
    code: str
    title: str
    period_start: date
    period_end: date
    checklist_version_id: int
    objectives: str = ""
    risks: str = ""
    opportunities: str = ""
    extent: str = ""
    resources: str = ""
    methods: str = ""
    status: ProgrammeStatus = ProgrammeStatus.DRAFT
    grade_scheme: list[dict[str, Any]] | None = None
    due_policy: dict[str, dict[str, int | None]] | None = field(default=None)
    #: Who manages the programme; None keeps the current manager (a new programme: whoever creates it).
    manager_id: int | None = None
    #: Why the programme is closed although its stated extent is not met (required then).
    closing_reason: str = ""
    #: Certification-body profile (DOMAIN 2.8): majors of stage 2 simulations block the simulated decision.
    certification_profile: bool = False


def manager_candidates() -> list[User]:
    """Who may manage a programme: active lead auditors and administrators, by name."""
    stmt = sa.select(User).where(User.active.is_(True), User.role.in_(access.PLANNERS)).order_by(User.name, User.id)
    return list(db.session.scalars(stmt))


def _manager(user_id: int | None) -> User | None:
    """The named programme manager: an active lead auditor or administrator (ISO 19011 5.4.1)."""
    if user_id is None:
        return None
    user = db.session.get(User, user_id) if 0 < user_id <= access.MAX_ID else None
    if user is None or not user.active or user.role not in access.PLANNERS:
        raise ValidationFailed.on(
            "manager_id", "Choose an active lead auditor or administrator to manage the programme."
        )
    return user


@dataclass(frozen=True)
class ProgrammeOption:
    """What a choice of programme shows (no relationships, no grade scheme)."""

    id: int
    code: str
    title: str

    @property
    def label(self) -> str:
        return f"{self.code}: {self.title}"


def programme_options() -> list[ProgrammeOption]:
    """Every programme as a choice, newest period first, in one narrow query (lists are paged: programmes_page)."""
    stmt = sa.select(AuditProgramme.id, AuditProgramme.code, AuditProgramme.title).order_by(
        AuditProgramme.period_start.desc(), AuditProgramme.id.desc()
    )
    return [ProgrammeOption(*row) for row in db.session.execute(stmt)]


def programmes_page(request: PageRequest, *, clamp: bool = False) -> Page[AuditProgramme]:
    """One page of the programmes, newest period first, each with its checklist version and manager."""
    stmt = (
        sa.select(AuditProgramme)
        .options(*shown_with(AuditProgramme.checklist_version, AuditProgramme.manager))
        .order_by(AuditProgramme.period_start.desc(), AuditProgramme.id.desc())
    )
    return paginate(stmt, request, clamp=clamp)


def audit_counts(programme_ids: list[int] | None = None) -> dict[int, int]:
    """The number of audits in each programme (by programme id; only those given), in one query."""
    stmt = sa.select(Audit.programme_id, sa.func.count(Audit.id).label("audits")).group_by(Audit.programme_id)
    if programme_ids is not None:
        stmt = stmt.where(Audit.programme_id.in_(programme_ids))
    return {row.programme_id: row.audits for row in db.session.execute(stmt)}


def get_programme(programme_id: int) -> AuditProgramme:
    programme = db.session.get(AuditProgramme, programme_id) if 0 < programme_id <= access.MAX_ID else None
    if programme is None:
        raise NotFound(f"Audit programme {programme_id} does not exist.")
    return programme


def validate_grades(grades: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Check a grade scheme: unique lower-case codes, labels, at least one nonconformity grade."""
    errors, seen, cleaned = [], set(), []
    for index, grade in enumerate(grades, start=1):
        code = str(grade.get("code", "")).strip()
        try:
            label = clean(str(grade.get("label", "")), field="grade label", max_length=80)
        except ValidationFailed as exc:  # report it under grade_scheme, with the others
            label = "?"
            errors += [f"Grade {index}: {m}" for messages in exc.errors.values() for m in messages]
        if not GRADE_CODE_RE.match(code):
            errors.append(f"Grade {index}: the code must be lower-case letters, digits or _ (got {code!r}).")
        elif code in seen:
            errors.append(f"Grade {index}: the code {code!r} is used twice.")
        if not label:
            errors.append(f"Grade {index}: give it a label.")
        seen.add(code)
        cleaned.append({"code": code, "label": label, "nonconformity": bool(grade.get("nonconformity"))})
    if not cleaned:
        errors.append("The grade scheme needs at least one grade.")
    elif not any(g["nonconformity"] for g in cleaned):
        errors.append("At least one grade must be a nonconformity.")
    if errors:
        raise ValidationFailed("The grade scheme is not valid.", {"grade_scheme": errors})
    return cleaned


def validate_due_policy(policy: dict[str, dict[str, Any]], grades: list[dict[str, Any]]) -> dict[str, Any]:
    """Check the due-date policy: one entry per grade, each step a whole number of days (1 to 730) or empty."""
    errors, cleaned = [], {}
    codes = [g["code"] for g in grades]
    for code in codes:
        steps = policy.get(code) or {}
        row: dict[str, int | None] = {}
        for step in DUE_STEPS:
            value = steps.get(step)
            if value in (None, ""):
                row[step] = None
                continue
            if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdecimal():
                errors.append(f"{code} / {step}: use a whole number of days or leave it empty.")
                continue
            number = int(value)
            if not 0 < number <= 730:
                errors.append(f"{code} / {step}: use between 1 and 730 days.")
            row[step] = number
        cleaned[code] = row
    unknown = sorted(set(policy) - set(codes))
    if unknown:
        errors.append("The policy names grades that are not in the scheme: " + ", ".join(unknown) + ".")
    if errors:
        raise ValidationFailed("The due-date policy is not valid.", {"due_policy": errors})
    return cleaned


def save_programme(data: ProgrammeData, *, actor: User, programme: AuditProgramme | None = None) -> AuditProgramme:
    """Create or change a programme after checking its period, reference checklist and grade scheme.

    A new programme starts in the status given; changing an existing one's status is a move of
    PROGRAMME_LIFECYCLE (refused, with nothing changed, when the table does not allow it).
    """
    access.ensure_can_manage_programme(actor, programme)
    code = (data.code or "").strip()
    if not CODE_RE.match(code):
        raise ValidationFailed(
            "The period code is not valid.", {"code": ["Use up to 20 letters, digits or hyphens, e.g. 2026."]}
        )
    clash = db.session.scalar(sa.select(AuditProgramme).where(AuditProgramme.code == code))
    if clash is not None and clash is not programme:
        raise ValidationFailed("A programme with this code exists.", {"code": ["This code is already used."]})
    if programme is not None and programme.audits and code != programme.code:
        raise ValidationFailed(
            "The code is part of the audit references.",
            {"code": ["The code cannot change once audits are numbered with it."]},
        )
    title = clean(data.title, field="title", max_length=200, required=True)
    if data.period_end < data.period_start:
        raise ValidationFailed(
            "The period ends before it starts.", {"period_end": ["The end date must be on or after the start date."]}
        )
    if (data.period_end - data.period_start).days > 3 * 366:
        raise ValidationFailed("The period is too long.", {"period_end": ["A programme covers at most three years."]})
    version = db.session.get(ChecklistVersion, data.checklist_version_id)
    if version is None:
        raise ValidationFailed("Unknown checklist.", {"checklist_version_id": ["Choose a checklist version."]})
    texts = {name: clean(getattr(data, name), field=name, max_length=10000, multiline=True) for name in TEXT_FIELDS}
    manager = _manager(data.manager_id)
    grades = validate_grades(
        data.grade_scheme
        if data.grade_scheme is not None
        else (programme.grade_scheme if programme else default_grades())
    )
    if data.due_policy is None:  # keep the current (or default) policy for the grades that remain
        base = programme.due_policy if programme else default_due_policy()
        codes = {g["code"] for g in grades}
        policy = validate_due_policy({k: v for k, v in base.items() if k in codes}, grades)
    else:
        policy = validate_due_policy(data.due_policy, grades)
    status = ProgrammeStatus(data.status)
    if programme is not None and status is not programme.status:
        reason = clean(data.closing_reason, field="closing_reason", max_length=10000, multiline=True)
        PROGRAMME_LIFECYCLE.check(programme, status.value, roles={actor.role.value})
        if status is P.CLOSED:
            try:
                ensure_closable(programme, reason)
            except InvalidTransition as exc:
                raise ValidationFailed(str(exc), {"closing_reason": [str(exc)]}) from None
        PROGRAMME_LIFECYCLE.apply(programme, status.value, roles={actor.role.value}, actor=actor, reason=reason)
    created = programme is None
    programme = programme or AuditProgramme(created_by_id=actor.id, status=status)
    programme.code, programme.title = code, title
    programme.period_start, programme.period_end = data.period_start, data.period_end
    programme.checklist_version_id = version.id
    if manager is not None:
        programme.manager_id = manager.id
    elif programme.manager_id is None:
        programme.manager_id = actor.id
    for name, value in texts.items():
        setattr(programme, name, value)
    programme.grade_scheme, programme.due_policy = grades, policy
    programme.certification_profile = bool(data.certification_profile)
    version.locked = True  # the coverage matrix is measured against this version from now on
    if created:
        db.session.add(programme)
    activity.record(actor, "programme.created" if created else "programme.updated", programme, code=code)
    return programme
