"""/api/v1/audits/{id}/evidence: entries as JSON or multipart, versioned hashed files, upload attacks, downloads."""

from __future__ import annotations

import hashlib
import io
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import (
    AuditStatus,
    ChecklistResponse,
    Evidence,
    EvidenceDownload,
    EvidenceFile,
    EvidenceMethod,
    EvidenceMode,
    User,
)
from audit_app.services.fieldwork import evidence
from tests.fixtures.api_fieldwork import PDF, Fieldwork, set_status

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48
ENTRY = {
    "method": "document_review",
    "mode": "on_site",
    "source": "AI policy v2.1",
    "evidence_date": "2026-02-15",
    "description": "Signed by the board.",
}


def entries_url(api_fw: Fieldwork, ref: str = "4.1") -> str:
    return f"/api/v1/audits/{api_fw.audit_id}/checklist/{api_fw.responses[ref]}/evidence"


def upload_dir(app) -> Path:
    return Path(app.instance_path) / "uploads" / "evidence"


def stored_files(app) -> list[Path]:
    folder = upload_dir(app)
    return sorted(folder.iterdir()) if folder.exists() else []


def rows(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def multipart(*files: tuple[str, bytes], **fields: str) -> dict:
    return {**fields, "file": [(io.BytesIO(content), name) for name, content in files]}


def post_files(client, url: str, headers: dict, *files: tuple[str, bytes], **fields: str):
    return client.post(url, headers=headers, data=multipart(*files, **fields), content_type="multipart/form-data")


def create_entry(client, api_fw: Fieldwork, headers: dict, *files: tuple[str, bytes]) -> dict:
    response = post_files(client, entries_url(api_fw), headers, *files, **ENTRY)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# --- Creating entries -----------------------------------------------------------------------------------------


def test_json_entry_without_files(app, client, api_fw, as_user):
    response = client.post(entries_url(api_fw), headers=as_user(api_fw.auditor_id), json=ENTRY)

    assert response.status_code == 201
    body = response.get_json()
    assert (body["ref"], body["method"], body["mode"], body["source"]) == (
        "4.1",
        "document_review",
        "on_site",
        "AI policy v2.1",
    )
    assert (body["evidence_date"], body["description"], body["files"]) == ("2026-02-15", "Signed by the board.", [])
    assert body["recorded_by"]["id"] == api_fw.auditor_id
    assert body["response_id"] == api_fw.responses["4.1"]
    listing = client.get(f"/api/v1/audits/{api_fw.audit_id}/checklist", headers=as_user(api_fw.lead_id)).get_json()
    assert [i["evidence_count"] for i in listing["items"]] == [1, 0]


def test_json_entry_is_checked_for_shape_and_rules(app, client, api_fw, as_user):
    headers = as_user(api_fw.auditor_id)
    missing = client.post(entries_url(api_fw), headers=headers, json={"method": "interview"})
    blank = client.post(entries_url(api_fw), headers=headers, json={**ENTRY, "source": "   "})
    wrong = client.post(entries_url(api_fw), headers=headers, json={**ENTRY, "method": "guesswork"})

    assert missing.status_code == 422
    assert {"source", "evidence_date"} <= set(missing.get_json()["errors"]["json"])
    assert blank.status_code == 422
    assert "source" in blank.get_json()["errors"]["json"]
    assert wrong.status_code == 422
    assert "method" in wrong.get_json()["errors"]["json"]
    form = post_files(client, entries_url(api_fw), headers, ("policy.pdf", PDF), method="interview")
    assert form.status_code == 422
    assert {"source", "evidence_date"} <= set(form.get_json()["errors"]["form"])
    # Authorization comes before validation: an observer learns nothing about the input.
    observer = client.post(entries_url(api_fw), headers=as_user(api_fw.observer_id), json={"method": "interview"})
    assert observer.status_code == 403
    assert (rows(app, Evidence), rows(app, EvidenceFile), stored_files(app)) == (0, 0, [])


def test_multipart_entry_stores_hashed_files_under_random_names(app, client, api_fw, as_user):
    body = create_entry(client, api_fw, as_user(api_fw.auditor_id), ("policy.pdf", PDF), ("board minutes.png", PNG))

    assert body["source"] == "AI policy v2.1"
    by_name = {f["name"]: f for f in body["files"]}
    assert set(by_name) == {"policy.pdf", "board minutes.png"}
    assert by_name["policy.pdf"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert by_name["policy.pdf"]["size"] == len(PDF)
    assert by_name["policy.pdf"]["content_type"] == "application/pdf"
    assert by_name["board minutes.png"]["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert by_name["board minutes.png"]["content_type"] == "image/png"
    assert {f["version"] for f in body["files"]} == {1}
    assert by_name["policy.pdf"]["uploaded_by"]["id"] == api_fw.auditor_id
    with app.app_context():
        records = {r.name: r for r in db.session.scalars(sa.select(EvidenceFile))}
    assert len(records) == 2
    for name, content in (("policy.pdf", PDF), ("board minutes.png", PNG)):
        record = records[name]
        assert record.stored_name != name
        assert "." not in record.stored_name
        path = upload_dir(app) / record.stored_name
        assert path.read_bytes() == content
        assert hashlib.sha256(path.read_bytes()).hexdigest() == record.sha256
    assert len(stored_files(app)) == 2


def test_same_name_again_becomes_version_two_and_the_old_file_stays(app, client, api_fw, as_user):
    headers = as_user(api_fw.auditor_id)
    entry = create_entry(client, api_fw, headers, ("policy.pdf", PDF))
    (first,) = entry["files"]
    newer = PDF.replace(b"1.7", b"2.0")

    response = post_files(
        client, f"/api/v1/audits/{api_fw.audit_id}/evidence/{entry['id']}/files", headers, ("policy.pdf", newer)
    )

    assert response.status_code == 201
    second = response.get_json()
    assert (second["name"], second["version"]) == ("policy.pdf", 2)
    assert second["sha256"] == hashlib.sha256(newer).hexdigest()
    assert second["id"] != first["id"]
    with app.app_context():
        old, new = (db.session.get(EvidenceFile, i) for i in (first["id"], second["id"]))
        old_path, new_path = upload_dir(app) / old.stored_name, upload_dir(app) / new.stored_name
    assert old_path != new_path
    assert old_path.read_bytes() == PDF
    assert new_path.read_bytes() == newer
    listed = client.get(f"/api/v1/audits/{api_fw.audit_id}/evidence", headers=headers).get_json()
    assert [(f["name"], f["version"]) for f in listed[0]["files"]] == [("policy.pdf", 1), ("policy.pdf", 2)]


def test_upload_file_needs_a_file(app, client, api_fw, as_user):
    headers = as_user(api_fw.auditor_id)
    entry = client.post(entries_url(api_fw), headers=headers, json=ENTRY).get_json()

    response = client.post(f"/api/v1/audits/{api_fw.audit_id}/evidence/{entry['id']}/files", headers=headers, data={})

    assert response.status_code == 422
    assert "file" in response.get_json()["errors"]["json"]


# --- Upload attacks -------------------------------------------------------------------------------------------

ATTACKS = {
    "path traversal": ("../../instance/config.pdf", PDF, "contains a path"),
    # The test client does not escape the header; "\\\\" arrives as one backslash, as a browser would send it.
    "windows path": ("..\\\\evil.pdf", PDF, "contains a path"),
    "disguised executable": ("invoice.pdf", EXE, "It looks like a Windows executable"),
    "empty file": ("empty.pdf", b"", "is empty"),
    "executable": ("setup.exe", EXE, "Files of type .exe are not accepted"),
    # ... and one backslash, unescaped, as browsers send it: Werkzeug alone would make it "minutes2026.pdf".
    "browser backslash": ("minutes\\2026.pdf", PDF, "contains a path"),
    "windows path as sent": ("C:\\fakepath\\minutes.pdf", PDF, "contains a path"),
    "NUL in the name": ("minutes\x00.pdf", PDF, "contains control characters"),
    "right-to-left override": ("invoice\u202efdp.pdf", PDF, "text-direction controls (U+202E)"),
    "isolates and marks": ("\u2066a\u2069\u200e\u200f.pdf", PDF, "(U+2066, U+2069, U+200E, U+200F)"),
    "non-characters": ("report\ufffe\ufdd0.pdf", PDF, "characters that are not text (U+FFFE, U+FDD0)"),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attacks_on_a_new_entry_are_refused_and_nothing_is_stored(app, client, api_fw, as_user, attack):
    name, content, message = ATTACKS[attack]

    response = post_files(
        client, entries_url(api_fw), as_user(api_fw.auditor_id), ("fine.pdf", PDF), (name, content), **ENTRY
    )

    assert response.status_code in (400, 422)
    errors = response.get_json()["errors"]["json"]["file"]
    assert any(message in e for e in errors), errors
    assert (rows(app, Evidence), rows(app, EvidenceFile)) == (0, 0)
    assert stored_files(app) == []


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attacks_on_an_existing_entry_are_refused_and_nothing_is_stored(app, client, api_fw, as_user, attack):
    name, content, message = ATTACKS[attack]
    headers = as_user(api_fw.auditor_id)
    entry = client.post(entries_url(api_fw), headers=headers, json=ENTRY).get_json()

    response = post_files(
        client, f"/api/v1/audits/{api_fw.audit_id}/evidence/{entry['id']}/files", headers, (name, content)
    )

    assert response.status_code in (400, 422)
    assert message in response.get_json()["message"]
    assert (rows(app, Evidence), rows(app, EvidenceFile)) == (1, 0)
    assert stored_files(app) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("source", "AI policy\x00v2"), ("description", "Signed\x00"), ("source", "a\u2029b"), ("description", "\ufffe")],
)
@pytest.mark.parametrize("as_form", [False, True], ids=["json", "multipart"])
def test_nul_and_other_non_text_in_an_entry_is_a_422(app, client, api_fw, as_user, field, value, as_form):
    """422 naming the field on both databases (PostgreSQL cannot store NUL: never a 500); nothing is stored."""
    headers, fields = as_user(api_fw.auditor_id), {**ENTRY, field: value}
    if as_form:
        response = post_files(client, entries_url(api_fw), headers, ("policy.pdf", PDF), **fields)
    else:
        response = client.post(entries_url(api_fw), headers=headers, json=fields)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert (rows(app, Evidence), rows(app, EvidenceFile), stored_files(app)) == (0, 0, [])


@pytest.mark.parametrize("config_overrides", [{"EVIDENCE_MAX_BYTES": 64}])
def test_oversize_file_is_refused(app, client, api_fw, as_user):
    big = b"%PDF-1.7\n" + b"0" * 200

    response = post_files(client, entries_url(api_fw), as_user(api_fw.auditor_id), ("scan.pdf", big), **ENTRY)

    assert response.status_code in (400, 422)
    assert response.get_json()["errors"]["json"]["file"] == ["scan.pdf is larger than the limit of 64 bytes."]
    assert (rows(app, Evidence), rows(app, EvidenceFile)) == (0, 0)
    assert stored_files(app) == []


def test_evidence_is_recorded_by_auditors_on_the_team_during_fieldwork(app, client, api_fw, as_user):
    for who in (api_fw.observer_id, api_fw.outsider_id, api_fw.admin_id, api_fw.viewer_id, api_fw.auditee_id):
        refused = post_files(client, entries_url(api_fw), as_user(who), ("policy.pdf", PDF), **ENTRY)
        assert refused.status_code == 403, who
    set_status(app, api_fw.audit_id, AuditStatus.REPORTING)
    late = post_files(client, entries_url(api_fw), as_user(api_fw.auditor_id), ("policy.pdf", PDF), **ENTRY)
    assert late.status_code == 409
    assert (rows(app, Evidence), rows(app, EvidenceFile)) == (0, 0)
    assert stored_files(app) == []


# --- Listing and downloads ------------------------------------------------------------------------------------


def _list_queries(client, api_fw, headers, query_count) -> int:
    with client:
        response = client.get(f"/api/v1/audits/{api_fw.audit_id}/evidence", headers=headers)
        assert response.status_code == 200
        return query_count()


def test_evidence_list_uses_a_bounded_number_of_queries(client, api_fw, as_user, query_count):
    headers = as_user(api_fw.auditor_id)
    create_entry(client, api_fw, headers, ("a.pdf", PDF))
    few = _list_queries(client, api_fw, headers, query_count)
    for ref in ("4.1", "8.4", "8.4"):
        response = post_files(client, entries_url(api_fw, ref), headers, ("b.pdf", PDF), ("c.png", PNG), **ENTRY)
        assert response.status_code == 201

    many = _list_queries(client, api_fw, headers, query_count)

    listed = client.get(f"/api/v1/audits/{api_fw.audit_id}/evidence", headers=headers).get_json()
    assert [e["ref"] for e in listed] == ["4.1", "4.1", "8.4", "8.4"]
    assert sum(len(e["files"]) for e in listed) == 7
    assert many == few


def test_team_member_downloads_the_stored_bytes_and_it_is_recorded(app, client, api_fw, as_user):
    entry = create_entry(client, api_fw, as_user(api_fw.auditor_id), ("policy.pdf", PDF))
    url = entry["files"][0]["download_url"]

    response = client.get(url, headers=as_user(api_fw.viewer_id))
    content = response.data
    response.close()  # send_file streams from the open file

    assert response.status_code == 200
    assert content == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "policy.pdf" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"  # send_file alone says "no-cache"
    with app.app_context():
        (download,) = db.session.scalars(sa.select(EvidenceDownload))
        assert (download.file_id, download.user_id) == (entry["files"][0]["id"], api_fw.viewer_id)


def test_downloads_are_refused_outside_the_team_and_across_audits(app, client, api_fw, as_user):
    entry = create_entry(client, api_fw, as_user(api_fw.auditor_id), ("policy.pdf", PDF))
    file_id = entry["files"][0]["id"]
    url = f"/api/v1/audits/{api_fw.audit_id}/evidence/files/{file_id}"

    assert client.get(url, headers=as_user(api_fw.auditee_id)).status_code == 404  # cited by no issued finding
    outsider = client.get(url, headers=as_user(api_fw.outsider_id))
    assert outsider.status_code == 403
    assert outsider.get_json()["message"]
    across = client.get(
        f"/api/v1/audits/{api_fw.other_audit_id}/evidence/files/{file_id}", headers=as_user(api_fw.admin_id)
    )
    assert across.status_code == 404
    assert (
        client.get(
            f"/api/v1/audits/{api_fw.audit_id}/evidence/files/999999", headers=as_user(api_fw.lead_id)
        ).status_code
        == 404
    )
    assert rows(app, EvidenceDownload) == 0


def _entries(app, api_fw, how_many: int) -> None:
    """Record `how_many` entries (alternating items, every third with a file) through the service."""
    with app.app_context():
        actor = db.session.get(User, api_fw.auditor_id)
        for n in range(how_many):
            response = db.session.get(ChecklistResponse, api_fw.responses["4.1" if n % 2 else "8.4"])
            data = evidence.EvidenceData(
                EvidenceMethod.RECORD_REVIEW, EvidenceMode.ON_SITE, f"Record {n}", date(2026, 3, 2)
            )
            files = [(f"r{n}.pdf", PDF)] if n % 3 == 0 else []
            evidence.add_evidence(response, data, actor=actor, files=files)
        db.session.commit()


def _page(client, api_fw, headers, query: str, query_count) -> tuple[list[dict], dict, int]:
    with client:
        response = client.get(f"/api/v1/audits/{api_fw.audit_id}/evidence?{query}", headers=headers)
        assert response.status_code == 200
        return response.get_json(), dict(response.headers), query_count()


def test_the_evidence_list_is_paged_with_the_same_queries_at_any_size(app, client, api_fw, as_user, query_count):
    headers = as_user(api_fw.lead_id)
    _entries(app, api_fw, 3)
    _page(client, api_fw, headers, "", query_count)  # the token's first use is written down once: not counted
    small, small_headers, few = _page(client, api_fw, headers, "", query_count)
    assert [e["source"] for e in small] == ["Record 0", "Record 1", "Record 2"]
    assert small_headers["X-Total-Count"] == "3"
    assert 'rel="next"' not in small_headers["Link"]

    _entries(app, api_fw, 117)  # 120 in all
    listed, paging, many = _page(client, api_fw, headers, "page=2&per_page=50", query_count)
    assert many == few  # the same statements whatever the number of entries and files
    assert len(listed) == 50
    assert listed[0]["source"] == "Record 47"  # the 51st entry: 3 first, then Record 0 to 116
    assert paging["X-Total-Count"] == "120"
    links = paging["Link"]
    assert 'page=3&per_page=50>; rel="next"' in links
    assert 'page=1&per_page=50>; rel="prev"' in links
    assert 'page=3&per_page=50>; rel="last"' in links
    last, _, _ = _page(client, api_fw, headers, "page=3&per_page=50", query_count)
    assert len(last) == 20
    first, _, _ = _page(client, api_fw, headers, "", query_count)
    assert len(first) == 50  # the default page size: a client written before paging gets the first page
    assert [e["id"] for e in first] == sorted(e["id"] for e in first)


@pytest.mark.parametrize("query", ["per_page=0", "per_page=101", "page=0"])
def test_paging_parameters_out_of_bounds_are_a_422(client, api_fw, as_user, query):
    response = client.get(f"/api/v1/audits/{api_fw.audit_id}/evidence?{query}", headers=as_user(api_fw.lead_id))

    assert response.status_code == 422
    assert query.split("=")[0] in response.get_json()["errors"]["query"]
