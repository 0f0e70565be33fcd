"""SoA versions through the services: the first draft, one draft at a time, the approval freeze and its checks,
new drafts copied from the approved version, custom controls, compare, permissions and the activity trail."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask

from audit_app.errors import ChangedMeanwhile, Conflict, NotAllowed, ValidationFailed
from audit_app.extensions import db
from audit_app.models import Activity, User
from audit_app.models.soa import Implementation, SoaStatus, SoaVersion
from audit_app.services.soa import compare, versions
from audit_app.services.soa.versions import EntryInput
from tests.soa.conftest import SoaWorld, fill, good_input


def _admin(world: SoaWorld) -> User:
    return db.session.get(User, world.admin_id)


def _by_ref(version: SoaVersion) -> dict:
    return {e.control_ref: e for e in versions.entries_of(version)}


def test_first_draft_lists_all_38_controls_in_library_order(app: Flask, soa_world: SoaWorld) -> None:
    with app.app_context():
        version = versions.start_draft(_admin(soa_world))
        db.session.commit()
        entries = versions.entries_of(version)
        assert version.number == 1
        assert version.status is SoaStatus.DRAFT
        assert len(entries) == 38
        assert [e.control_ref for e in entries[:4]] == ["A.2.2", "A.2.3", "A.2.4", "A.3.2"]
        assert entries[10].title == "AI system impact assessment process"
        assert all(e.applicable is None and not e.custom for e in entries)
        actions = db.session.scalars(sa.select(Activity.action)).all()
        assert "soa.draft_started" in actions


def test_only_one_draft_at_a_time(app: Flask, soa_world: SoaWorld) -> None:
    with app.app_context():
        versions.start_draft(_admin(soa_world))
        with pytest.raises(Conflict, match="already a draft"):
            versions.start_draft(_admin(soa_world))


def test_approval_freezes_and_a_new_draft_copies_it(app: Flask, soa_world: SoaWorld) -> None:
    with app.app_context():
        admin = _admin(soa_world)
        lead = db.session.get(User, soa_world.lead_id)
        first = versions.start_draft(admin)
        fill(first, admin, soa_world.unit_id)
        entry = _by_ref(first)["A.5.3"]
        versions.update_entry(
            admin,
            first,
            entry,
            EntryInput(**{**good_input(entry, soa_world.unit_id).__dict__, "system_ids": [soa_world.system_id]}),
            revision=None,
        )
        versions.approve(lead, first, change_note="", confirmed=False, revision=None)
        db.session.commit()
        assert first.status is SoaStatus.APPROVED
        assert first.approved_by_id == lead.id
        assert first.approved_at is not None
        with pytest.raises(Conflict, match="frozen"):
            versions.update_entry(admin, first, entry, good_input(entry, soa_world.other_unit_id), revision=None)
        with pytest.raises(Conflict, match="frozen"):
            versions.add_custom(admin, first, "ORG-1", "Model cards", revision=None)
        with pytest.raises(Conflict, match="frozen"):
            versions.approve(admin, first, change_note="again", confirmed=True, revision=None)
        db.session.rollback()

        second = versions.start_draft(admin)
        db.session.commit()
        copied = _by_ref(second)
        assert second.based_on_id == first.id
        assert copied["A.5.3"].justification == entry.justification
        assert [s.id for s in copied["A.5.3"].systems] == [soa_world.system_id]
        assert len(copied) == 38

        with pytest.raises(ValidationFailed, match="what this version changes"):
            versions.approve(admin, second, change_note="  ", confirmed=False, revision=None)
        versions.approve(admin, second, change_note="Reviewed after the 2026 internal audit", confirmed=False,
                         revision=None)  # fmt: skip
        db.session.commit()
        assert first.status is SoaStatus.SUPERSEDED
        assert first.superseded_at == second.approved_at
        actions = db.session.scalars(sa.select(Activity.action).order_by(Activity.id)).all()
        assert actions.count("soa.approved") == 2
        assert "soa.superseded" in actions


def test_approval_refused_while_decisions_or_justifications_are_missing(app: Flask, soa_world: SoaWorld) -> None:
    with app.app_context():
        admin = _admin(soa_world)
        version = versions.start_draft(admin)
        fill(version, admin, soa_world.unit_id, skip=frozenset({"A.7.4"}))
        with pytest.raises(Conflict, match=r"A\.7\.4: no decision \(applicable or excluded\) and no justification"):
            versions.approve(admin, version, change_note="", confirmed=True, revision=None)
        assert version.status is SoaStatus.DRAFT


def test_flags_and_minor_gaps_need_a_recorded_confirmation(app: Flask, soa_world: SoaWorld) -> None:
    with app.app_context():
        admin = _admin(soa_world)
        version = versions.start_draft(admin)
        fill(version, admin, soa_world.unit_id)
        entries = _by_ref(version)
        versions.update_entry(
            admin, version, entries["A.2.3"], EntryInput(applicable=False, justification="N/A",
                                                         owner_unit_id=soa_world.unit_id), revision=None
        )  # fmt: skip
        versions.update_entry(
            admin,
            version,
            entries["A.4.2"],
            EntryInput(**{**good_input(entries["A.4.2"], 1).__dict__, "owner_unit_id": None}),
            revision=None,
        )
        with pytest.raises(ValidationFailed) as refused:
            versions.approve(admin, version, change_note="", confirmed=False, revision=None)
        listed = refused.value.errors["confirm"]
        assert listed[0] == "A.2.3: The justification is only a stock phrase (“N/A”): say why, for this organisation." \
            or any(item.startswith("A.2.3") for item in listed)  # fmt: skip
        assert "A.4.2: no owner unit" in listed
        versions.approve(admin, version, change_note="", confirmed=True, revision=None)
        db.session.commit()
        trail = db.session.scalars(sa.select(Activity).where(Activity.action == "soa.approved")).one()
        assert "A.4.2: no owner unit" in trail.details["confirmed"]
        assert any(item.startswith("A.2.3") for item in trail.details["confirmed"])


def test_entry_edits_are_validated_and_nothing_is_kept_on_error(app: Flask, soa_world: SoaWorld) -> None:
    with app.app_context():
        admin = _admin(soa_world)
        version = versions.start_draft(admin)
        db.session.commit()
        entry = _by_ref(version)["A.6.2.2"]
        bad = EntryInput(
            applicable=False,
            justification="We never build models.\x00",
            implementation=Implementation.IMPLEMENTED,
            owner_unit_id=999,
            system_ids=[998],
            last_reviewed_on=date(2999, 1, 1),
        )
        with pytest.raises(ValidationFailed) as refused:
            versions.update_entry(admin, version, entry, bad, revision=version.revision)
        assert set(refused.value.errors) == {
            "justification", "owner_unit_id", "system_ids", "implementation", "last_reviewed_on"
        }  # fmt: skip
        assert entry.applicable is None
        assert entry.justification == ""


def test_stale_revision_is_refused(app: Flask, soa_world: SoaWorld) -> None:
    with app.app_context():
        admin = _admin(soa_world)
        version = versions.start_draft(admin)
        db.session.commit()
        opened = version.revision
        a, b = versions.entries_of(version)[:2]
        versions.update_entry(admin, version, a, good_input(a, soa_world.unit_id), revision=opened)
        db.session.commit()
        assert version.revision == opened + 1
        with pytest.raises(ChangedMeanwhile):
            versions.update_entry(admin, version, b, good_input(b, soa_world.unit_id), revision=opened)


def test_custom_controls(app: Flask, soa_world: SoaWorld) -> None:
    with app.app_context():
        admin = _admin(soa_world)
        version = versions.start_draft(admin)
        entry = versions.add_custom(admin, version, "ORG-1", "Model card for every deployed model", revision=None)
        assert entry.custom
        assert entry.position == 38
        for ref, message in (
            ("A.2.2", "belong to Annex A"),
            ("a.11.1", "belong to Annex A"),
            ("org-1", "already in this version"),
            ("ORG 2", "letters, digits"),
            ("", "required"),
        ):
            with pytest.raises(ValidationFailed) as refused:
                versions.add_custom(admin, version, ref, "Something", revision=None)
            assert message in " ".join(refused.value.errors["control_ref"])


def test_compare_lists_what_changed_old_to_new(app: Flask, soa_world: SoaWorld) -> None:
    with app.app_context():
        admin = _admin(soa_world)
        first = versions.start_draft(admin)
        fill(first, admin, soa_world.unit_id)
        versions.approve(admin, first, change_note="", confirmed=False, revision=None)
        second = versions.start_draft(admin)
        entry = _by_ref(second)["A.7.5"]
        changed = good_input(entry, soa_world.other_unit_id)
        versions.update_entry(
            admin, second, entry, EntryInput(**{**changed.__dict__, "implementation": Implementation.IMPLEMENTED}),
            revision=None,
        )  # fmt: skip
        versions.add_custom(admin, second, "ORG-7", "Supplier model audits", revision=None)
        changes = compare.compare(first, second)
        assert [(c.ref, c.kind) for c in changes] == [("A.7.5", "changed"), ("ORG-7", "added")]
        fields = {f.label: (f.old, f.new) for f in changes[0].changes}
        assert fields == {
            "Implementation": ("In progress", "Implemented"),
            "Owner unit": ("AI governance office", "Data platform"),
        }
        back = compare.compare(second, first)
        assert [(c.ref, c.kind) for c in back] == [("A.7.5", "changed"), ("ORG-7", "removed")]


@pytest.mark.parametrize("who", ["auditor_id", "viewer_id", "auditee_id"])
def test_only_admins_and_lead_auditors_change_it(app: Flask, soa_world: SoaWorld, who: str) -> None:
    with app.app_context():
        actor = db.session.get(User, getattr(soa_world, who))
        with pytest.raises(NotAllowed):
            versions.start_draft(actor)
        version = versions.start_draft(_admin(soa_world))
        entry = versions.entries_of(version)[0]
        with pytest.raises(NotAllowed):
            versions.update_entry(actor, version, entry, good_input(entry, soa_world.unit_id), revision=None)
        with pytest.raises(NotAllowed):
            versions.approve(actor, version, change_note="", confirmed=True, revision=None)


def test_auditees_read_nothing(app: Flask, soa_world: SoaWorld) -> None:
    with app.app_context():
        version = versions.start_draft(_admin(soa_world))
        auditee = db.session.get(User, soa_world.auditee_id)
        with pytest.raises(NotAllowed):
            versions.list_versions(auditee)
        with pytest.raises(NotAllowed):
            versions.get_version(auditee, version.id)
        viewer = db.session.get(User, soa_world.viewer_id)
        assert [v.id for v in versions.list_versions(viewer)] == [version.id]
