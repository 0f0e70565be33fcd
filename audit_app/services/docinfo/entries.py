"""Editing the register: entries, their owners, approval and review dates, the organisation's own entries and
retiring (never deleting). Every changed field writes a history row and the change goes to the activity trail.

Who may change what: admins and lead auditors every field of every entry; the entry's owner the location, version
and approval of their own entry; everybody else nothing.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from audit_app.errors import ChangedMeanwhile, Conflict, NotAllowed, NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import DocKind, DocumentedInfo, DocumentedInfoHistory, OrgUnit, Role, User, utcnow
from audit_app.services import activity
from audit_app.services.access import PLANNERS
from audit_app.services.docinfo.history import add_change, json_value

#: Who reads the register (auditees do not).
READERS = (Role.ADMIN, Role.LEAD_AUDITOR, Role.AUDITOR, Role.VIEWER)
#: Who may own an entry (and so change it): not internal auditors, who examine this documented information as
#: audit evidence and must not audit their own work (9.2.2); admins and lead auditors change every entry anyway.
OWNER_ROLES = (Role.ADMIN, Role.LEAD_AUDITOR, Role.VIEWER)
#: What an entry's owner may change on their own entry.
OWNER_FIELDS = frozenset({"location", "doc_version", "approved_by_name", "approved_on", "next_review_on"})
MAX_INTERVAL_MONTHS = 120


@dataclass(frozen=True)
class EntryData:
    title: str
    kind: DocKind
    refs: tuple[str, ...] = ()
    owner_id: int | None = None
    owner_unit_id: int | None = None
    location: str = ""
    doc_version: str = ""
    approved_by_name: str = ""
    approved_on: date | None = None
    review_interval_months: int = 12
    #: None: computed from the approval date and the interval.
    next_review_on: date | None = field(default=None)

    @classmethod
    def of(cls, entry: DocumentedInfo, **changes: Any) -> EntryData:
        """The entry's current values, with `changes` applied."""
        values = {f.name: getattr(entry, f.name) for f in fields(cls)}
        values["refs"] = tuple(entry.refs or ())
        values.update(changes)
        return cls(**values)


#: Every field of an entry (what admins and lead auditors may change).
ALL_FIELDS = frozenset(f.name for f in fields(EntryData))


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def can_read(user: User) -> bool:
    return user.role in READERS


def can_manage(user: User) -> bool:
    return user.role in PLANNERS


def editable_fields(user: User, entry: DocumentedInfo) -> frozenset[str]:
    """The fields `user` may change on `entry` (empty: none)."""
    if entry.retired_at is not None:
        return frozenset()
    if can_manage(user):
        return ALL_FIELDS
    if entry.owner_id is not None and entry.owner_id == user.id and user.role in OWNER_ROLES:
        return OWNER_FIELDS
    return frozenset()


def get_entry(entry_id: int, user: User) -> DocumentedInfo:
    if not can_read(user):
        raise NotAllowed("The register of documented information is not open to your role.")
    entry = db.session.scalar(
        sa.select(DocumentedInfo)
        .where(DocumentedInfo.id == entry_id)
        .options(selectinload(DocumentedInfo.owner), selectinload(DocumentedInfo.owner_unit))
    )
    if entry is None:
        raise NotFound("No such register entry.")
    return entry


def entry_history(entry: DocumentedInfo) -> list[DocumentedInfoHistory]:
    return list(
        db.session.scalars(
            sa.select(DocumentedInfoHistory)
            .where(DocumentedInfoHistory.entry_id == entry.id)
            .options(selectinload(DocumentedInfoHistory.actor))
            .order_by(DocumentedInfoHistory.changed_at.desc(), DocumentedInfoHistory.id.desc())
        )
    )


def owner_candidates() -> list[User]:
    """Active accounts that may own an entry (OWNER_ROLES)."""
    return list(
        db.session.scalars(
            sa.select(User).where(User.active.is_(True), User.role.in_(OWNER_ROLES)).order_by(User.name, User.id)
        )
    )


def _validate(data: EntryData, today: date) -> EntryData:
    errors: dict[str, list[str]] = {}
    title = " ".join(data.title.split())
    if not title:
        errors["title"] = ["Give the entry a title."]
    limits = {"title": 300, "location": 500, "doc_version": 60, "approved_by_name": 120}
    for name, limit in limits.items():
        if len(getattr(data, name).strip()) > limit:
            errors[name] = [f"At most {limit} characters."]
    refs = tuple(dict.fromkeys(r.strip() for r in data.refs if r.strip()))
    if any(len(r) > 40 for r in refs) or len(refs) > 40:
        errors["refs"] = ["Clause or control ids are short (such as 6.1.3 or A.5.3)."]
    if not 1 <= data.review_interval_months <= MAX_INTERVAL_MONTHS:
        errors["review_interval_months"] = [f"The review interval is 1 to {MAX_INTERVAL_MONTHS} months."]
    if data.approved_on is not None and data.approved_on > today:
        errors["approved_on"] = ["The approval date cannot be in the future."]
    if data.approved_on is None and data.approved_by_name.strip():
        errors["approved_on"] = ["Give the date of the approval."]
    if data.approved_on is not None and data.next_review_on is not None and data.next_review_on < data.approved_on:
        errors["next_review_on"] = ["The next review cannot come before the approval."]
    if data.owner_id is not None:
        owner = db.session.get(User, data.owner_id)
        if owner is None or owner.role not in OWNER_ROLES:
            errors["owner_id"] = ["Choose an administrator, lead auditor or management account as the owner."]
    if data.owner_unit_id is not None and db.session.get(OrgUnit, data.owner_unit_id) is None:
        errors["owner_unit_id"] = ["No such unit."]
    if errors:
        raise ValidationFailed("The entry was not saved: " + " ".join(m for ms in errors.values() for m in ms), errors)
    next_review = data.next_review_on
    if next_review is None and data.approved_on is not None:
        next_review = add_months(data.approved_on, data.review_interval_months)
    return EntryData(
        title=title,
        kind=data.kind,
        refs=refs,
        owner_id=data.owner_id,
        owner_unit_id=data.owner_unit_id,
        location=data.location.strip(),
        doc_version=data.doc_version.strip(),
        approved_by_name=data.approved_by_name.strip(),
        approved_on=data.approved_on,
        review_interval_months=data.review_interval_months,
        next_review_on=next_review,
    )


def _check_revision(entry: DocumentedInfo, revision: int | None) -> None:
    if revision is not None and revision != entry.revision:
        raise ChangedMeanwhile(
            "Someone changed this entry after you opened it, so nothing was saved. Reload it and try again."
        )


def update_entry(
    entry: DocumentedInfo, data: EntryData, actor: User, *, revision: int | None, today: date
) -> list[str]:
    """Apply `data` to the entry; the names of the changed fields (each with a history row)."""
    allowed = editable_fields(actor, entry)
    if not allowed:
        if entry.retired_at is not None:
            raise Conflict("This entry is retired and can no longer change.")
        raise NotAllowed("You may not change this entry.")
    _check_revision(entry, revision)
    if data.approved_on != entry.approved_on and data.next_review_on == entry.next_review_on:
        data = replace(data, next_review_on=None)  # a new approval with the old review date: compute it again
    clean = _validate(data, today)
    changed = []
    for f in fields(EntryData):
        old, new = getattr(entry, f.name), getattr(clean, f.name)
        if f.name == "refs":
            old, new = list(old or []), list(new)
        if json_value(old) == json_value(new):
            continue
        if f.name not in allowed:
            raise NotAllowed("As the entry's owner you may change its location, version and approval only.")
        changed.append(f.name)
        add_change(entry, actor, f.name, old, new)
        setattr(entry, f.name, new)
    if changed:
        entry.updated_at = utcnow()
        activity.record(actor, "docinfo.updated", entry, fields=changed)
    return changed


def create_entry(data: EntryData, actor: User, *, today: date) -> DocumentedInfo:
    """Add one of the organisation's own entries (admins and lead auditors)."""
    if not can_manage(actor):
        raise NotAllowed("Only administrators and lead auditors add register entries.")
    clean = _validate(data, today)
    values = {f.name: getattr(clean, f.name) for f in fields(EntryData)}
    entry = DocumentedInfo(expected=False, source_key=None, **values)
    entry.refs = list(clean.refs)
    db.session.add(entry)
    db.session.flush()
    add_change(entry, actor, "created", None, entry.title)
    for f in fields(EntryData):
        value = getattr(entry, f.name)
        if f.name not in ("title", "kind") and value not in (None, "", [], ()) and f.name != "review_interval_months":
            add_change(entry, actor, f.name, None, value)
    activity.record(actor, "docinfo.created", entry, title=entry.title)
    return entry


def retire_entry(entry: DocumentedInfo, actor: User, reason: str, *, revision: int | None) -> DocumentedInfo:
    """Take the entry out of the register from now on (kept, with its history)."""
    if not can_manage(actor):
        raise NotAllowed("Only administrators and lead auditors retire register entries.")
    if entry.retired_at is not None:
        raise Conflict("This entry is already retired.")
    _check_revision(entry, revision)
    reason = " ".join(reason.split())
    if not reason or len(reason) > 500:
        raise ValidationFailed.on("reason", "Say why the entry is retired (at most 500 characters).")
    entry.retired_at = utcnow()
    add_change(entry, actor, "retired_at", None, entry.retired_at)
    add_change(entry, actor, "retired_reason", None, reason)
    activity.record(actor, "docinfo.retired", entry, reason=reason)
    return entry
