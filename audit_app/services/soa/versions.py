"""Versions of the Statement of Applicability and their entries: start a draft, edit it, add the organisation's
own controls, approve it (frozen from then on), and list and load them.

Rules:
- only one draft at a time; the first draft lists all Annex A controls of the library (refs, titles, library
  order), every later one copies the newest approved version;
- an approved version is frozen: approving records who and when and marks the previous approved one superseded;
  edits of an approved or superseded version are refused;
- approval is refused while an Annex A control is missing or an entry has no decision or no justification; other
  gaps (implementation status, owner, what it addresses) and flagged justifications need an explicit confirmation,
  recorded in the activity trail with the list; from version 2 on it needs a change note;
- admins and lead auditors edit and approve; every change goes to the activity trail and bumps the version's
  revision, so a form opened before any change to the version is refused as stale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import flag_modified

from audit_app.errors import ChangedMeanwhile, Conflict, NotAllowed, NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import AISystem, OrgUnit, Role, User, utcnow
from audit_app.models.soa import Implementation, SoaEntry, SoaStatus, SoaVersion
from audit_app.services import activity, text
from audit_app.services.soa import status

EDITORS = (Role.ADMIN, Role.LEAD_AUDITOR)
READERS = (Role.ADMIN, Role.LEAD_AUDITOR, Role.AUDITOR, Role.VIEWER)
#: An own control id: letters, digits, dots and hyphens, starting with a letter or digit.
CUSTOM_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,19}$")
MAX_TEXT = 4000


@dataclass(frozen=True)
class EntryInput:
    applicable: bool | None
    justification: str = ""
    implementation: Implementation | None = None
    owner_unit_id: int | None = None
    addresses: str = ""
    system_ids: list[int] = field(default_factory=list)
    evidence: str = ""
    last_reviewed_on: date | None = None


# --- who may ----------------------------------------------------------------------------------------------------


def may_read(actor: User) -> bool:
    return actor.role in READERS


def may_edit(actor: User) -> bool:
    return actor.role in EDITORS


def ensure_read(actor: User) -> None:
    if not may_read(actor):
        raise NotAllowed("The Statement of Applicability is for staff and management.")


def ensure_edit(actor: User) -> None:
    if not may_edit(actor):
        raise NotAllowed("Only administrators and lead auditors change the Statement of Applicability.")


# --- reading ----------------------------------------------------------------------------------------------------


def list_versions(actor: User) -> list[SoaVersion]:
    ensure_read(actor)
    return list(
        db.session.scalars(
            sa.select(SoaVersion)
            .options(selectinload(SoaVersion.approved_by), selectinload(SoaVersion.created_by))
            .order_by(SoaVersion.number.desc())
        )
    )


def get_version(actor: User, version_id: int) -> SoaVersion:
    ensure_read(actor)
    version = db.session.get(SoaVersion, version_id)
    if version is None:
        raise NotFound(f"Version {version_id} of the Statement of Applicability does not exist.")
    return version


def entries_of(version: SoaVersion) -> list[SoaEntry]:
    """The version's entries in order with their owner unit and AI systems (three queries)."""
    return list(
        db.session.scalars(
            sa.select(SoaEntry)
            .options(selectinload(SoaEntry.owner_unit), selectinload(SoaEntry.systems))
            .where(SoaEntry.version_id == version.id)
            .order_by(SoaEntry.position)
        )
    )


def get_entry(actor: User, version: SoaVersion, entry_id: int) -> SoaEntry:
    ensure_read(actor)
    entry = db.session.get(SoaEntry, entry_id)
    if entry is None or entry.version_id != version.id:
        raise NotFound(f"Entry {entry_id} is not in version {version.number}.")
    return entry


def current_draft() -> SoaVersion | None:
    return db.session.scalars(sa.select(SoaVersion).where(SoaVersion.status == SoaStatus.DRAFT).limit(1)).first()


def current_approved() -> SoaVersion | None:
    return db.session.scalars(
        sa.select(SoaVersion).where(SoaVersion.status == SoaStatus.APPROVED).order_by(SoaVersion.number.desc()).limit(1)
    ).first()


def units() -> list[OrgUnit]:
    return list(db.session.scalars(sa.select(OrgUnit).where(OrgUnit.active).order_by(OrgUnit.name)))


def systems() -> list[AISystem]:
    return list(db.session.scalars(sa.select(AISystem).order_by(AISystem.name)))


# --- changing ---------------------------------------------------------------------------------------------------


def _check_revision(version: SoaVersion, revision: int | None) -> None:
    if revision is not None and revision != version.revision:
        raise ChangedMeanwhile(
            f"Version {version.number} was changed after this form was opened, so nothing was saved. Reload and "
            "try again."
        )


def _ensure_draft(version: SoaVersion) -> None:
    if version.status is not SoaStatus.DRAFT:
        raise Conflict(
            f"Version {version.number} is {version.status.label.lower()} and frozen. Start a new draft to change "
            "the Statement of Applicability."
        )


def _touch(version: SoaVersion) -> None:
    """Make the version's row change, so its revision moves on (stale forms of the version are refused)."""
    flag_modified(version, "change_note")


def start_draft(actor: User) -> SoaVersion:
    """A new draft: all Annex A controls of the library for the first one, else a copy of the newest approved one."""
    ensure_edit(actor)
    draft = current_draft()
    if draft is not None:
        raise Conflict(f"Version {draft.number} is already a draft: finish or approve it first.")
    number = (db.session.scalar(sa.select(sa.func.max(SoaVersion.number))) or 0) + 1
    base = current_approved()
    version = SoaVersion(number=number, status=SoaStatus.DRAFT, created_by=actor, based_on_id=None)
    if base is None:
        controls = status.annex_a_controls()
        if not controls:
            raise Conflict("The clause library has no Annex A controls: load the ISO/IEC 42001 checklist first.")
        version.entries = [
            SoaEntry(position=i, control_ref=c.ref, title=c.title, custom=False) for i, c in enumerate(controls)
        ]
    else:
        version.based_on_id = base.id
        version.entries = [_copy(e) for e in entries_of(base)]
    db.session.add(version)
    activity.record(
        actor, "soa.draft_started", version, number=number, based_on=base.number if base is not None else None
    )
    return version


def _copy(entry: SoaEntry) -> SoaEntry:
    return SoaEntry(
        position=entry.position,
        control_ref=entry.control_ref,
        title=entry.title,
        custom=entry.custom,
        applicable=entry.applicable,
        justification=entry.justification,
        implementation=entry.implementation,
        owner_unit_id=entry.owner_unit_id,
        addresses=entry.addresses,
        evidence=entry.evidence,
        last_reviewed_on=entry.last_reviewed_on,
        systems=list(entry.systems),
    )


def update_entry(
    actor: User, version: SoaVersion, entry: SoaEntry, data: EntryInput, *, revision: int | None
) -> SoaEntry:
    """Replace what an entry of the draft says (nothing is kept when anything is refused)."""
    ensure_edit(actor)
    _ensure_draft(version)
    _check_revision(version, revision)
    errors: dict[str, list[str]] = {}
    values = {}
    for name, limit, multiline in (("justification", MAX_TEXT, True), ("addresses", MAX_TEXT, True),
                                   ("evidence", MAX_TEXT, True)):  # fmt: skip
        try:
            values[name] = text.clean(getattr(data, name), field=name, max_length=limit, multiline=multiline)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    unit = None
    if data.owner_unit_id is not None:
        unit = db.session.get(OrgUnit, data.owner_unit_id)
        if unit is None or not unit.active:
            errors["owner_unit_id"] = ["Choose an active unit."]
    wanted = sorted(set(data.system_ids))
    found = list(db.session.scalars(sa.select(AISystem).where(AISystem.id.in_(wanted)))) if wanted else []
    if len(found) != len(wanted):
        errors["system_ids"] = ["Choose AI systems from the inventory."]
    if (
        data.applicable is False
        and data.implementation is not None
        and data.implementation is not Implementation.NOT_STARTED
    ):
        errors["implementation"] = ["An excluded control has no implementation status: leave it empty."]
    if data.last_reviewed_on is not None and data.last_reviewed_on > utcnow().date():
        errors["last_reviewed_on"] = ["The last review cannot be in the future."]
    if errors:
        raise ValidationFailed("The entry was not saved: correct the marked fields.", errors)
    before = _snapshot(entry)
    entry.applicable = data.applicable
    entry.justification = values["justification"]
    entry.implementation = data.implementation if data.applicable is not False else None
    entry.owner_unit = unit
    entry.addresses = values["addresses"]
    entry.evidence = values["evidence"]
    entry.last_reviewed_on = data.last_reviewed_on
    entry.systems = sorted(found, key=lambda s: s.name)
    entry.updated_by_id = actor.id
    _touch(version)
    after = _snapshot(entry)
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    activity.record(actor, "soa.entry_updated", entry, version=version.number, ref=entry.control_ref, changed=changed)
    return entry


def _snapshot(entry: SoaEntry) -> dict[str, object]:
    return {
        "applicable": entry.applicable,
        "justification": entry.justification,
        "implementation": entry.implementation.value if entry.implementation else None,
        "owner_unit_id": entry.owner_unit_id,
        "addresses": entry.addresses,
        "systems": sorted(s.id for s in entry.systems),
        "evidence": entry.evidence,
        "last_reviewed_on": entry.last_reviewed_on.isoformat() if entry.last_reviewed_on else None,
    }


def add_custom(actor: User, version: SoaVersion, ref: str, title: str, *, revision: int | None) -> SoaEntry:
    """Add one of the organisation's own controls at the end of the draft (its id must not look like Annex A's)."""
    ensure_edit(actor)
    _ensure_draft(version)
    _check_revision(version, revision)
    errors: dict[str, list[str]] = {}
    try:
        ref = text.clean(ref, field="control_ref", max_length=20, required=True)
        if not CUSTOM_REF.match(ref):
            errors["control_ref"] = ["Use letters, digits, dots and hyphens only (at most 20), e.g. ORG-1."]
        elif ref.upper().startswith("A."):
            errors["control_ref"] = ["Ids starting with “A.” belong to Annex A: choose your own, e.g. ORG-1."]
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        title = text.clean(title, field="title", max_length=300, required=True)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if not errors:
        taken = db.session.scalar(
            sa.select(SoaEntry.id).where(
                SoaEntry.version_id == version.id, sa.func.upper(SoaEntry.control_ref) == ref.upper()
            )
        )
        if taken is not None:
            errors["control_ref"] = [f"{ref} is already in this version."]
    if errors:
        raise ValidationFailed("The control was not added: correct the marked fields.", errors)
    position = (
        db.session.scalar(sa.select(sa.func.max(SoaEntry.position)).where(SoaEntry.version_id == version.id)) or 0
    ) + 1
    entry = SoaEntry(
        version=version, position=position, control_ref=ref, title=title, custom=True, updated_by_id=actor.id
    )
    db.session.add(entry)
    _touch(version)
    activity.record(actor, "soa.control_added", entry, version=version.number, ref=ref, title=title)
    return entry


@dataclass(frozen=True)
class ApprovalCheck:
    """What stands in the way of approving: `blocking` refuses it, `to_confirm` needs an explicit confirmation."""

    completeness: status.SoaCompleteness
    blocking: list[str]
    to_confirm: list[str]


def approval_check(version: SoaVersion) -> ApprovalCheck:
    result = status.completeness(version)
    blocking = [f"{ref}: not in this version" for ref in result.missing_controls]
    to_confirm = []
    for ref, gaps in result.incomplete:
        essential = [g for g in gaps.split("; ") if g.startswith(("decision", "justification"))]
        rest = [g for g in gaps.split("; ") if g not in essential]
        if essential:
            blocking.append(f"{ref}: no {' and no '.join(essential)}")
        if rest:
            to_confirm.append(f"{ref}: no {', no '.join(rest)}")
    to_confirm += [f"{ref}: {reason}" for ref, reason in result.flagged if reason != "The justification is blank."]
    return ApprovalCheck(result, blocking, to_confirm)


def approve(actor: User, version: SoaVersion, *, change_note: str, confirmed: bool, revision: int | None) -> SoaVersion:
    """Approve the draft: frozen from now on; the previous approved version becomes superseded."""
    ensure_edit(actor)
    _ensure_draft(version)
    _check_revision(version, revision)
    note = text.clean(change_note, field="change_note", max_length=2000, multiline=True)
    if version.number > 1 and current_approved() is not None and not note:
        raise ValidationFailed(
            "Say what this version changes.", {"change_note": ["A change note is required from version 2 on."]}
        )
    check = approval_check(version)
    if check.blocking:
        raise Conflict(
            "The version cannot be approved while controls lack a decision or a justification: "
            + "; ".join(check.blocking[:10])
            + (f" (and {len(check.blocking) - 10} more)" if len(check.blocking) > 10 else "")
            + "."
        )
    if check.to_confirm and not confirmed:
        raise ValidationFailed(
            f"{len(check.to_confirm)} entries are incomplete or have flagged justifications: confirm that you "
            "approve them as they are.",
            {"confirm": check.to_confirm},
        )
    now = utcnow()
    previous = current_approved()
    if previous is not None:
        previous.status = SoaStatus.SUPERSEDED
        previous.superseded_at = now
        activity.record(actor, "soa.superseded", previous, number=previous.number, by=version.number)
    version.status = SoaStatus.APPROVED
    version.approved_by = actor
    version.approved_at = now
    version.change_note = note
    activity.record(
        actor,
        "soa.approved",
        version,
        number=version.number,
        change_note=note,
        confirmed=check.to_confirm,
        complete=check.completeness.complete,
        total=check.completeness.total,
    )
    return version
