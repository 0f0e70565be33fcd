"""Register statuses by date, read from each entry's dated history (what the readiness rules rely on)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from audit_app.extensions import db
from audit_app.models import DocKind, DocStatus, DocumentedInfo, DocumentedInfoHistory
from audit_app.services.docinfo import status
from audit_app.services.docinfo.status import register_as_of, status_as_of


def _at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 10, tzinfo=UTC)


def _change(entry: DocumentedInfo, when: datetime, field: str, old: object, new: object) -> None:
    db.session.add(DocumentedInfoHistory(entry_id=entry.id, changed_at=when, field=field, old_value=old, new_value=new))
    setattr(entry, field, date.fromisoformat(new) if field.endswith("_on") and new else new)


def _policy_world() -> DocumentedInfo:
    """Created in January empty, filled in February, approved in March with review due on 1 September 2026."""
    entry = DocumentedInfo(
        title="AI policy",
        kind=DocKind.MAINTAIN,
        refs=["5.2"],
        source_key=status.AI_POLICY,
        expected=True,
        created_at=_at(2026, 1, 10),
    )
    db.session.add(entry)
    db.session.flush()
    _change(entry, _at(2026, 2, 1), "location", "", "https://intranet/ai-policy")
    _change(entry, _at(2026, 2, 1), "doc_version", "", "1.0")
    _change(entry, _at(2026, 3, 15), "approved_on", None, "2026-03-15")
    _change(entry, _at(2026, 3, 15), "next_review_on", None, "2026-09-01")
    db.session.commit()
    return entry


def test_an_entry_approved_in_march_is_approved_in_april_and_overdue_in_october(app_ctx):
    entry = _policy_world()
    assert status_as_of(entry, date(2026, 1, 9)) is None
    assert status_as_of(entry, date(2026, 1, 20)) is DocStatus.MISSING
    assert status_as_of(entry, date(2026, 2, 20)) is DocStatus.DRAFT
    assert status_as_of(entry, date(2026, 3, 15)) is DocStatus.APPROVED
    assert status_as_of(entry, date(2026, 4, 1)) is DocStatus.APPROVED
    assert status_as_of(entry, date(2026, 9, 1)) is DocStatus.APPROVED
    assert status_as_of(entry, date(2026, 10, 1)) is DocStatus.REVIEW_OVERDUE


def test_the_register_as_of_a_day_skips_later_and_retired_entries_in_two_statements(app, app_ctx, query_count):
    entry = _policy_world()
    later = DocumentedInfo(title="Later", kind=DocKind.RETAIN, created_at=_at(2026, 6, 1))
    gone = DocumentedInfo(title="Gone", kind=DocKind.RETAIN, created_at=_at(2026, 1, 1), retired_at=_at(2026, 5, 1))
    db.session.add_all([later, gone])
    db.session.commit()
    db.session.expire_all()
    with app.test_request_context():
        before = query_count()
        april = register_as_of(date(2026, 4, 1))
        assert query_count() - before == 2
    assert [(e.title, s) for e, s in april] == [("AI policy", DocStatus.APPROVED), ("Gone", DocStatus.MISSING)]
    october = register_as_of(date(2026, 10, 1))
    assert [(e.id, s) for e, s in october] == [(entry.id, DocStatus.REVIEW_OVERDUE), (later.id, DocStatus.MISSING)]


def test_an_approval_dated_after_the_day_is_still_a_draft_then(app_ctx):
    entry = DocumentedInfo(
        title="Scope",
        kind=DocKind.MAINTAIN,
        location="x",
        doc_version="2",
        approved_on=date(2026, 5, 1),
        created_at=_at(2026, 1, 1),
    )
    db.session.add(entry)
    db.session.commit()
    assert status_as_of(entry, date(2026, 4, 30)) is DocStatus.DRAFT
    assert status_as_of(entry, date(2026, 5, 1)) is DocStatus.APPROVED


def test_mandatory_and_stage1_keys():
    assert set(status.STAGE1_KEYS) <= set(status.MANDATORY_KEYS)
    assert len(set(status.MANDATORY_KEYS)) == len(status.MANDATORY_KEYS)
    entries = [DocumentedInfo(source_key=status.SOA), DocumentedInfo(source_key="own"), DocumentedInfo()]
    assert [e.source_key for e in status.mandatory_entries(entries)] == [status.SOA]
