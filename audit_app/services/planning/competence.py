"""Auditor competence (ISO 19011 5.4.2, 7): profiles, audits performed, evaluations, and what a team covers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from audit_app.errors import NotAllowed, NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    Audit,
    AuditorEvaluation,
    AuditorProfile,
    AuditStatus,
    AuditTeamMember,
    ChecklistItem,
    CompetenceArea,
    EvaluationRating,
    Organisation,
    OrgUnit,
    Role,
    TeamRole,
    User,
)
from audit_app.models.org import sector_lines
from audit_app.services import activity
from audit_app.services.access import MAX_ID, PLANNERS
from audit_app.services.paging import Page, PageRequest, paginate
from audit_app.services.text import clean

#: Accounts that can audit, so have an auditor profile (management users only observe).
AUDITOR_ACCOUNTS = (Role.ADMIN, Role.LEAD_AUDITOR, Role.AUDITOR)
#: Audits whose fieldwork is over: their team members can be evaluated.
EVALUABLE = (AuditStatus.REPORTING, AuditStatus.FOLLOW_UP, AuditStatus.CLOSED)
REF = re.compile(r"^(A\.)?\d{1,2}(\.\d{1,2}){0,3}$")


@dataclass(frozen=True)
class ProfileData:
    qualifications: str = ""
    training: str = ""
    areas: tuple[CompetenceArea, ...] = ()
    ai_knowledge: str = ""
    sectors: str = ""
    responsible_refs: tuple[str, ...] = ()
    responsible_unit_ids: tuple[int, ...] = ()


def ensure_may_read(actor: User, user: User) -> None:
    """Planners read every profile; everyone reads their own."""
    if actor.role not in PLANNERS and actor.id != user.id:
        raise NotAllowed("Only lead auditors, administrators and the person themselves see an auditor profile.")


def get_auditor(user_id: int) -> User:
    user = db.session.get(User, user_id) if 0 < user_id <= MAX_ID else None
    if user is None or user.role not in AUDITOR_ACCOUNTS:
        raise NotFound("There is no auditor with that id.")
    return user


def get_profile(user: User) -> AuditorProfile | None:
    return db.session.scalar(
        sa.select(AuditorProfile)
        .options(selectinload(AuditorProfile.responsible_units))
        .where(AuditorProfile.user_id == user.id)
    )


def auditors_page(request: PageRequest, *, clamp: bool = False) -> Page[tuple[User, AuditorProfile | None]]:
    """One page of the people who can audit, each with their profile (two statements whatever the size)."""
    stmt = (
        sa.select(User, AuditorProfile)
        .outerjoin(AuditorProfile, AuditorProfile.user_id == User.id)
        .where(User.role.in_(AUDITOR_ACCOUNTS), User.active.is_(True))
        .order_by(User.name, User.id)
    )
    return paginate(cast("sa.Select[Any]", stmt), request, clamp=clamp, rows=True)


def _refs(refs: tuple[str, ...]) -> list[str]:
    wanted = list(dict.fromkeys(r.strip() for r in refs if r.strip()))
    bad = [r for r in wanted if not REF.match(r)]
    known = (
        set(db.session.scalars(sa.select(ChecklistItem.ref).where(ChecklistItem.ref.in_(wanted)))) if wanted else set()
    )
    unknown = [r for r in wanted if r not in known]
    if bad or unknown:
        raise ValidationFailed(
            "Unknown clause or control.",
            {
                "responsible_refs": [
                    "Use clause or control ids of the library, e.g. 6.1.2 or A.5.2: " + ", ".join(bad or unknown)
                ]
            },
        )
    return wanted


def save_profile(user: User, data: ProfileData, *, actor: User) -> AuditorProfile:
    """Record what the person brings to a team and what they are responsible for (planners only)."""
    if actor.role not in PLANNERS:
        raise NotAllowed("Only lead auditors and administrators keep auditor profiles.")
    refs = _refs(data.responsible_refs)
    unit_ids = list(dict.fromkeys(data.responsible_unit_ids))
    units = list(db.session.scalars(sa.select(OrgUnit).where(OrgUnit.id.in_(unit_ids)))) if unit_ids else []
    if len(units) != len(unit_ids):
        raise ValidationFailed("Unknown org unit.", {"responsible_unit_ids": ["Choose existing units."]})
    profile = get_profile(user) or AuditorProfile(user=user)
    profile.qualifications = clean(data.qualifications, field="qualifications", max_length=4000, multiline=True)
    profile.training = clean(data.training, field="training", max_length=4000, multiline=True)
    profile.ai_knowledge = clean(data.ai_knowledge, field="ai_knowledge", max_length=4000, multiline=True)
    profile.sectors = clean(data.sectors, field="sectors", max_length=2000, multiline=True)
    profile.areas = [a.value for a in CompetenceArea if a in data.areas]
    profile.responsible_refs, profile.responsible_units = refs, units
    profile.updated_by_id = actor.id
    db.session.add(profile)
    activity.record(
        actor, "auditor.profile_saved", profile, user_id=user.id, areas=profile.areas, responsible_refs=refs
    )
    return profile


def audits_performed(user: User) -> list[tuple[AuditTeamMember, Audit]]:
    """The audits the person sits or sat on, newest first, with their role (from the team records)."""
    stmt = (
        sa.select(AuditTeamMember, Audit)
        .join(Audit, Audit.id == AuditTeamMember.audit_id)
        .where(AuditTeamMember.user_id == user.id, AuditTeamMember.removed_at.is_(None))
        .order_by(Audit.start_date.desc(), Audit.id.desc())
    )
    return [(row[0], row[1]) for row in db.session.execute(stmt)]


def evaluations(user: User) -> list[AuditorEvaluation]:
    stmt = (
        sa.select(AuditorEvaluation)
        .options(selectinload(AuditorEvaluation.evaluator), selectinload(AuditorEvaluation.audit))
        .where(AuditorEvaluation.user_id == user.id)
        .order_by(AuditorEvaluation.evaluated_at.desc(), AuditorEvaluation.id.desc())
    )
    return list(db.session.scalars(stmt))


def evaluable_audits(user: User) -> list[Audit]:
    """Audits of the person whose fieldwork is over (an evaluation follows each audit)."""
    return [audit for member, audit in audits_performed(user) if audit.status in EVALUABLE]


def record_evaluation(
    user: User, audit_id: int, rating: EvaluationRating, comment: str, *, actor: User
) -> AuditorEvaluation:
    """Evaluate the person's performance on one audit (ISO 19011 7.6): by the audit's lead for the team, by an
    administrator or the programme manager for the lead; never by the person themselves."""
    audit = db.session.get(Audit, audit_id)
    member = (
        db.session.scalar(
            sa.select(AuditTeamMember).where(
                AuditTeamMember.audit_id == audit_id,
                AuditTeamMember.user_id == user.id,
                AuditTeamMember.removed_at.is_(None),
            )
        )
        if audit is not None
        else None
    )
    if audit is None or member is None:
        raise ValidationFailed(
            "Choose an audit of theirs.", {"audit_id": [f"{user.name} was not on that audit's team."]}
        )
    if actor.id == user.id:
        raise NotAllowed("Nobody evaluates themselves.")
    allowed = actor.is_admin or audit.programme.manager_id == actor.id
    allowed = allowed or (actor.id == audit.lead_auditor_id and member.role is not TeamRole.LEAD_AUDITOR)
    if not allowed:
        raise NotAllowed(
            "The audit's lead auditor evaluates the team; an administrator or the programme manager evaluates the lead."
        )
    if audit.status not in EVALUABLE:
        raise ValidationFailed(
            "Too early to evaluate.",
            {"audit_id": ["Evaluate after the fieldwork: the audit must be in reporting or later."]},
        )
    text = clean(comment, field="comment", max_length=4000, multiline=True)
    if rating in (EvaluationRating.PARTLY, EvaluationRating.NOT_MET) and not text:
        raise ValidationFailed(
            "Say what fell short.", {"comment": ["Explain the rating: what fell short and what to develop."]}
        )
    evaluation = AuditorEvaluation(user=user, audit=audit, evaluator=actor, rating=rating, comment=text)
    db.session.add(evaluation)
    activity.record(actor, "auditor.evaluated", evaluation, user_id=user.id, audit_id=audit.id, rating=rating.value)
    return evaluation


# --- What the team covers ----------------------------------------------------------------------------------------

#: Team roles that count towards the team's competence (observers and trainees do not).
COUNTED = frozenset({TeamRole.LEAD_AUDITOR, TeamRole.AUDITOR, TeamRole.TECHNICAL_EXPERT})
#: Auditing knowledge comes from auditors; a technical expert brings subject knowledge only (ISO 19011 7.2.3.4).
AUDITORS = frozenset({TeamRole.LEAD_AUDITOR, TeamRole.AUDITOR})


@dataclass(frozen=True)
class CompetenceNeed:
    """One thing the scope needs the team to know, and who on the team brings it."""

    label: str
    why: str
    met_by: tuple[str, ...]

    @property
    def met(self) -> bool:
        return bool(self.met_by)


def _area_need(label: str, why: str, area: CompetenceArea, members: list, roles: frozenset) -> CompetenceNeed:
    return CompetenceNeed(label, why, tuple(m.user.name for m, p in members if p and m.role in roles and p.has(area)))


def team_coverage(audit: Audit) -> list[CompetenceNeed]:
    """The competence the audit's scope needs, each need met or not by the current team (one query)."""
    team = [m for m in audit.team if m.role in COUNTED]
    profiles = (
        {
            p.user_id: p
            for p in db.session.scalars(
                sa.select(AuditorProfile).where(AuditorProfile.user_id.in_([m.user_id for m in team]))
            )
        }
        if team
        else {}
    )
    members = [(m, profiles.get(m.user_id)) for m in team]
    lead = [(m, p) for m, p in members if m.role is TeamRole.LEAD_AUDITOR]
    needs = [
        _area_need(
            "The lead auditor knows audit principles and methods",
            "ISO 19011 7.2.3.4: the team leader manages the audit and the team.",
            CompetenceArea.AUDITING,
            lead,
            AUDITORS,
        ),
        _area_need(
            "An auditor trained on ISO/IEC 42001",
            "The audit criteria are the requirements of ISO/IEC 42001.",
            CompetenceArea.ISO42001,
            members,
            AUDITORS,
        ),
    ]
    systems = [s.name for s in audit.scope_systems]
    if systems:
        needs.append(
            _area_need(
                "Someone with AI and machine-learning technical knowledge",
                "AI systems are in scope: " + ", ".join(systems) + ".",
                CompetenceArea.AI_ML,
                members,
                COUNTED,
            )
        )
    data_controls = [i.ref for i in audit.scope_items if i.ref.startswith("A.7.")]
    if data_controls:
        needs.append(
            _area_need(
                "Someone with data management and data quality knowledge",
                "Data controls are in scope: " + ", ".join(data_controls) + ".",
                CompetenceArea.DATA,
                members,
                COUNTED,
            )
        )
    needs.append(sector_need(members))
    return needs


SECTOR_WHY = "Findings must be judged in the context of the sector's practices and rules (ISO 19011 7.2.3.3)."


def _sector_key(name: str) -> str:
    """How sectors are compared: ignoring case and runs of spaces ("Consumer  Lending" is "consumer lending")."""
    return " ".join(name.casefold().split())


def sector_need(members: list[tuple[AuditTeamMember, AuditorProfile | None]]) -> CompetenceNeed:
    """Met by counted members whose sectors include one the organisation names (each shown with the sectors
    matched); when the organisation names none, by anyone who names a sector."""
    wanted = sector_lines(db.session.scalar(sa.select(Organisation.sectors).order_by(Organisation.id).limit(1)))
    label = "Someone who knows the organisation's sector"
    if not wanted:
        return CompetenceNeed(
            label,
            SECTOR_WHY + " The organisation profile names no sector, so knowledge of any sector counts.",
            tuple(f"{m.user.name} ({', '.join(p.sector_list)})" for m, p in members if p and p.sector_list),
        )
    keys = {_sector_key(sector) for sector in wanted}
    met_by = []
    for member, profile in members:
        matched = [s for s in profile.sector_list if _sector_key(s) in keys] if profile else []
        if matched:
            met_by.append(f"{member.user.name} ({', '.join(matched)})")
    return CompetenceNeed(label, SECTOR_WHY + " The organisation works in: " + ", ".join(wanted) + ".", tuple(met_by))
