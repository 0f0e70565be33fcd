"""What the audit achieved and what it concludes (ISO 19011 6.4.9).

`achievement` sets what was planned (the auditable clauses and controls in scope) beside what was actually
audited (items concluded), what was closed as "not audited" (with its reason) and what is still open. The team
conference records the audit conclusion: how far the criteria are fulfilled overall and for each clause and
Annex A control area in scope. `reporting_blockers` is the gate the audit passes before the report is written.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from audit_app.errors import Conflict, ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    AreaConclusion,
    Audit,
    AuditConference,
    AuditStatus,
    ChecklistItem,
    ChecklistResponse,
    Fulfilment,
    ResponseResult,
    Sample,
    SampleStatus,
    User,
)
from audit_app.models.audit import audit_scope_item
from audit_app.services import access, activity
from audit_app.services.access import Need
from audit_app.services.fieldwork import responses
from audit_app.services.planning.locks import ensure_unlocked
from audit_app.services.text import clean

R = ResponseResult
#: Results that conclude an item: it was audited and judged.
CONCLUDED = frozenset({R.CONFORMING, R.NONCONFORMITY, R.OBSERVATION, R.OFI, R.NOT_APPLICABLE})
#: An area conclusion that these results contradict.
CONTRADICTED = {
    R.NONCONFORMITY: frozenset({Fulfilment.FULFILLED, Fulfilment.LARGELY_FULFILLED, Fulfilment.NOT_DETERMINED}),
}
TEXT_MAX = 10000


def area_of(ref: str) -> str:
    """The clause (4 to 10) or Annex A control area (A.2 to A.10) an item belongs to."""
    parts = ref.split(".")
    return ".".join(parts[:2]) if parts[0] == "A" and len(parts) > 1 else parts[0]


def _area_order(area: str) -> tuple[int, int]:
    parts = area.split(".")
    if parts[0] == "A":
        return (1, int(parts[1]) if parts[1].isdigit() else 0)
    return (0, int(parts[0]) if parts[0].isdigit() else 0)


@dataclass(frozen=True)
class ItemState:
    ref: str
    title: str
    result: ResponseResult | None  # None: no response yet (fieldwork has not started)
    reason: str

    @property
    def concluded(self) -> bool:
        return self.result in CONCLUDED


@dataclass(frozen=True)
class Area:
    key: str
    title: str
    items: tuple[ItemState, ...]
    results: dict[ResponseResult, int] = field(default_factory=dict)

    @property
    def planned(self) -> int:
        return len(self.items)

    @property
    def achieved(self) -> int:
        return sum(1 for i in self.items if i.concluded)


@dataclass(frozen=True)
class Achievement:
    """Planned against achieved for one audit (auditable items only; group headings never count)."""

    areas: tuple[Area, ...]

    @property
    def items(self) -> list[ItemState]:
        return [i for a in self.areas for i in a.items]

    @property
    def planned(self) -> int:
        return len(self.items)

    @property
    def achieved(self) -> int:
        return sum(1 for i in self.items if i.concluded)

    @property
    def not_audited(self) -> list[ItemState]:
        return [i for i in self.items if i.result is R.NOT_AUDITED]

    @property
    def open(self) -> list[ItemState]:
        """Items with no conclusion yet: not assessed, or "not audited" without a reason."""
        return [
            i
            for i in self.items
            if i.result in (None, R.NOT_ASSESSED) or (i.result is R.NOT_AUDITED and not i.reason.strip())
        ]

    @property
    def percent(self) -> int:
        return round(100 * self.achieved / self.planned) if self.planned else 0


def achievement(audit: Audit) -> Achievement:
    """The audit's auditable in-scope items with their result, grouped by area, in two narrow queries."""
    rows = db.session.execute(
        sa.select(ChecklistItem.ref, ChecklistItem.title, ChecklistResponse.result, ChecklistResponse.reason)
        .join(audit_scope_item, audit_scope_item.c.checklist_item_id == ChecklistItem.id)
        .outerjoin(
            ChecklistResponse,
            sa.and_(ChecklistResponse.audit_id == audit.id, ChecklistResponse.checklist_item_id == ChecklistItem.id),
        )
        .where(audit_scope_item.c.audit_id == audit.id, ChecklistItem.auditable.is_(True))
        .order_by(ChecklistItem.version_id, ChecklistItem.position)
    ).all()
    grouped: dict[str, list[ItemState]] = {}
    for ref, title, result, reason in rows:
        grouped.setdefault(area_of(ref), []).append(ItemState(ref, title, result, reason or ""))
    titles = _area_titles(audit, list(grouped))
    areas = tuple(
        Area(key, titles.get(key, ""), tuple(items), dict(Counter(i.result for i in items if i.result is not None)))
        for key, items in sorted(grouped.items(), key=lambda kv: _area_order(kv[0]))
    )
    return Achievement(areas)


def _area_titles(audit: Audit, keys: list[str]) -> dict[str, str]:
    if not keys:
        return {}
    version_ids = [v.id for v in audit.criteria]
    rows = db.session.execute(
        sa.select(ChecklistItem.ref, ChecklistItem.title).where(
            ChecklistItem.version_id.in_(version_ids), ChecklistItem.ref.in_(keys)
        )
    )
    return {str(ref): str(title) for ref, title in rows}


# --- the team conference ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaData:
    area: str
    fulfilment: Fulfilment
    statement: str


@dataclass(frozen=True)
class ConferenceData:
    held_at: datetime
    participants: str
    fulfilment: Fulfilment
    conclusion: str
    objectives_met: bool = True
    obstacles: str = ""
    recommendations: str = ""
    follow_up: str = ""
    areas: tuple[AreaData, ...] = ()


def get_conference(audit: Audit) -> AuditConference | None:
    return db.session.scalar(sa.select(AuditConference).where(AuditConference.audit_id == audit.id))


def save_conference(audit: Audit, data: ConferenceData, *, actor: User) -> AuditConference:
    """Record the team conference and its conclusion, overall and for every area in scope.

    Only once fieldwork has started; an area's conclusion cannot contradict its results (an area with a
    nonconformity is not "fulfilled").
    """
    access.ensure(actor, audit, Need.MANAGE)
    ensure_unlocked(audit, "conclusions")
    if audit.status not in (AuditStatus.FIELDWORK, AuditStatus.REPORTING):
        raise Conflict("The team conference is recorded during fieldwork or while the report is written.")
    errors: dict[str, list[str]] = {}
    participants = clean(data.participants, field="participants", max_length=4000, multiline=True)
    conclusion = clean(data.conclusion, field="conclusion", max_length=TEXT_MAX, multiline=True)
    obstacles = clean(data.obstacles, field="obstacles", max_length=TEXT_MAX, multiline=True)
    if not participants:
        errors["participants"] = ["List the team members who took part."]
    if not conclusion:
        errors["conclusion"] = ["State how far the audit criteria are fulfilled, and the audit conclusion."]
    if not data.objectives_met and not obstacles:
        errors["obstacles"] = ["Say what kept the audit from meeting its objectives."]
    if not audit.start_date <= data.held_at.date() <= audit.end_date:
        errors["held_at"] = [
            "The conference must fall within the audit dates "
            f"({audit.start_date:%d %b %Y} to {audit.end_date:%d %b %Y})."
        ]
    done = achievement(audit)
    by_area = {a.key: a for a in done.areas}
    given: dict[str, AreaData] = {}
    for area in data.areas:
        if area.area not in by_area:
            errors.setdefault("areas", []).append(f"{area.area} is not an area in this audit's scope.")
        elif area.area in given:
            errors.setdefault("areas", []).append(f"{area.area} is concluded twice.")
        given[area.area] = area
    statements: dict[str, tuple[Fulfilment, str]] = {}
    for key, area in given.items():
        if key not in by_area:
            continue
        statement = clean(area.statement, field=f"area {key}", max_length=TEXT_MAX, multiline=True)
        fulfilment = Fulfilment(area.fulfilment)
        if not statement:
            errors.setdefault("areas", []).append(f"{key}: state how far the criteria are fulfilled.")
        for result, refused in CONTRADICTED.items():
            if by_area[key].results.get(result) and fulfilment in refused:
                errors.setdefault("areas", []).append(
                    f"{key}: {by_area[key].results[result]} item(s) concluded {result.label.lower()}, "
                    f"so the area cannot be {fulfilment.label.lower()}."
                )
        statements[key] = (fulfilment, statement)
    if errors:
        raise ValidationFailed("The team conference record is not complete.", errors)
    conference = get_conference(audit)
    created = conference is None
    if conference is None:
        conference = AuditConference(audit_id=audit.id)
        db.session.add(conference)
    conference.held_at, conference.participants = data.held_at, participants
    conference.fulfilment, conference.conclusion = Fulfilment(data.fulfilment), conclusion
    conference.objectives_met, conference.obstacles = data.objectives_met, obstacles
    conference.recommendations = clean(
        data.recommendations, field="recommendations", max_length=TEXT_MAX, multiline=True
    )
    conference.follow_up = clean(data.follow_up, field="follow_up", max_length=TEXT_MAX, multiline=True)
    conference.recorded_by_id = actor.id
    kept = {a.area: a for a in conference.areas}
    for key, (fulfilment, statement) in statements.items():
        row = kept.get(key) or AreaConclusion(area=key)
        row.fulfilment, row.statement = fulfilment, statement
        if key not in kept:
            conference.areas.append(row)
    db.session.flush()
    activity.record(
        actor,
        "audit.conference_recorded" if created else "audit.conference_changed",
        audit,
        fulfilment=conference.fulfilment.value,
        areas={key: f.value for key, (f, _) in statements.items()},
    )
    return conference


# --- the gate before reporting -----------------------------------------------------------------------------------


def _refs(items: list[ItemState]) -> str:
    return ", ".join(i.ref for i in items)


def reporting_blockers(audit: Audit) -> list[str]:
    """What must be done before the report is written: every in-scope item concluded or not audited with a
    reason, and a team conference with the conclusion overall and for every area (each sentence names what
    is missing)."""
    blockers: list[str] = []
    done = achievement(audit)
    unconcluded = {item.ref for item in responses.unconcluded_items(audit)}  # fieldwork owns the verdict rules
    still_open = [i for i in done.items if i.result is None or i.ref in unconcluded]
    not_assessed = [i for i in still_open if i.result not in (R.NOT_AUDITED, R.NOT_APPLICABLE)]
    no_reason = [i for i in still_open if i.result in (R.NOT_AUDITED, R.NOT_APPLICABLE)]
    if not_assessed:
        blockers.append(
            f"Conclude {len(not_assessed)} item(s) in scope or mark them not audited: {_refs(not_assessed)}."
        )
    if no_reason:
        blockers.append(f"Give the reason these items were not audited or not applicable: {_refs(no_reason)}.")
    blockers += _samples_unfinished(audit)
    conference = get_conference(audit)
    if conference is None:
        blockers.append("Record the team conference with the audit conclusion.")
        return blockers
    concluded = {a.area: a for a in conference.areas if a.statement.strip()}
    missing = [a.key for a in done.areas if a.key not in concluded]
    if missing:
        blockers.append("State the conclusion for each clause and control area in scope: " + ", ".join(missing) + ".")
    contradicted = [
        a.key
        for a in done.areas
        if a.key in concluded
        and any(
            a.results.get(result) and concluded[a.key].fulfilment in refused for result, refused in CONTRADICTED.items()
        )
    ]
    if contradicted:
        blockers.append(
            "The conclusion no longer matches the results (a nonconformity was recorded since): "
            + ", ".join(contradicted)
            + "."
        )
    return blockers


def _samples_unfinished(audit: Audit) -> list[str]:
    """Drawn samples not yet evaluated, and evaluated ones the lead auditor has not signed off (a sample never
    drawn is not performed and does not block)."""
    rows = db.session.execute(
        sa.select(Sample.sequence, Sample.title, Sample.status)
        .where(
            Sample.audit_id == audit.id,
            sa.or_(
                Sample.status == SampleStatus.SELECTED,
                sa.and_(Sample.status == SampleStatus.EVALUATED, Sample.signed_off_at.is_(None)),
            ),
        )
        .order_by(Sample.sequence)
    ).all()
    drawn = [f"S{sequence:02d} {title}" for sequence, title, status in rows if status is SampleStatus.SELECTED]
    unsigned = [f"S{sequence:02d} {title}" for sequence, title, status in rows if status is SampleStatus.EVALUATED]
    blockers = []
    if drawn:
        blockers.append("Evaluate the drawn samples: " + ", ".join(drawn) + ".")
    if unsigned:
        blockers.append("The lead auditor signs off the evaluated samples: " + ", ".join(unsigned) + ".")
    return blockers
