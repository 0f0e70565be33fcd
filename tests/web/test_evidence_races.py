"""Parallel uploads and evidence creations, with real threads against the real database (SQLite or PostgreSQL).

Ten uploads of one name to one entry become versions 1..10; refused or failed creations leave no file behind,
including a failure after the files were written (the storage removes files whose transaction did not commit).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from audit_app.errors import ValidationFailed
from audit_app.extensions import db
from audit_app.models import Evidence, EvidenceFile, User
from audit_app.services import activity
from audit_app.services.fieldwork import evidence as evidence_service
from tests.fixtures.api_fieldwork import Fieldwork
from tests.fixtures.fieldwork_pages import World
from tests.fixtures.parallel import in_parallel

THREADS = 10
PDF = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48
ENTRY = {"method": "record_review", "mode": "on_site", "source": "Change register", "evidence_date": "2026-02-27"}


def on_disk(app: Flask) -> set[str]:
    folder = Path(app.instance_path) / "uploads" / "evidence"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def stored(app: Flask) -> list[tuple[int, str, int, str]]:
    """(entry, name, version, stored name) of every file row."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(EvidenceFile.evidence_id, EvidenceFile.name, EvidenceFile.version, EvidenceFile.stored_name)
        )
        return sorted(tuple(row) for row in rows)


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def signed_in(app: Flask, user_id: int) -> FlaskClient:
    """A test client of its own with `user_id` signed in."""
    client = app.test_client()
    with app.app_context():
        version = db.session.get(User, user_id).session_version
    with client.session_transaction() as session:
        session["_user_id"] = f"{user_id}:{version}"
        session["_fresh"] = True
    return client


def multipart(*files: tuple[str, bytes], field: str = "file", **fields: str) -> dict:
    return {**fields, field: [(io.BytesIO(content), name) for name, content in files]}


# --- Ten uploads of one name to one entry -----------------------------------------------------------------------


def test_parallel_api_uploads_of_one_name_become_versions_1_to_10(app, client, api_fw: Fieldwork, as_user) -> None:
    headers = as_user(api_fw.auditor_id)
    url = f"/api/v1/audits/{api_fw.audit_id}/checklist/{api_fw.responses['4.1']}/evidence"
    entry = client.post(url, headers=headers, json=ENTRY).get_json()
    files_url = f"/api/v1/audits/{api_fw.audit_id}/evidence/{entry['id']}/files"

    def upload(i: int) -> tuple[int, Any]:
        content = PDF + f"% upload {i}\n".encode()
        response = app.test_client().post(
            files_url, headers=headers, data=multipart(("register.pdf", content)), content_type="multipart/form-data"
        )
        return response.status_code, response.get_json()

    answers = in_parallel(THREADS, upload)

    assert [status for status, _ in answers] == [201] * THREADS, answers
    assert sorted(body["version"] for _, body in answers) == list(range(1, THREADS + 1))
    rows = stored(app)
    assert [(name, version) for _, name, version, _ in rows] == [("register.pdf", v) for v in range(1, THREADS + 1)]
    assert on_disk(app) == {key for *_, key in rows}  # every file has its row, and no file is left over


def test_parallel_web_uploads_of_one_name_become_versions_1_to_10(app, web_fw: World) -> None:
    owner = signed_in(app, web_fw.auditor_id)
    url = f"/audits/{web_fw.audit_id}/checklist/{web_fw.responses['4.1']}/evidence"
    assert (
        owner.post(url, data=multipart(field="files", **ENTRY), content_type="multipart/form-data").status_code == 302
    )
    (entry_id,) = [row[0] for row in _entries(app)]
    clients = [signed_in(app, web_fw.auditor_id if i % 2 else web_fw.second_id) for i in range(THREADS)]

    def upload(i: int) -> int:
        data = multipart(("minutes.pdf", PDF + f"% upload {i}\n".encode()))
        response = clients[i].post(
            f"/audits/{web_fw.audit_id}/evidence/{entry_id}/files", data=data, content_type="multipart/form-data"
        )
        return response.status_code

    assert in_parallel(THREADS, upload) == [302] * THREADS
    rows = stored(app)
    assert [(name, version) for _, name, version, _ in rows] == [("minutes.pdf", v) for v in range(1, THREADS + 1)]
    assert on_disk(app) == {key for *_, key in rows}


def _entries(app: Flask) -> list[tuple[int]]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(sa.select(Evidence.id))]


# --- Ten creations, some refused --------------------------------------------------------------------------------

#: What each of the ten requests sends, and whether it is stored.
KINDS = ("stored", "refused file", "refused text", "fails after storing", "stored")
AFTER_STORING = "fails after storing"


@pytest.fixture
def fail_after_storing(monkeypatch: pytest.MonkeyPatch, app: Flask) -> list[list[str]]:
    """Refuse entries whose source says so once their files are written (as any later refusal would).

    Returns, per refused entry, the storage keys that were on disk at that moment.
    """
    seen: list[list[str]] = []
    record = activity.record

    def refusing(actor: Any, action: str, subject: Any, **details: Any) -> Any:
        if action == "evidence.added" and subject.source.startswith(AFTER_STORING):
            keys = [f.stored_name for f in subject.files]
            assert keys
            assert all(evidence_service.files().exists(k) for k in keys)  # the files were written
            seen.append(keys)
            raise ValidationFailed.on("source", "Refused after the files were written (test).")
        return record(actor, action, subject, **details)

    monkeypatch.setattr(activity, "record", refusing)
    return seen


def _entry_for(i: int) -> tuple[dict[str, str], list[tuple[str, bytes]]]:
    kind = KINDS[i % len(KINDS)]
    files = [(f"extract-{i}.pdf", PDF + f"% {i}\n".encode()), ("register.csv", f"id,owner\n{i},Risk\n".encode())]
    fields = {**ENTRY, "source": f"{kind} {i}"}
    if kind == "refused file":
        files.append(("photo.pdf", EXE))  # a disguised executable: the whole entry is refused before storing
    if kind == "refused text":
        fields["description"] = "pasted\x00from a terminal"
    return fields, files


def _check_creations(app: Flask, statuses: list[int], refused: set[int], written: list[list[str]]) -> None:
    expected = [201 if KINDS[i % len(KINDS)] == "stored" else None for i in range(THREADS)]
    assert [s in (201, 302) for s in statuses] == [e is not None for e in expected], statuses
    assert all(s in refused for s, e in zip(statuses, expected, strict=True) if e is None), statuses
    stored_entries = sum(e is not None for e in expected)
    assert count(app, Evidence) == stored_entries
    rows = stored(app)
    assert len(rows) == 2 * stored_entries
    assert len(written) == THREADS // len(KINDS)  # these requests did write their files before failing
    assert not {key for keys in written for key in keys} & on_disk(app)  # ... which were removed again
    assert on_disk(app) == {key for *_, key in rows}


def test_parallel_api_creations_some_refused_leave_no_orphan_file(
    app, api_fw: Fieldwork, as_user, fail_after_storing
) -> None:
    headers = as_user(api_fw.auditor_id)
    url = f"/api/v1/audits/{api_fw.audit_id}/checklist/{api_fw.responses['4.1']}/evidence"

    def create(i: int) -> int:
        fields, files = _entry_for(i)
        response = app.test_client().post(
            url, headers=headers, data=multipart(*files, **fields), content_type="multipart/form-data"
        )
        return response.status_code

    statuses = in_parallel(THREADS, create)

    _check_creations(app, statuses, {422}, fail_after_storing)


def test_parallel_web_creations_some_refused_leave_no_orphan_file(app, web_fw: World, fail_after_storing) -> None:
    url = f"/audits/{web_fw.audit_id}/checklist/{web_fw.responses['4.2']}/evidence"
    clients = [signed_in(app, web_fw.auditor_id) for _ in range(THREADS)]

    def create(i: int) -> int:
        fields, files = _entry_for(i)
        data = multipart(*files, field="files", **fields)
        return clients[i].post(url, data=data, content_type="multipart/form-data").status_code

    statuses = in_parallel(THREADS, create)

    _check_creations(app, statuses, {400}, fail_after_storing)
