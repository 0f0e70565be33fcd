"""Evidence pages: entries with hashed, versioned files stored under the instance folder, downloads, upload attacks."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from audit_app.extensions import db
from audit_app.models import (
    AuditStatus,
    Evidence,
    EvidenceDownload,
    EvidenceFile,
    EvidenceMethod,
    EvidenceMode,
    utcnow,
)
from tests.fixtures.fieldwork_pages import World, build_world, set_status, text

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
CSV = b"ticket,approved_by\nCHG-1,Head of Model Risk\nCHG-2,Head of Model Risk\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64
ENTRY = {
    "method": "record_review",
    "mode": "on_site",
    "source": "Change log CHG register 2026",
    "evidence_date": "2026-02-27",
    "description": "Two sampled changes carry a risk sign-off.",
}


def evidence_url(web_fw: World, ref: str = "4.1") -> str:
    return f"/audits/{web_fw.audit_id}/checklist/{web_fw.responses[ref]}/evidence"


def upload_dir(app: Flask) -> Path:
    return Path(app.instance_path) / "uploads" / "evidence"


def stored(app: Flask) -> list[str]:
    folder = upload_dir(app)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def post_entry(client: FlaskClient, url: str, *files: tuple[str, bytes], **fields: str):
    data = {**ENTRY, **fields, "files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(url, data=data, content_type="multipart/form-data")


def raw_multipart(
    url_client: FlaskClient, url: str, field: str, name: str, content: bytes, *, escape: bool = True, **fields: str
):
    """Send a file name exactly as given: escaped as an HTTP quoted-string, or (escape=False) as browsers send it.

    Browsers escape neither backslashes nor quotes with a backslash (the HTML standard percent-encodes the quote).
    """
    boundary = "fieldwork-test-boundary"
    quoted = name.replace("\\", "\\\\").replace('"', '\\"') if escape else name.replace('"', "%22")
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()
    ]
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{quoted}"\r\n'
    parts.append(head.encode() + b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return url_client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def file_rows(app: Flask) -> list[EvidenceFile]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(EvidenceFile).order_by(EvidenceFile.id)))
        db.session.expunge_all()
        return rows


def test_files_are_stored_under_random_names_with_hash_size_uploader_and_time(
    client: FlaskClient, app: Flask, web_fw: World, login: Callable[[int], None]
) -> None:
    login(web_fw.auditor_id)
    before = utcnow()
    files = (("board-minutes.pdf", PDF), ("screenshot.png", PNG), ("changes.csv", CSV))
    response = post_entry(client, evidence_url(web_fw), *files)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/checklist/{web_fw.responses['4.1']}#evidence")
    rows = {row.name: row for row in file_rows(app)}
    assert set(rows) == {"board-minutes.pdf", "screenshot.png", "changes.csv"}
    assert sorted(stored(app)) == sorted(row.stored_name for row in rows.values())
    for name, content in files:
        row = rows[name]
        path = upload_dir(app) / row.stored_name
        assert path.read_bytes() == content
        assert path.resolve().is_relative_to(Path(app.instance_path).resolve())
        assert name.split(".")[0] not in row.stored_name
        assert re.fullmatch(r"[0-9a-f]{40}", row.stored_name)
        assert (row.sha256, row.size, row.version) == (hashlib.sha256(content).hexdigest(), len(content), 1)
        assert row.uploaded_by_id == web_fw.auditor_id
        assert row.uploaded_at >= before
    assert rows["board-minutes.pdf"].content_type == "application/pdf"
    assert rows["screenshot.png"].content_type == "image/png"

    page = client.get(f"/audits/{web_fw.audit_id}/checklist/{web_fw.responses['4.1']}").get_data(as_text=True)
    words = text(page)
    assert "Evidence added to 4.1 with 3 files." in words
    assert "Evidence 1: Record review, on-site" in words
    pdf = rows["board-minutes.pdf"]
    assert f"<code>{pdf.sha256[:12]}…</code>" in page
    assert f'<code class="sha256">{pdf.sha256}</code>' in page
    assert f'href="/audits/{web_fw.audit_id}/evidence/files/{pdf.id}"' in page
    assert "Alma Auditor" in words
    checklist = client.get(f"/audits/{web_fw.audit_id}/checklist").get_data(as_text=True)
    assert "<td>1 entry</td>" in checklist


def test_the_evidence_date_and_an_interviewee_role_are_stored(
    client: FlaskClient, app: Flask, web_fw: World, login: Callable[[int], None]
) -> None:
    login(web_fw.auditor_id)
    fields = {"method": "interview", "mode": "remote", "source": "Head of Model Risk", "evidence_date": "2025-12-31"}
    assert post_entry(client, evidence_url(web_fw, "4.2"), **fields).status_code == 302
    with app.app_context():
        entry = db.session.scalar(sa.select(Evidence))
        assert (entry.method, entry.source, entry.evidence_date) == (
            EvidenceMethod.INTERVIEW,
            "Head of Model Risk",
            date(2025, 12, 31),
        )
        assert entry.recorded_at.date() != entry.evidence_date
        assert entry.files == []
    assert stored(app) == []


def test_the_same_name_again_becomes_version_2_and_version_1_is_untouched(
    client: FlaskClient, app: Flask, web_fw: World, login: Callable[[int], None]
) -> None:
    login(web_fw.auditor_id)
    post_entry(client, evidence_url(web_fw), ("policy.pdf", PDF))
    (first,) = file_rows(app)
    newer = PDF.replace(b"Catalog", b"Catalog /Lang (en)")
    response = client.post(
        f"/audits/{web_fw.audit_id}/evidence/{first.evidence_id}/files",
        data={"file": (io.BytesIO(newer), "policy.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    first_again, second = file_rows(app)
    assert (second.name, second.version, second.evidence_id) == ("policy.pdf", 2, first.evidence_id)
    assert second.stored_name != first.stored_name
    assert (upload_dir(app) / first.stored_name).read_bytes() == PDF
    assert (upload_dir(app) / second.stored_name).read_bytes() == newer
    assert first_again.sha256 == hashlib.sha256(PDF).hexdigest()
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "policy.pdf (version 2) added to the evidence." in page


def test_team_members_download_and_every_download_is_logged(
    client: FlaskClient, app: Flask, web_fw: World, login: Callable[[int], None]
) -> None:
    login(web_fw.auditor_id)
    post_entry(client, evidence_url(web_fw), ("board-minutes.pdf", PDF))
    (row,) = file_rows(app)
    url = f"/audits/{web_fw.audit_id}/evidence/files/{row.id}"
    for user_id in (web_fw.auditor_id, web_fw.viewer_id):  # an observer on the team reads, too
        login(user_id)
        response = client.get(url)
        body = response.get_data()
        response.close()
        assert response.status_code == 200
        assert body == PDF
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert "board-minutes.pdf" in response.headers["Content-Disposition"]
    with app.app_context():
        logged = list(db.session.scalars(sa.select(EvidenceDownload).order_by(EvidenceDownload.id)))
        assert [(d.file_id, d.user_id) for d in logged] == [(row.id, web_fw.auditor_id), (row.id, web_fw.viewer_id)]


def test_downloads_are_refused_to_others_and_unknown_or_foreign_files_are_404(
    client: FlaskClient, app: Flask, library: int, web_fw: World, login: Callable[[int], None]
) -> None:
    login(web_fw.auditor_id)
    post_entry(client, evidence_url(web_fw), ("board-minutes.pdf", PDF))
    other = build_world(app, library)
    login(other.auditor_id)
    post_entry(client, evidence_url(other), ("theirs.pdf", PDF))
    mine, theirs = file_rows(app)
    url = f"/audits/{web_fw.audit_id}/evidence/files/{mine.id}"
    for user_id in (web_fw.outsider_id, other.auditor_id):
        login(user_id)
        assert client.get(url).status_code == 403
    login(web_fw.auditee_id)  # cited by no issued finding of theirs: missing, as far as an auditee can tell
    assert client.get(url).status_code == 404
    login(web_fw.auditor_id)
    assert client.get(f"/audits/{web_fw.audit_id}/evidence/files/999999").status_code == 404
    assert client.get(f"/audits/{web_fw.audit_id}/evidence/files/{theirs.id}").status_code == 404
    (upload_dir(app) / mine.stored_name).unlink()
    missing = client.get(url)
    assert missing.status_code == 404
    assert "The stored file is missing" in missing.get_data(as_text=True)
    assert count(app, EvidenceDownload) == 0


ATTACKS = [
    ("../../etc/passwd.txt", b"root:x:0:0\n", "contains a path"),
    ("..\\x.pdf", PDF, "contains a path"),
    ("a/b.pdf", PDF, "contains a path"),
    ("report.pdf", EXE, "It looks like a Windows executable."),
    ("photo.png", ELF, "It looks like a Linux executable."),
    ("empty.pdf", b"", "empty.pdf is empty."),
    ("setup.exe", EXE, "Files of type .exe are not accepted."),
    ("page.html", b"<html><script>alert(1)</script></html>", "Files of type .html are not accepted."),
    ("rep\x07ort.pdf", PDF, "The file name contains control characters."),
    ("rep\x00ort.pdf", PDF, "The file name contains control characters."),
    ("invoice\u202efdp.pdf", PDF, "invisible text-direction controls (U+202E)"),
    ("\u2066report\u2069.pdf", PDF, "invisible text-direction controls (U+2066, U+2069)"),
    ("left\u200eright\u200f\u202a\u202b\u202c\u202d.pdf", PDF, "(U+200E, U+200F, U+202A, U+202B, U+202C, U+202D)"),
    ("\u2067x\u2068.pdf", PDF, "invisible text-direction controls (U+2067, U+2068)"),
    ("report\ufffe.pdf", PDF, "characters that are not text (U+FFFE)"),
    ("report\uffff\ufdd0\ufdef.pdf", PDF, "characters that are not text (U+FFFF, U+FDD0, U+FDEF)"),
    ("two\u2028lines.pdf", PDF, "The file name contains a line break"),
]


@pytest.mark.parametrize(("name", "content", "message"), ATTACKS, ids=[ascii(a[0]) for a in ATTACKS])
def test_upload_attacks_are_refused_with_a_message_and_nothing_is_stored(
    client: FlaskClient, app: Flask, web_fw: World, login: Callable[[int], None], field_errors, name, content, message
) -> None:
    login(web_fw.auditor_id)
    response = raw_multipart(client, evidence_url(web_fw), "files", name, content, **ENTRY)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert any(message in m for m in field_errors(page, "files")), field_errors(page, "files")
    assert 'value="Change log CHG register 2026"' in page  # what was typed is kept
    assert (count(app, Evidence), count(app, EvidenceFile), stored(app)) == (0, 0, [])

    post_entry(client, evidence_url(web_fw), ("good.pdf", PDF))  # the same attack on an existing entry's file form
    (good,) = file_rows(app)
    before = stored(app)
    response = raw_multipart(
        client, f"/audits/{web_fw.audit_id}/evidence/{good.evidence_id}/files", "file", name, content
    )
    assert response.status_code == 400
    errors = field_errors(response.get_data(as_text=True), f"file-{good.evidence_id}")
    assert any(message in m for m in errors), errors
    assert (count(app, EvidenceFile), stored(app)) == (1, before)


@pytest.mark.parametrize("name", ["..\\x.pdf", "C:\\fakepath\\minutes.pdf", "minutes\\2026.pdf", 'a\\"b.pdf'])
def test_a_backslash_sent_as_browsers_send_it_reaches_the_check_and_is_refused(
    client: FlaskClient, app: Flask, web_fw: World, login: Callable[[int], None], field_errors, name: str
) -> None:
    """Werkzeug would unescape `minutes\\2026.pdf` to "minutes2026.pdf"; the check sees the name as sent."""
    login(web_fw.auditor_id)
    response = raw_multipart(client, evidence_url(web_fw), "files", name, PDF, escape=False, **ENTRY)
    assert response.status_code == 400
    (message,) = field_errors(response.get_data(as_text=True), "files")
    assert "contains a path" in message
    assert "\\" in message  # the name is shown as sent, backslashes included
    assert (count(app, Evidence), count(app, EvidenceFile), stored(app)) == (0, 0, [])

    post_entry(client, evidence_url(web_fw), ("good.pdf", PDF))
    (good,) = file_rows(app)
    url = f"/audits/{web_fw.audit_id}/evidence/{good.evidence_id}/files"
    response = raw_multipart(client, url, "file", name, PDF, escape=False)
    assert response.status_code == 400
    assert "contains a path" in field_errors(response.get_data(as_text=True), f"file-{good.evidence_id}")[0]
    assert count(app, EvidenceFile) == 1


def test_a_plain_name_with_quotes_and_accents_is_kept_as_sent(
    client: FlaskClient, app: Flask, web_fw: World, login: Callable[[int], None]
) -> None:
    login(web_fw.auditor_id)
    name = 'Re\u0301sume\u0301 "final".pdf'  # decomposed accents are stored composed (NFC)
    assert raw_multipart(client, evidence_url(web_fw), "files", name, PDF, escape=False, **ENTRY).status_code == 302
    assert [row.name for row in file_rows(app)] == ['Résumé "final".pdf']


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("source", "Change\x00log"),
        ("description", "Seen on\x00screen"),
        ("source", "Change\u2028log"),
        ("description", "\ufdd0"),
    ],
)
def test_nul_and_other_non_text_in_an_entry_is_refused_next_to_the_field(
    client: FlaskClient, app: Flask, web_fw: World, login: Callable[[int], None], field_errors, field, value
) -> None:
    """A 400 with the field's message on both databases (PostgreSQL cannot store NUL: never a 500)."""
    login(web_fw.auditor_id)
    response = post_entry(client, evidence_url(web_fw), ("a.pdf", PDF), **{field: value})
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True), field)
    assert (count(app, Evidence), count(app, EvidenceFile), stored(app)) == (0, 0, [])


def test_downloads_are_not_stored_by_any_cache(client: FlaskClient, app: Flask, web_fw: World, login) -> None:
    login(web_fw.auditor_id)
    post_entry(client, evidence_url(web_fw), ("board-minutes.pdf", PDF))
    (row,) = file_rows(app)
    response = client.get(f"/audits/{web_fw.audit_id}/evidence/files/{row.id}")
    response.close()
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"  # send_file alone says "no-cache"


@pytest.mark.parametrize("config_overrides", [{"EVIDENCE_MAX_BYTES": 1000}])
def test_an_oversize_file_is_refused_and_nothing_is_stored(
    client: FlaskClient, app: Flask, web_fw: World, login: Callable[[int], None], field_errors
) -> None:
    login(web_fw.auditor_id)
    response = post_entry(client, evidence_url(web_fw), ("small.csv", CSV), ("big.txt", b"x" * 1001))
    assert response.status_code == 400
    errors = field_errors(response.get_data(as_text=True), "files")
    assert errors == ["big.txt is larger than the limit of 1,000 bytes."]
    assert (count(app, Evidence), count(app, EvidenceFile), stored(app)) == (0, 0, [])
    assert post_entry(client, evidence_url(web_fw), ("fits.txt", b"x" * 1000)).status_code == 302


def test_entry_input_is_checked_and_only_auditing_members_during_fieldwork_add(
    client: FlaskClient, app: Flask, web_fw: World, login: Callable[[int], None], field_errors
) -> None:
    login(web_fw.auditor_id)
    page = post_entry(client, evidence_url(web_fw), ("a.pdf", PDF), source="  ").get_data(as_text=True)
    assert field_errors(page, "source") == ["Say where the evidence comes from."]
    page = post_entry(client, evidence_url(web_fw), source="Policy", evidence_date="31/12/2025").get_data(as_text=True)
    assert field_errors(page, "evidence_date")
    assert post_entry(client, evidence_url(web_fw), source="a\x1bb").status_code == 400  # control characters
    for user_id in (web_fw.observer_id, web_fw.loner_id, web_fw.viewer_id):
        login(user_id)
        assert post_entry(client, evidence_url(web_fw), ("a.pdf", PDF)).status_code == 403
    set_status(app, web_fw.audit_id, AuditStatus.REPORTING)
    login(web_fw.auditor_id)
    response = post_entry(client, evidence_url(web_fw), ("a.pdf", PDF))
    assert response.status_code == 409
    assert "the audit is in reporting" in text(response.get_data(as_text=True))
    assert (count(app, Evidence), count(app, EvidenceFile), stored(app)) == (0, 0, [])


def test_adding_a_file_to_an_entry_of_another_audit_is_404(
    client: FlaskClient, app: Flask, library: int, web_fw: World, login: Callable[[int], None]
) -> None:
    other = build_world(app, library)
    with app.app_context():
        entry = Evidence(
            audit_id=other.audit_id,
            response_id=other.responses["4.1"],
            method=EvidenceMethod.OBSERVATION,
            mode=EvidenceMode.ON_SITE,
            source="Server room",
            evidence_date=date(2026, 3, 2),
        )
        db.session.add(entry)
        db.session.commit()
        entry_id = entry.id
    login(web_fw.auditor_id)
    data = {"file": (io.BytesIO(PDF), "a.pdf")}
    url = f"/audits/{web_fw.audit_id}/evidence/{entry_id}/files"
    assert client.post(url, data=data, content_type="multipart/form-data").status_code == 404
    assert client.post(f"/audits/{web_fw.audit_id}/evidence/999999/files").status_code == 404
    assert (count(app, EvidenceFile), stored(app)) == (0, [])


def test_item_page_query_count_does_not_grow_with_evidence(app, client, login, make_user, library, query_count):
    """The item page loads evidence, files and people in a fixed number of queries."""
    from datetime import date as _date

    from audit_app.extensions import db as _db
    from audit_app.models import AuditStatus as _Status
    from audit_app.models import ChecklistResponse as _Response
    from audit_app.models import Evidence as _Evidence
    from audit_app.models import EvidenceFile as _File
    from audit_app.models import EvidenceMethod as _Method
    from audit_app.models import EvidenceMode as _Mode
    from tests.fixtures.planning import Planning

    with app.app_context():
        plan = Planning(library)
        audit = plan.audit()
        plan.ready(audit, _Status.FIELDWORK)
        lead_id, audit_id = audit.lead_auditor_id, audit.id
        response = _db.session.scalars(_db.select(_Response).where(_Response.audit_id == audit.id)).first()
        response_id = response.id
        _db.session.commit()

    def add_entries(count: int) -> None:
        with app.app_context():
            for index in range(count):
                entry = _Evidence(
                    audit_id=audit_id,
                    response_id=response_id,
                    method=_Method.RECORD_REVIEW,
                    mode=_Mode.REMOTE,
                    source=f"Record {index}",
                    evidence_date=_date(2026, 3, 1),
                    recorded_by_id=lead_id,
                )
                _db.session.add(entry)
                _db.session.flush()
                _db.session.add(
                    _File(
                        evidence_id=entry.id,
                        name=f"r{index}.txt",
                        stored_name=f"q{index}-{count}",
                        content_type="text/plain",
                        size=1,
                        sha256="0" * 64,
                        uploaded_by_id=lead_id,
                    )
                )
            _db.session.commit()

    def queries() -> int:
        with client:
            assert client.get(f"/audits/{audit_id}/checklist/{response_id}").status_code == 200
            return query_count()

    login(lead_id)
    add_entries(1)
    few = queries()
    add_entries(20)
    assert queries() == few
