"""Register status of documented information, today or as of any past day, from each entry's dated history.

An entry's status on a day comes from the values it had at the end of that day (UTC): every change after it is
undone from the history (field, old value) in reverse order. The status, in order of precedence:

- missing: no location or no version recorded;
- draft: no approval recorded, or an approval dated after the day;
- review overdue: the next review date is before the day;
- approved: otherwise.

An entry created after the day, or retired by then, did not exist on that day (`status_as_of` returns None).

Stable keys (``DocumentedInfo.source_key``) of the pre-filled entries, used by the readiness rules:

- ``std:<clause>:<slug>`` for the list of documented information the standard expects (DOMAIN 1.5), see
  ``prefill.STANDARD_ENTRIES``; these are the mandatory entries (``MANDATORY_KEYS``);
- ``lib:<clause or control id>`` for the other "documented information expected" entries of the library.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from audit_app.extensions import db
from audit_app.models import DocStatus, DocumentedInfo, DocumentedInfoHistory

#: Fields whose value at a past day decides the status.
STATUS_FIELDS = ("location", "doc_version", "approved_on", "next_review_on")

# --- the stable keys of the standard's documented information (DOMAIN 1.5) ------------------------------------
SCOPE = "std:4.3:scope"
AI_POLICY = "std:5.2:ai-policy"
RISK_ACTIONS = "std:6.1.1:risk-actions"
RISK_ASSESSMENT_PROCESS = "std:6.1.2:risk-assessment-process"
RISK_TREATMENT_PROCESS = "std:6.1.3:risk-treatment-process"
SOA = "std:6.1.3:soa"
RISK_TREATMENT_PLAN = "std:6.1.3:risk-treatment-plan"
IMPACT_ASSESSMENT_PROCESS = "std:6.1.4:impact-assessment-process"
IMPACT_ASSESSMENT_RESULTS = "std:6.1.4:impact-assessment-results"
OBJECTIVES = "std:6.2:objectives"
COMPETENCE = "std:7.2:competence-evidence"
OTHER_DOCUMENTS = "std:7.5.1:other-documents"
OPERATIONAL_RECORDS = "std:8.1:operational-records"
RISK_RESULTS = "std:8.2:risk-assessment-results"
TREATMENT_RESULTS = "std:8.3:risk-treatment-results"
MONITORING = "std:9.1:monitoring-results"
AUDIT_PROGRAMME = "std:9.2.2:audit-programme-results"
REVIEW_RESULTS = "std:9.3.3:management-review-results"
NC_RECORDS = "std:10.2:nonconformity-records"

#: The standard's mandatory documented information (readiness: present, approved and not past review).
MANDATORY_KEYS: tuple[str, ...] = (
    SCOPE,
    AI_POLICY,
    RISK_ACTIONS,
    RISK_ASSESSMENT_PROCESS,
    RISK_TREATMENT_PROCESS,
    SOA,
    RISK_TREATMENT_PLAN,
    IMPACT_ASSESSMENT_PROCESS,
    IMPACT_ASSESSMENT_RESULTS,
    OBJECTIVES,
    COMPETENCE,
    OTHER_DOCUMENTS,
    OPERATIONAL_RECORDS,
    RISK_RESULTS,
    TREATMENT_RESULTS,
    MONITORING,
    AUDIT_PROGRAMME,
    REVIEW_RESULTS,
    NC_RECORDS,
)

#: What stage 1 needs approved: scope, AI policy, the risk assessment, treatment and impact assessment
#: processes, the SoA and the objectives (DOMAIN 5.2).
STAGE1_KEYS: tuple[str, ...] = (
    SCOPE,
    AI_POLICY,
    RISK_ASSESSMENT_PROCESS,
    RISK_TREATMENT_PROCESS,
    IMPACT_ASSESSMENT_PROCESS,
    SOA,
    OBJECTIVES,
)


def mandatory_entries(entries: Iterable[DocumentedInfo], keys: Iterable[str] = MANDATORY_KEYS) -> list[DocumentedInfo]:
    """The entries among `entries` that are the standard's mandatory documented information (or `keys`)."""
    wanted = set(keys)
    return [e for e in entries if e.source_key in wanted]


def end_of(day: date) -> datetime:
    """The first instant after `day` (UTC): changes stamped before it had happened by the end of the day."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def values_as_of(
    entry: DocumentedInfo, day: date, history: Iterable[DocumentedInfoHistory] | None = None
) -> dict[str, Any] | None:
    """The status fields the entry had at the end of `day`, or None when it did not exist then."""
    cutoff = end_of(day)
    if _aware(entry.created_at) >= cutoff:
        return None
    if entry.retired_at is not None and _aware(entry.retired_at) < cutoff:
        return None
    values: dict[str, Any] = {name: getattr(entry, name) for name in STATUS_FIELDS}
    changes = entry.history if history is None else history
    for change in sorted(changes, key=lambda h: (_aware(h.changed_at), h.id or 0), reverse=True):
        if _aware(change.changed_at) < cutoff:
            break
        if change.field in values:
            values[change.field] = change.old_value
    for name in ("approved_on", "next_review_on"):
        values[name] = _as_date(values[name])
    return values


def status_from(values: dict[str, Any], day: date) -> DocStatus:
    """The status given an entry's location, version, approval date and next review date (pure)."""
    if not (values.get("location") or "").strip() or not (values.get("doc_version") or "").strip():
        return DocStatus.MISSING
    approved_on = values.get("approved_on")
    if approved_on is None or approved_on > day:
        return DocStatus.DRAFT
    next_review = values.get("next_review_on")
    if next_review is not None and next_review < day:
        return DocStatus.REVIEW_OVERDUE
    return DocStatus.APPROVED


def status_as_of(
    entry: DocumentedInfo, day: date, history: Iterable[DocumentedInfoHistory] | None = None
) -> DocStatus | None:
    """The entry's status at the end of `day`; None when it did not exist then (created later or retired).

    `history` defaults to ``entry.history`` (load it with selectinload when calling this for many entries).
    """
    values = values_as_of(entry, day, history)
    return None if values is None else status_from(values, day)


def current_status(entry: DocumentedInfo, today: date) -> DocStatus:
    """Today's status from the entry's current values (no history needed)."""
    return status_from({name: getattr(entry, name) for name in STATUS_FIELDS}, today)


def register_as_of(day: date, *, with_owners: bool = False) -> list[tuple[DocumentedInfo, DocStatus]]:
    """Every entry that existed and was not retired at the end of `day`, with its status then (2 statements;
    `with_owners` adds one each for the owners and owner units)."""
    return [(entry, found) for entry, _, found in register_values_as_of(day, with_owners=with_owners)]


def register_values_as_of(
    day: date, *, with_owners: bool = False
) -> list[tuple[DocumentedInfo, dict[str, Any], DocStatus]]:
    """Like `register_as_of`, with the location, version and dates each entry had at the end of `day`."""
    cutoff = end_of(day)
    options = [selectinload(DocumentedInfo.owner), selectinload(DocumentedInfo.owner_unit)] if with_owners else []
    entries = list(
        db.session.scalars(
            sa.select(DocumentedInfo)
            .options(*options)
            .where(
                DocumentedInfo.created_at < cutoff,
                sa.or_(DocumentedInfo.retired_at.is_(None), DocumentedInfo.retired_at >= cutoff),
            )
            .order_by(DocumentedInfo.id)
        )
    )
    changes: dict[int, list[DocumentedInfoHistory]] = defaultdict(list)
    if entries:
        rows = db.session.scalars(
            sa.select(DocumentedInfoHistory).where(
                DocumentedInfoHistory.changed_at >= cutoff,
                DocumentedInfoHistory.field.in_(STATUS_FIELDS),
                DocumentedInfoHistory.entry_id.in_([e.id for e in entries]),
            )
        )
        for change in rows:
            changes[change.entry_id].append(change)
    found = []
    for entry in entries:
        values = values_as_of(entry, day, changes.get(entry.id, []))
        if values is not None:
            found.append((entry, values, status_from(values, day)))
    return found
