"""/api/v1/audits/{id}/checklist: the working checklist, one item with its guidance, and saving results.

The world is built with the planning factories and the real services; every request goes through the API with
bearer tokens, and results are read back from the database in a fresh app context.
"""

from __future__ import annotations

from datetime import date

import pytest

from audit_app.extensions import db
from audit_app.models import (
    AuditStatus,
    ChecklistResponse,
    EvidenceMethod,
    EvidenceMode,
    User,
)
from audit_app.services.fieldwork import evidence
from tests.fixtures.api_fieldwork import PDF, Fieldwork, set_status


def item_url(api_fw: Fieldwork, ref: str = "4.1") -> str:
    return f"/api/v1/audits/{api_fw.audit_id}/checklist/{api_fw.responses[ref]}"


def add_entry(client, api_fw: Fieldwork, headers: dict, ref: str = "4.1", **subject) -> dict:
    """Record an evidence entry on the item through the API (a nonconformity or observation needs one)."""
    url = f"{item_url(api_fw, ref)}/evidence"
    body = {"method": "document_review", "source": "Issues register v3", "evidence_date": "2026-03-02", **subject}
    response = client.post(url, headers=headers, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def saved(app, response_id: int) -> dict:
    with app.app_context():
        row = db.session.get(ChecklistResponse, response_id)
        return {"result": row.result.value, "notes": row.notes, "reason": row.reason, "version": row.version}


# --- Listing --------------------------------------------------------------------------------------------------


def test_list_shows_every_item_and_progress_per_clause(client, api_fw, as_user):
    response = client.get(f"/api/v1/audits/{api_fw.audit_id}/checklist", headers=as_user(api_fw.lead_id))

    assert response.status_code == 200
    body = response.get_json()
    assert body["progress"]["total"] == 2
    assert body["progress"]["assessed"] == 0
    groups = body["progress"]["groups"]
    assert [(g["ref"], g["total"], g["assessed"], g["nonconformities"], g["percent"]) for g in groups] == [
        ("4", 1, 0, 0, 0),
        ("8", 1, 0, 0, 0),
    ]
    assert [i["ref"] for i in body["items"]] == ["4.1", "8.4"]
    first = body["items"][0]
    assert first["id"] == api_fw.responses["4.1"]
    assert first["title"] == "Understanding the organization and its context"
    assert (first["group"], first["result"], first["version"], first["evidence_count"]) == ("4", "not_assessed", 1, 0)
    assert (first["notes"], first["reason"], first["updated_by"]) == ("", "", None)
    assert "updated_at" in first


def test_filters_narrow_the_items_but_not_the_progress(client, api_fw, as_user):
    add_entry(client, api_fw, as_user(api_fw.auditor_id))
    body = {"result": "nonconformity", "notes": "No list.", "version": 1}
    put = client.put(item_url(api_fw), headers=as_user(api_fw.auditor_id), json=body)
    assert put.status_code == 200

    def refs(user_id: int, view: str) -> list[str]:
        response = client.get(f"/api/v1/audits/{api_fw.audit_id}/checklist?view={view}", headers=as_user(user_id))
        assert response.status_code == 200
        body = response.get_json()
        assert (body["progress"]["total"], body["progress"]["assessed"]) == (2, 1)
        return [i["ref"] for i in body["items"]]

    assert refs(api_fw.auditor_id, "all") == ["4.1", "8.4"]
    assert refs(api_fw.auditor_id, "not_assessed") == ["8.4"]
    assert refs(api_fw.auditor_id, "nonconformities") == ["4.1"]
    assert refs(api_fw.auditor_id, "mine") == ["4.1"]  # the item they saved
    assert refs(api_fw.lead_id, "mine") == ["4.1", "8.4"]  # both items are in the lead's session
    assert refs(api_fw.second_auditor_id, "mine") == []
    groups = client.get(f"/api/v1/audits/{api_fw.audit_id}/checklist", headers=as_user(api_fw.lead_id)).get_json()
    assert groups["progress"]["groups"][0] | {"title": None} == {
        "ref": "4",
        "title": None,
        "total": 1,
        "assessed": 1,
        "nonconformities": 1,
        "percent": 100,
    }
    assert groups["items"][0]["updated_by"]["name"] == "Ava Auditor"


def test_unknown_filter_is_refused_naming_view(client, api_fw, as_user):
    response = client.get(
        f"/api/v1/audits/{api_fw.audit_id}/checklist?view=everything", headers=as_user(api_fw.lead_id)
    )

    assert response.status_code in (400, 422)
    assert "view" in response.get_json()["errors"]["query"]


# --- One item -------------------------------------------------------------------------------------------------


def test_get_shows_guidance_and_evidence_with_files(app, client, api_fw, as_user):
    with app.app_context():
        response = db.session.get(ChecklistResponse, api_fw.responses["4.1"])
        questions, hints = list(response.item.questions), dict(response.item.evidence)
        data = evidence.EvidenceData(EvidenceMethod.INTERVIEW, EvidenceMode.REMOTE, "Head of Risk", date(2026, 3, 2))
        actor = db.session.get(User, api_fw.auditor_id)
        entry = evidence.add_evidence(response, data, actor=actor, files=[("context.pdf", PDF)])
        db.session.commit()
        entry_id, file_id = entry.id, entry.files[0].id

    body = client.get(item_url(api_fw), headers=as_user(api_fw.viewer_id)).get_json()

    assert (body["id"], body["audit_id"], body["result"], body["version"]) == (
        api_fw.responses["4.1"],
        api_fw.audit_id,
        "not_assessed",
        1,
    )
    assert questions
    assert body["item"]["questions"] == questions
    assert hints
    assert body["item"]["evidence"] == hints
    assert body["item"]["ref"] == "4.1"
    assert body["item"]["summary"]
    (entry,) = body["evidence"]
    assert (entry["id"], entry["ref"], entry["method"], entry["mode"], entry["source"]) == (
        entry_id,
        "4.1",
        "interview",
        "remote",
        "Head of Risk",
    )
    assert entry["evidence_date"] == "2026-03-02"
    (stored,) = entry["files"]
    assert (stored["id"], stored["name"], stored["version"], stored["size"]) == (file_id, "context.pdf", 1, len(PDF))
    assert stored["content_type"] == "application/pdf"
    assert stored["uploaded_by"]["name"] == "Ava Auditor"
    assert stored["download_url"] == f"/api/v1/audits/{api_fw.audit_id}/evidence/files/{file_id}"


def test_item_of_another_audit_is_not_found(client, api_fw, as_user):
    url = f"/api/v1/audits/{api_fw.audit_id}/checklist/{api_fw.other_responses['4.1']}"

    assert client.get(url, headers=as_user(api_fw.admin_id)).status_code == 404
    assert (
        client.put(url, headers=as_user(api_fw.lead_id), json={"result": "conforming", "version": 1}).status_code == 404
    )


# --- Saving ---------------------------------------------------------------------------------------------------


def test_save_with_the_version_read_bumps_the_version(app, client, api_fw, as_user):
    response = client.put(
        item_url(api_fw),
        headers=as_user(api_fw.auditor_id),
        json={"result": "conforming", "notes": "Context register reviewed.", "version": 1},
    )

    assert response.status_code == 200
    body = response.get_json()
    assert (body["result"], body["notes"], body["version"]) == ("conforming", "Context register reviewed.", 2)
    assert body["updated_by"]["id"] == api_fw.auditor_id
    assert saved(app, api_fw.responses["4.1"]) == {
        "result": "conforming",
        "notes": "Context register reviewed.",
        "reason": "",
        "version": 2,
    }


def test_concurrent_edit_is_refused_with_the_other_save_and_nothing_is_lost(app, client, api_fw, as_user):
    first, second = as_user(api_fw.auditor_id), as_user(api_fw.second_auditor_id)
    read_first = client.get(item_url(api_fw), headers=first).get_json()["version"]
    read_second = client.get(item_url(api_fw), headers=second).get_json()["version"]
    assert read_first == read_second == 1
    add_entry(client, api_fw, first)

    ok = client.put(
        item_url(api_fw), headers=first, json={"result": "nonconformity", "notes": "Ava: no issues list.", "version": 1}
    )
    clash = client.put(
        item_url(api_fw),
        headers=second,
        json={"result": "conforming", "notes": "Ben: all fine.", "version": read_second},
    )

    assert ok.status_code == 200
    assert clash.status_code == 409
    body = clash.get_json()
    assert "Ava Auditor changed 4.1" in body["message"]
    assert body["current"]["notes"] == "Ava: no issues list."
    assert body["current"]["result"] == "nonconformity"
    assert body["current"]["version"] == 2
    assert body["current"]["updated_by"]["name"] == "Ava Auditor"
    assert body["current"]["updated_at"]
    assert saved(app, api_fw.responses["4.1"])["notes"] == "Ava: no issues list."

    merged = "Ava: no issues list.\nBen: interviews confirm the gap."
    retry = client.put(
        item_url(api_fw), headers=second, json={"result": "nonconformity", "notes": merged, "version": 2}
    )
    assert retry.status_code == 200
    assert retry.get_json()["version"] == 3
    assert saved(app, api_fw.responses["4.1"]) == {
        "result": "nonconformity",
        "notes": merged,
        "reason": "",
        "version": 3,
    }


def test_version_is_required(app, client, api_fw, as_user):
    response = client.put(item_url(api_fw), headers=as_user(api_fw.auditor_id), json={"result": "conforming"})

    assert response.status_code == 422
    assert "version" in response.get_json()["errors"]["json"]
    assert saved(app, api_fw.responses["4.1"])["version"] == 1


def test_not_audited_needs_a_reason(app, client, api_fw, as_user):
    url, headers = item_url(api_fw), as_user(api_fw.auditor_id)
    refused = client.put(url, headers=headers, json={"result": "not_audited", "reason": "  ", "version": 1})

    assert refused.status_code == 422
    assert "reason" in refused.get_json()["errors"]["json"]
    assert saved(app, api_fw.responses["4.1"]) == {"result": "not_assessed", "notes": "", "reason": "", "version": 1}
    body = {"result": "not_audited", "reason": "The owner was on leave.", "version": 1}
    accepted = client.put(url, headers=headers, json=body)
    assert accepted.status_code == 200
    assert accepted.get_json()["reason"] == "The owner was on leave."


def test_not_applicable_on_a_clause_is_refused(app, client, api_fw, as_user):
    """Clauses 4 to 10 cannot be excluded: "not applicable" is for Annex A controls (tests/unit/test_verdicts.py)."""
    body = {"result": "not_applicable", "reason": "No AI systems.", "version": 1}

    refused = client.put(item_url(api_fw), headers=as_user(api_fw.auditor_id), json=body)

    assert refused.status_code == 422
    (message,) = refused.get_json()["errors"]["json"]["result"]
    assert message.startswith("4.1 is a requirement of clauses 4 to 10, which cannot be excluded")
    assert saved(app, api_fw.responses["4.1"])["version"] == 1


@pytest.mark.parametrize("result", ["conforming", "nonconformity", "observation", "ofi", "not_assessed"])
def test_a_reason_with_a_result_that_takes_none_is_refused(app, client, api_fw, as_user, result):
    """Never dropped without a word: the web form refuses the same (tests/web/test_fieldwork_pages.py)."""
    url, headers = item_url(api_fw), as_user(api_fw.auditor_id)
    add_entry(client, api_fw, headers)  # findings need evidence (tested on their own)
    body = {"result": result, "notes": "Policy seen.", "reason": "Left over from N/A", "version": 1}

    refused = client.put(url, headers=headers, json=body)

    assert refused.status_code == 422
    label = {"ofi": "Opportunity for improvement", "not_assessed": "Not yet assessed"}.get(result, result.capitalize())
    message = (
        f"A result of “{label}” takes no reason: only “Not applicable” and “Not audited” do. "
        "Clear the reason, or put the text in the notes."
    )
    assert refused.get_json()["errors"]["json"] == {"reason": [message]}
    assert refused.get_json()["message"] == message
    assert saved(app, api_fw.responses["4.1"]) == {"result": "not_assessed", "notes": "", "reason": "", "version": 1}
    accepted = client.put(url, headers=headers, json={**body, "reason": "  "})
    assert accepted.status_code == 200
    assert saved(app, api_fw.responses["4.1"]) == {
        "result": result,
        "notes": "Policy seen.",
        "reason": "",
        "version": 2,
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [("notes", "before\x00after"), ("reason", "No\x00AI"), ("notes", "\x1b[31m"), ("reason", "\udfff")],
)
def test_nul_and_control_characters_in_a_result_are_a_422(app, client, api_fw, as_user, field, value):
    """422 naming the field on both databases (PostgreSQL cannot store NUL: never a 500)."""
    body = {"result": "not_applicable", "reason": "Out of scope", "version": 1, field: value}

    response = client.put(item_url(api_fw), headers=as_user(api_fw.auditor_id), json=body)

    assert response.status_code == 422
    assert response.get_json()["errors"]["json"][field][0].startswith("Remove the ")
    assert saved(app, api_fw.responses["4.1"])["version"] == 1


def test_saving_outside_fieldwork_is_a_conflict(app, client, api_fw, as_user):
    set_status(app, api_fw.audit_id, AuditStatus.REPORTING)

    response = client.put(
        item_url(api_fw), headers=as_user(api_fw.auditor_id), json={"result": "conforming", "version": 1}
    )

    assert response.status_code == 409
    assert "during fieldwork" in response.get_json()["message"]
    assert saved(app, api_fw.responses["4.1"])["version"] == 1


@pytest.mark.parametrize("who", ["observer_id", "viewer_id", "outsider_id", "auditee_id", "admin_id"])
def test_only_auditors_on_the_team_save(app, client, api_fw, as_user, who):
    """Observers, viewers, staff off the team, auditees and even an admin off the team are refused."""
    response = client.put(
        item_url(api_fw),
        headers=as_user(getattr(api_fw, who)),
        json={"result": "conforming", "notes": "x", "version": 1},
    )

    assert response.status_code == 403
    assert response.is_json
    assert saved(app, api_fw.responses["4.1"]) == {"result": "not_assessed", "notes": "", "reason": "", "version": 1}


@pytest.mark.parametrize("who", ["outsider_id", "auditee_id"])
def test_working_papers_are_for_the_team(client, api_fw, as_user, who):
    headers = as_user(getattr(api_fw, who))

    listing = client.get(f"/api/v1/audits/{api_fw.audit_id}/checklist", headers=headers)
    one = client.get(item_url(api_fw), headers=headers)
    entries = client.get(f"/api/v1/audits/{api_fw.audit_id}/evidence", headers=headers)

    assert (listing.status_code, one.status_code, entries.status_code) == (403, 403, 403)
    assert listing.get_json()["message"]


def test_admin_off_the_team_may_read(client, api_fw, as_user):
    response = client.get(f"/api/v1/audits/{api_fw.audit_id}/checklist", headers=as_user(api_fw.admin_id))

    assert response.status_code == 200
    assert len(response.get_json()["items"]) == 2


def test_openapi_lists_the_fieldwork_paths(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]

    assert {"get"} <= set(paths["/api/v1/audits/{audit_id}/checklist"])
    assert {"get", "put"} <= set(paths["/api/v1/audits/{audit_id}/checklist/{response_id}"])
    assert "get" in paths["/api/v1/audits/{audit_id}/evidence"]
    create = paths["/api/v1/audits/{audit_id}/checklist/{response_id}/evidence"]["post"]
    assert set(create["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    upload = paths["/api/v1/audits/{audit_id}/evidence/{evidence_id}/files"]["post"]
    assert set(upload["requestBody"]["content"]) == {"multipart/form-data"}
    assert "get" in paths["/api/v1/audits/{audit_id}/evidence/files/{file_id}"]
    update = spec["components"]["schemas"]["ChecklistResponseUpdate"]
    assert update["required"] == ["version"]  # the result may be derived from `parts`
    assert {"result", "parts", "notes", "reason"} <= set(update["properties"])
    assert "409" in paths["/api/v1/audits/{audit_id}/checklist/{response_id}"]["put"]["responses"]
