"""Pre-filling the register from the standard's list and the library, and changing entries with their history."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from audit_app.errors import ChangedMeanwhile, Conflict, NotAllowed, ValidationFailed
from audit_app.extensions import db
from audit_app.models import Activity, DocKind, DocStatus, DocumentedInfo, DocumentedInfoHistory, Role, User
from audit_app.services.docinfo import prefill, status
from audit_app.services.docinfo.entries import EntryData, add_months, create_entry, retire_entry, update_entry
from audit_app.services.docinfo.status import current_status

TODAY = date(2026, 6, 15)


def _keys() -> list[str]:
    return list(db.session.scalars(sa.select(DocumentedInfo.source_key).order_by(DocumentedInfo.id)))


def test_prefill_adds_the_standard_list_and_the_library_once(app, library):
    with app.app_context():
        added = prefill.prefill()
        db.session.commit()
        assert prefill.prefill() == 0
        assert prefill.ensure_prefilled() == 0
        keys = _keys()
        assert added == len(keys) == len(set(keys))
        assert set(status.MANDATORY_KEYS) <= set(keys)
        library_keys = [k for k in keys if k.startswith("lib:")]
        # Annex A documentation the standard's list does not cover gets an entry of its own, keyed by control id.
        assert "lib:A.6.2.7" in library_keys
        # What the standard's list covers is not repeated from the library.
        assert not {"lib:4.3", "lib:5.2", "lib:6.1.3", "lib:A.5.3", "lib:9.3.3"} & set(library_keys)
        soa = db.session.scalar(sa.select(DocumentedInfo).where(DocumentedInfo.source_key == status.SOA))
        assert (soa.refs, soa.kind, soa.expected) == (["6.1.3"], DocKind.MAINTAIN, True)
        assert current_status(soa, TODAY) is DocStatus.MISSING


def test_prefill_without_a_library_still_fills_the_standard_list(app_ctx):
    assert prefill.ensure_prefilled() == len(prefill.STANDARD_ENTRIES)
    assert prefill.ensure_prefilled() == 0


@pytest.fixture
def people(app, make_user):
    return {role: make_user(role) for role in (Role.ADMIN, Role.LEAD_AUDITOR, Role.AUDITOR, Role.VIEWER)}


def _entry(owner_id: int | None = None) -> DocumentedInfo:
    entry = DocumentedInfo(title="AI policy", kind=DocKind.MAINTAIN, refs=["5.2"], owner_id=owner_id)
    db.session.add(entry)
    db.session.commit()
    return entry


def test_an_update_writes_one_history_row_per_changed_field_and_computes_the_next_review(app, people):
    with app.app_context():
        admin = db.session.get(User, people[Role.ADMIN])
        entry = _entry()
        data = EntryData.of(entry, location="https://intranet/policy", doc_version="1.0", approved_on=date(2026, 3, 31))
        changed = update_entry(entry, data, admin, revision=entry.revision, today=TODAY)
        db.session.commit()
        assert changed == ["location", "doc_version", "approved_on", "next_review_on"]
        assert entry.next_review_on == date(2027, 3, 31)
        rows = db.session.scalars(sa.select(DocumentedInfoHistory).order_by(DocumentedInfoHistory.id)).all()
        assert [(h.field, h.old_value, h.new_value, h.actor_id) for h in rows] == [
            ("location", "", "https://intranet/policy", admin.id),
            ("doc_version", "", "1.0", admin.id),
            ("approved_on", None, "2026-03-31", admin.id),
            ("next_review_on", None, "2027-03-31", admin.id),
        ]
        trail = sa.select(Activity.action).where(
            Activity.subject_type == "DocumentedInfo", Activity.subject_id == entry.id
        )
        assert db.session.scalar(trail) == "docinfo.updated"
        assert current_status(entry, TODAY) is DocStatus.APPROVED
        # Saving the same values again changes nothing and writes nothing.
        assert update_entry(entry, EntryData.of(entry), admin, revision=None, today=TODAY) == []
        # A new approval with the old review date left in place computes the review date again.
        update_entry(entry, EntryData.of(entry, approved_on=date(2026, 6, 1)), admin, revision=None, today=TODAY)
        assert entry.next_review_on == date(2027, 6, 1)
        # An explicit review date wins over the interval.
        update_entry(entry, EntryData.of(entry, next_review_on=date(2026, 12, 1)), admin, revision=None, today=TODAY)
        assert entry.next_review_on == date(2026, 12, 1)


def test_the_owner_changes_location_version_and_approval_only(app, people):
    with app.app_context():
        owner = db.session.get(User, people[Role.VIEWER])
        entry = _entry(owner_id=owner.id)
        update_entry(entry, EntryData.of(entry, location="DMS-12", doc_version="2"), owner, revision=None, today=TODAY)
        with pytest.raises(NotAllowed):
            update_entry(entry, EntryData.of(entry, title="Renamed"), owner, revision=None, today=TODAY)
        db.session.rollback()
        other = db.session.get(User, people[Role.LEAD_AUDITOR])
        entry = db.session.get(DocumentedInfo, entry.id)
        assert entry.title == "AI policy"
        auditor = db.session.get(User, people[Role.AUDITOR])
        with pytest.raises(NotAllowed):
            update_entry(entry, EntryData.of(entry, location="x"), auditor, revision=None, today=TODAY)
        update_entry(entry, EntryData.of(entry, title="AI policy (group)"), other, revision=None, today=TODAY)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "   "}, "title"),
        ({"approved_on": date(2026, 7, 1)}, "approved_on"),
        ({"approved_by_name": "Board"}, "approved_on"),
        ({"review_interval_months": 0}, "review_interval_months"),
        ({"approved_on": date(2026, 5, 1), "next_review_on": date(2026, 4, 1)}, "next_review_on"),
        ({"location": "x" * 501}, "location"),
        ({"refs": ("6" * 41,)}, "refs"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(app, people, changes, field):
    with app.app_context():
        admin = db.session.get(User, people[Role.ADMIN])
        entry = _entry()
        with pytest.raises(ValidationFailed) as refused:
            update_entry(entry, EntryData.of(entry, **changes), admin, revision=None, today=TODAY)
        assert field in refused.value.errors
        assert db.session.scalar(sa.select(sa.func.count(DocumentedInfoHistory.id))) == 0


def test_an_auditor_cannot_own_an_entry(app, people):
    with app.app_context():
        admin = db.session.get(User, people[Role.ADMIN])
        entry = _entry()
        with pytest.raises(ValidationFailed) as refused:
            update_entry(entry, EntryData.of(entry, owner_id=people[Role.AUDITOR]), admin, revision=None, today=TODAY)
        assert "owner_id" in refused.value.errors


def test_a_stale_revision_is_refused(app, people):
    with app.app_context():
        admin = db.session.get(User, people[Role.ADMIN])
        entry = _entry()
        opened = entry.revision
        update_entry(entry, EntryData.of(entry, location="A"), admin, revision=opened, today=TODAY)
        db.session.commit()
        with pytest.raises(ChangedMeanwhile):
            update_entry(entry, EntryData.of(entry, location="B"), admin, revision=opened, today=TODAY)


def test_own_entries_and_retiring(app, people):
    with app.app_context():
        lead = db.session.get(User, people[Role.LEAD_AUDITOR])
        viewer = db.session.get(User, people[Role.VIEWER])
        data = EntryData(title="Model cards", kind=DocKind.RETAIN, refs=("A.6.2.7",), location="wiki", doc_version="3")
        with pytest.raises(NotAllowed):
            create_entry(data, viewer, today=TODAY)
        entry = create_entry(data, lead, today=TODAY)
        db.session.commit()
        assert (entry.expected, entry.source_key, current_status(entry, TODAY)) == (False, None, DocStatus.DRAFT)
        with pytest.raises(ValidationFailed):
            retire_entry(entry, lead, "  ", revision=None)
        retire_entry(entry, lead, "Replaced by the model registry", revision=entry.revision)
        db.session.commit()
        assert db.session.get(DocumentedInfo, entry.id).retired_at is not None
        with pytest.raises(Conflict):
            retire_entry(entry, lead, "again", revision=None)
        with pytest.raises(Conflict):
            update_entry(entry, EntryData.of(entry, location="y"), lead, revision=None, today=TODAY)
        fields = set(db.session.scalars(sa.select(DocumentedInfoHistory.field)))
        assert {"created", "location", "doc_version", "refs", "retired_at", "retired_reason"} <= fields


def test_add_months_keeps_the_day_or_the_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 15), 14) == date(2028, 1, 15)
