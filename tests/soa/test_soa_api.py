"""The SoA API: versions, entries (GET/PUT), own controls, approval, a new draft, compare, exports; auditees 403."""

from __future__ import annotations

import io
from collections.abc import Callable

import docx
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from tests.soa.conftest import SoaWorld

GOOD = {
    "applicable": True,
    "justification": "Our scoring models run on customer data, so event logs (R-7) are needed to trace decisions.",
    "implementation": "implemented",
    "addresses": "R-7",
    "evidence": "https://intranet.example.test/logs",
    "last_reviewed_on": "2026-02-01",
}


def _fill_all(client: FlaskClient, headers: dict, version: dict, unit_id: int) -> None:
    for entry in version["entries"]:
        body = {**GOOD, "owner_unit_id": unit_id, "justification": f"{GOOD['justification']} ({entry['control_ref']})"}
        assert client.put(
            f"/api/v1/soa/versions/{version['id']}/entries/{entry['id']}", json=body, headers=headers
        ).status_code == 200  # fmt: skip


def test_versioning_through_the_api(client: FlaskClient, token_for: Callable, soa_world: SoaWorld, app: Flask) -> None:
    lead = token_for(soa_world.lead_id)
    assert client.get("/api/v1/soa/versions", headers=lead).json == []
    started = client.post("/api/v1/soa/versions", headers=lead)
    assert started.status_code == 201
    version = started.json
    assert version["status"] == "draft"
    assert len(version["entries"]) == 38
    assert version["completeness"]["complete"] == 0
    assert client.post("/api/v1/soa/versions", headers=lead).status_code == 409

    entry = version["entries"][0]
    url = f"/api/v1/soa/versions/{version['id']}/entries/{entry['id']}"
    put = client.put(
        url, json={**GOOD, "owner_unit_id": soa_world.unit_id, "system_ids": [soa_world.system_id]}, headers=lead
    )
    assert put.status_code == 200
    assert put.json["systems"] == [{"id": soa_world.system_id, "name": "Credit scoring model"}]
    assert put.json["owner_unit"]["id"] == soa_world.unit_id
    assert client.get(url, headers=lead).json["implementation"] == "implemented"
    stale = client.put(url, json={**GOOD, "revision": version["revision"]}, headers=lead)
    assert stale.status_code == 409
    assert client.put(url, json={"justification": "x"}, headers=lead).status_code == 422
    assert client.put(url, json={**GOOD, "system_ids": [12345]}, headers=lead).status_code == 422

    blocked = client.post(f"/api/v1/soa/versions/{version['id']}/approval", json={}, headers=lead)
    assert blocked.status_code == 409
    _fill_all(client, lead, version, soa_world.unit_id)
    own = client.post(
        f"/api/v1/soa/versions/{version['id']}/entries",
        json={"control_ref": "ORG-1", "title": "Model cards"},
        headers=lead,
    )
    assert own.status_code == 201
    assert own.json["custom"] is True
    undecided = client.post(f"/api/v1/soa/versions/{version['id']}/approval", json={}, headers=lead)
    assert undecided.status_code == 409
    assert "ORG-1: no decision" in undecided.json["message"]
    # the own control has no decision: approval is refused until it has one
    client.put(
        f"/api/v1/soa/versions/{version['id']}/entries/{own.json['id']}",
        json={**GOOD, "owner_unit_id": soa_world.unit_id, "justification": "Every deployed model gets a card (R-3)."},
        headers=lead,
    )
    approved = client.post(f"/api/v1/soa/versions/{version['id']}/approval", json={}, headers=lead)
    assert approved.status_code == 200, approved.json
    assert approved.json["status"] == "approved"
    assert approved.json["approved_by"]["id"] == soa_world.lead_id
    assert client.put(url, json=GOOD, headers=lead).status_code == 409

    second = client.post("/api/v1/soa/versions", headers=lead).json
    assert second["based_on_id"] == version["id"]
    assert len(second["entries"]) == 39
    no_note = client.post(f"/api/v1/soa/versions/{second['id']}/approval", json={}, headers=lead)
    assert no_note.status_code == 422
    comparison = client.get(f"/api/v1/soa/compare?old={version['id']}&new={second['id']}", headers=lead)
    assert comparison.status_code == 200
    assert comparison.json["changes"] == []
    assert client.get("/api/v1/soa/compare?old=1", headers=lead).status_code == 422

    listed = client.get("/api/v1/soa/versions", headers=lead).json
    assert [(v["number"], v["status"]) for v in listed] == [(2, "draft"), (1, "approved")]


def test_exports_and_who_may_read(client: FlaskClient, token_for: Callable, soa_world: SoaWorld) -> None:
    admin = token_for(soa_world.admin_id)
    version = client.post("/api/v1/soa/versions", headers=admin).json
    viewer = token_for(soa_world.viewer_id)
    word = client.get(f"/api/v1/soa/versions/{version['id']}/export.docx", headers=viewer)
    assert word.status_code == 200
    rows = docx.Document(io.BytesIO(word.data)).tables[0].rows
    assert [row.cells[0].text.split("\n")[0] for row in rows[1:]] == [e["control_ref"] for e in version["entries"]]
    xlsx = client.get(f"/api/v1/soa/versions/{version['id']}/export.xlsx", headers=viewer)
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert [row[0] for row in list(sheet.values)[4:]] == [e["control_ref"] for e in version["entries"]]
    assert client.get(f"/api/v1/soa/versions/{version['id']}", headers=viewer).status_code == 200
    assert client.post("/api/v1/soa/versions", headers=viewer).status_code == 403
    auditee = token_for(soa_world.auditee_id)
    for url in (
        "/api/v1/soa/versions",
        f"/api/v1/soa/versions/{version['id']}",
        f"/api/v1/soa/versions/{version['id']}/entries/{version['entries'][0]['id']}",
        f"/api/v1/soa/versions/{version['id']}/export.docx",
    ):
        assert client.get(url, headers=auditee).status_code == 403
    assert client.get("/api/v1/soa/versions/99999", headers=viewer).status_code == 404
