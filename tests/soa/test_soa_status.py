"""What the readiness rules read: the version approved as of a day, and a version's completeness and flags."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask

from audit_app.extensions import db
from audit_app.models import User
from audit_app.models.soa import SoaStatus, SoaVersion
from audit_app.services.soa import status, versions
from audit_app.services.soa.versions import EntryInput
from tests.soa.conftest import SoaWorld, fill, good_input


def _approved(app: Flask, world: SoaWorld, when: datetime, note: str = "") -> int:
    with app.app_context():
        admin = db.session.get(User, world.admin_id)
        version = versions.start_draft(admin)
        if version.based_on_id is None:
            fill(version, admin, world.unit_id)
        versions.approve(admin, version, change_note=note or "Yearly review", confirmed=False, revision=None)
        version.approved_at = when  # as if approved then (the service stamps now)
        prev = db.session.get(SoaVersion, version.based_on_id) if version.based_on_id else None
        if prev is not None:
            prev.superseded_at = when
        db.session.commit()
        return version.id


def test_annex_a_controls_are_the_38_of_the_library(app: Flask, soa_world: SoaWorld) -> None:
    with app.app_context():
        controls = status.annex_a_controls()
    assert len(controls) == 38
    assert controls[0].ref == "A.2.2"
    assert controls[0].title == "AI policy"
    assert controls[-1].ref == "A.10.4"
    assert "A.6.1" not in [c.ref for c in controls]


def test_approved_as_of_picks_the_version_in_force_that_day(app: Flask, soa_world: SoaWorld) -> None:
    with app.app_context():
        assert status.approved_as_of(date(2026, 3, 1)) is None
    first = _approved(app, soa_world, datetime(2026, 2, 10, 23, 30, tzinfo=UTC))
    second = _approved(app, soa_world, datetime(2026, 4, 2, 8, 0, tzinfo=UTC), note="Owners changed")
    with app.app_context():
        assert status.approved_as_of(date(2026, 2, 9)) is None
        assert status.approved_as_of(date(2026, 2, 10)).id == first  # late that day still counts
        assert status.approved_as_of(date(2026, 4, 1)).id == first
        assert status.approved_as_of(date(2026, 4, 2)).id == second
        assert status.approved_as_of(datetime.now(tz=UTC).date() + timedelta(days=1)).id == second
        assert db.session.get(SoaVersion, first).status is SoaStatus.SUPERSEDED


def test_a_draft_is_never_the_approved_version(app: Flask, soa_world: SoaWorld) -> None:
    with app.app_context():
        admin = db.session.get(User, soa_world.admin_id)
        versions.start_draft(admin)
        db.session.commit()
        assert status.approved_as_of(datetime.now(tz=UTC).date()) is None


def test_completeness_of_a_fresh_draft_lists_every_gap(app: Flask, soa_world: SoaWorld) -> None:
    with app.app_context():
        admin = db.session.get(User, soa_world.admin_id)
        version = versions.start_draft(admin)
        result = status.completeness(version)
    assert (result.total, result.complete) == (38, 0)
    assert result.missing_controls == []
    assert len(result.incomplete) == 38
    assert result.incomplete[0] == ("A.2.2", "decision (applicable or excluded); justification; owner unit")
    assert len(result.flagged) == 38
    assert result.flagged[0] == ("A.2.2", "The justification is blank.")
    assert not result.is_complete


def test_a_filled_version_is_complete(app: Flask, soa_world: SoaWorld) -> None:
    with app.app_context():
        admin = db.session.get(User, soa_world.admin_id)
        version = versions.start_draft(admin)
        fill(version, admin, soa_world.unit_id)
        result = status.completeness(version)
    assert (result.total, result.complete) == (38, 38)
    assert result.is_complete
    assert (result.missing_controls, result.incomplete, result.flagged) == ([], [], [])


def test_missing_controls_and_gaps_of_applicable_entries(app: Flask, soa_world: SoaWorld) -> None:
    with app.app_context():
        admin = db.session.get(User, soa_world.admin_id)
        version = versions.start_draft(admin)
        fill(version, admin, soa_world.unit_id)
        entries = {e.control_ref: e for e in versions.entries_of(version)}
        versions.update_entry(
            admin,
            version,
            entries["A.5.2"],
            EntryInput(applicable=True, justification=good_input(entries["A.5.2"], 1).justification),
            revision=None,
        )
        # An applicable control linked to an AI system addresses something even without words.
        linked = good_input(entries["A.5.3"], soa_world.unit_id)
        versions.update_entry(
            admin,
            version,
            entries["A.5.3"],
            EntryInput(**{**linked.__dict__, "addresses": "", "system_ids": [soa_world.system_id]}),
            revision=None,
        )
        db.session.delete(entries["A.10.4"])
        db.session.flush()
        result = status.completeness(version)
    assert result.missing_controls == ["A.10.4"]
    assert result.incomplete == [("A.5.2", "implementation status; owner unit; the risks or AI systems it addresses")]
    assert (result.total, result.complete) == (38, 36)


@pytest.mark.parametrize(
    "justification",
    ["Not applicable", "N/A", "n/a.", "See policy", "As required", "TBD", "Applicable", "  na  ", "See policy AI-01."],
)
def test_stock_phrases_are_flagged(justification: str) -> None:
    reason = status.justification_flag(justification)
    assert reason is not None
    assert "stock phrase" in reason or "little more than" in reason


def test_short_blank_and_specific_justifications() -> None:
    assert status.justification_flag("") == "The justification is blank."
    assert status.justification_flag("   \n ") == "The justification is blank."
    assert "very short" in (status.justification_flag("Needed for ops.") or "")
    assert status.justification_flag("We train our own fraud models, so data provenance (R-12) matters.") is None
    assert status.justification_flag("Not applicable: we never develop models, only buy them as a service.") is None


def test_the_same_text_for_many_controls_is_flagged(app: Flask, soa_world: SoaWorld) -> None:
    copied = "Required by our AI management system and the corporate risk register."
    with app.app_context():
        admin = db.session.get(User, soa_world.admin_id)
        version = versions.start_draft(admin)
        fill(version, admin, soa_world.unit_id)
        for entry in versions.entries_of(version)[:3]:
            data = good_input(entry, soa_world.unit_id)
            versions.update_entry(
                admin, version, entry, EntryInput(**{**data.__dict__, "justification": copied}), revision=None
            )
        result = status.completeness(version)
    assert [ref for ref, _ in result.flagged] == ["A.2.2", "A.2.3", "A.2.4"]
    assert all("same justification is written for 3 controls" in reason for _, reason in result.flagged)
    assert result.incomplete == []
    assert not result.is_complete
    assert result.complete == 35
