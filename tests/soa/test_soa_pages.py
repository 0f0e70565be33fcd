"""The SoA pages: list, start a draft, the version table with its filters and flags (in words), the entry form
(validation, stale form), own controls, approval with its confirmation, compare, exports and who sees what."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import docx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from audit_app.extensions import db
from audit_app.models import User
from audit_app.models.soa import SoaEntry, SoaStatus, SoaVersion
from audit_app.services.soa import versions
from tests.soa.conftest import SoaWorld, fill


def _draft(app: Flask, world: SoaWorld, *, filled: bool = False) -> int:
    with app.app_context():
        admin = db.session.get(User, world.admin_id)
        version = versions.start_draft(admin)
        if filled:
            fill(version, admin, world.unit_id)
        db.session.commit()
        return version.id


def _entry_id(app: Flask, version_id: int, ref: str) -> int:
    with app.app_context():
        return db.session.scalar(
            db.select(SoaEntry.id).where(SoaEntry.version_id == version_id, SoaEntry.control_ref == ref)
        )


def _revision(app: Flask, version_id: int) -> int:
    with app.app_context():
        return db.session.get(SoaVersion, version_id).revision


def test_admin_starts_the_first_draft(client: FlaskClient, login: Callable, soa_world: SoaWorld, app: Flask) -> None:
    login(soa_world.admin_id)
    page = client.get("/soa/")
    assert page.status_code == 200
    assert "No version yet." in page.text
    assert "all 38 Annex A controls" in page.text
    started = client.post("/soa/draft", data={})
    assert started.status_code == 302
    version_page = client.get(started.headers["Location"])
    assert "Statement of Applicability, version 1" in version_page.text
    assert version_page.text.count('<tr id="entry-') == 38
    assert "0 of 38 controls complete" in version_page.text
    again = client.post("/soa/draft", data={})
    assert again.status_code == 409
    assert "already a draft" in again.text


def test_version_page_filters_and_shows_flags_in_words(
    client: FlaskClient, login: Callable, soa_world: SoaWorld, app: Flask
) -> None:
    version_id = _draft(app, soa_world, filled=True)
    with app.app_context():
        admin = db.session.get(User, soa_world.admin_id)
        version = db.session.get(SoaVersion, version_id)
        entry = next(e for e in versions.entries_of(version) if e.control_ref == "A.8.3")
        versions.update_entry(admin, version, entry, versions.EntryInput(applicable=False, justification="See policy",
                              owner_unit_id=soa_world.unit_id), revision=None)  # fmt: skip
        db.session.commit()
    login(soa_world.viewer_id)
    everything = client.get(f"/soa/{version_id}")
    assert everything.status_code == 200
    assert "! Flagged" in everything.text
    assert "only a stock phrase (“See policy”)" in everything.text
    flagged = client.get(f"/soa/{version_id}?show=flagged")
    assert flagged.text.count('<tr id="entry-') == 1
    assert "A.8.3" in flagged.text
    incomplete = client.get(f"/soa/{version_id}?show=incomplete")
    assert 'id="no-entries"' in incomplete.text
    assert client.get(f"/soa/{version_id}?show=bogus").text.count('<tr id="entry-') == 38
    # a viewer reads but is offered no edit link and no approval
    assert f"/soa/{version_id}/entries/" not in everything.text
    assert "Approve this version" not in everything.text


def test_entry_form_saves_refuses_bad_input_and_stale_forms(
    client: FlaskClient, login: Callable, soa_world: SoaWorld, app: Flask
) -> None:
    version_id = _draft(app, soa_world)
    entry_id = _entry_id(app, version_id, "A.7.5")
    url = f"/soa/{version_id}/entries/{entry_id}"
    login(soa_world.lead_id)
    form = client.get(url)
    assert form.status_code == 200
    assert "Credit scoring model" in form.text
    revision = re.search(r'name="revision" type="hidden" value="(\d+)"', form.text) or re.search(
        r'name="entry-revision" type="hidden" value="(\d+)"', form.text
    )
    assert revision is not None
    good = {
        "entry-revision": revision.group(1),
        "entry-applicable": "yes",
        "entry-justification": "We train our fraud models on bought data, so its provenance (R-12) must be known.",
        "entry-implementation": "in_progress",
        "entry-owner_unit_id": str(soa_world.unit_id),
        "entry-addresses": "R-12",
        "entry-system_ids": str(soa_world.system_id),
        "entry-evidence": "https://intranet.example.test/provenance",
        "entry-last_reviewed_on": "2026-02-01",
    }
    bad = client.post(url, data={**good, "entry-owner_unit_id": "999", "entry-last_reviewed_on": "2999-01-01"})
    assert bad.status_code == 400
    assert "Choose an active unit." in bad.text
    assert "cannot be in the future" in bad.text
    saved = client.post(url, data=good)
    assert saved.status_code == 302
    with app.app_context():
        entry = db.session.get(SoaEntry, entry_id)
        assert entry.applicable is True
        assert [s.id for s in entry.systems] == [soa_world.system_id]
    stale = client.post(url, data={**good, "entry-justification": "Something else entirely, written much later."})
    assert stale.status_code == 409
    assert "changed after this form was opened" in stale.text
    with app.app_context():
        assert db.session.get(SoaEntry, entry_id).justification.startswith("We train")


def test_own_control_is_added_and_annex_ids_refused(
    client: FlaskClient, login: Callable, soa_world: SoaWorld, app: Flask
) -> None:
    version_id = _draft(app, soa_world)
    login(soa_world.admin_id)
    revision = _revision(app, version_id)
    refused = client.post(
        f"/soa/{version_id}/controls",
        data={"custom-revision": revision, "custom-control_ref": "A.11.2", "custom-title": "Made up"},
    )
    assert refused.status_code == 400
    assert "belong to Annex A" in refused.text
    added = client.post(
        f"/soa/{version_id}/controls",
        data={"custom-revision": revision, "custom-control_ref": "ORG-1", "custom-title": "Model cards"},
    )
    assert added.status_code == 302
    assert "Own control" in client.get(f"/soa/{version_id}").text


def test_approval_page_refuses_lists_and_confirms(
    client: FlaskClient, login: Callable, soa_world: SoaWorld, app: Flask
) -> None:
    version_id = _draft(app, soa_world)
    login(soa_world.admin_id)
    page = client.get(f"/soa/{version_id}/approve")
    assert "Cannot be approved yet" in page.text
    assert "A.2.2: no decision (applicable or excluded) and no justification" in page.text
    refused = client.post(f"/soa/{version_id}/approve", data={"approve-revision": _revision(app, version_id)})
    assert refused.status_code == 409
    with app.app_context():
        admin = db.session.get(User, soa_world.admin_id)
        version = db.session.get(SoaVersion, version_id)
        fill(version, admin, soa_world.unit_id)
        entry = versions.entries_of(version)[0]
        versions.update_entry(admin, version, entry, versions.EntryInput(applicable=True, justification="N/A"),
                              revision=None)  # fmt: skip
        db.session.commit()
    page = client.get(f"/soa/{version_id}/approve")
    assert "To confirm (2)" in page.text
    unconfirmed = client.post(f"/soa/{version_id}/approve", data={"approve-revision": _revision(app, version_id)})
    assert unconfirmed.status_code == 400
    approved = client.post(
        f"/soa/{version_id}/approve", data={"approve-revision": _revision(app, version_id), "approve-confirm": "y"}
    )
    assert approved.status_code == 302
    frozen = client.get(f"/soa/{version_id}")
    assert "This version is frozen." in frozen.text
    assert f"/soa/{version_id}/entries/" not in frozen.text
    entry_id = _entry_id(app, version_id, "A.2.3")
    assert client.post(f"/soa/{version_id}/entries/{entry_id}", data={}).status_code == 409
    with app.app_context():
        assert db.session.get(SoaVersion, version_id).status is SoaStatus.APPROVED


def test_compare_and_exports(client: FlaskClient, login: Callable, soa_world: SoaWorld, app: Flask) -> None:
    first = _draft(app, soa_world, filled=True)
    with app.app_context():
        admin = db.session.get(User, soa_world.admin_id)
        versions.approve(admin, db.session.get(SoaVersion, first), change_note="", confirmed=False, revision=None)
        second = versions.start_draft(admin)
        versions.add_custom(admin, second, "ORG-2", "Supplier model audits", revision=None)
        db.session.commit()
        second_id = second.id
    login(soa_world.auditor_id)
    page = client.get(f"/soa/compare?old={first}&new={second_id}")
    assert page.status_code == 200
    assert "ORG-2 Supplier model audits" in page.text
    assert "Added" in page.text
    assert client.get("/soa/compare?old=x").status_code == 400
    assert client.get(f"/soa/compare?old=999&new={second_id}").status_code == 404
    word = client.get(f"/soa/{second_id}/export.docx")
    assert word.status_code == 200
    assert 'filename="Statement of Applicability draft2.docx"' in word.headers["Content-Disposition"]
    table = docx.Document(io.BytesIO(word.data)).tables[0]
    assert len(table.rows) == 40  # header, 38 Annex A controls, ORG-2
    sheet = load_workbook(io.BytesIO(client.get(f"/soa/{second_id}/export.xlsx").data)).active
    assert sheet.max_row == 4 + 39


@pytest.mark.parametrize(
    "path", ["/soa/", "/soa/{v}", "/soa/{v}/export.docx", "/soa/{v}/export.xlsx", "/soa/compare?old={v}&new={v}"]
)
def test_auditees_see_no_version_not_even_drafts(
    client: FlaskClient, login: Callable, soa_world: SoaWorld, app: Flask, path: str
) -> None:
    version_id = _draft(app, soa_world)
    login(soa_world.auditee_id)
    assert client.get(path.format(v=version_id)).status_code == 403


def test_navigation_offers_the_soa_to_staff_only(client: FlaskClient, login: Callable, soa_world: SoaWorld) -> None:
    login(soa_world.viewer_id)
    assert 'href="/soa/"' in client.get("/").text
    login(soa_world.auditee_id)
    assert 'href="/soa/"' not in client.get("/").text
