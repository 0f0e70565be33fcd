"""/api/v1/documented-information: list with filters and as-of, one entry with history, create, PUT, retire."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from audit_app.extensions import db
from audit_app.models import DocKind, DocumentedInfo, Role

API = "/api/v1/documented-information"


@pytest.fixture
def world(app, make_user, token_for):
    ids = {role: make_user(role) for role in Role}
    with app.app_context():
        policy = DocumentedInfo(
            title="AI policy", kind=DocKind.MAINTAIN, refs=["5.2"], expected=True, source_key="std:5.2:ai-policy",
            owner_id=ids[Role.VIEWER], location="DMS-1", doc_version="1", approved_on=date(2026, 3, 1),
            next_review_on=date(2099, 3, 1), created_at=datetime(2026, 1, 1, tzinfo=UTC),
        )  # fmt: skip
        scope = DocumentedInfo(title="Scope", kind=DocKind.MAINTAIN, refs=["4.3"])
        db.session.add_all([policy, scope])
        db.session.commit()
        entries = {"policy": policy.id, "scope": scope.id}
    return {"ids": ids, "entries": entries, "headers": {role: token_for(i) for role, i in ids.items()}}


def _body(world, **changes):
    """The whole entry, as PUT replaces it."""
    body = {"title": "AI policy", "kind": "maintain", "refs": ["5.2"], "location": "DMS-1", "doc_version": "1"}
    owner = world["ids"][Role.VIEWER]
    return {**body, "owner_id": owner, "approved_on": "2026-03-01", "next_review_on": "2099-03-01", **changes}


def test_list_with_filters_and_as_of(client, world):
    viewer = world["headers"][Role.VIEWER]
    listing = client.get(API, headers=viewer).get_json()
    # The entries the standard expects first, then the organisation's own.
    assert [(e["title"], e["status"]) for e in listing] == [("AI policy", "approved"), ("Scope", "missing")]
    assert listing[0]["owner"]["id"] == world["ids"][Role.VIEWER]
    approved = client.get(f"{API}?status=approved", headers=viewer).get_json()
    assert [e["title"] for e in approved] == ["AI policy"]
    assert [e["title"] for e in client.get(f"{API}?clause=4", headers=viewer).get_json()] == ["Scope"]
    # On 1 February 2026 only the policy existed, and its approval (dated March) had not happened yet.
    february = client.get(f"{API}?as_of=2026-02-01", headers=viewer).get_json()
    assert [(e["title"], e["status"]) for e in february] == [("AI policy", "draft")]
    assert client.get(f"{API}?status=bogus", headers=viewer).status_code == 422
    assert client.get(API, headers=world["headers"][Role.AUDITEE]).status_code == 403


def test_get_put_and_history(client, world):
    url = f"{API}/{world['entries']['policy']}"
    owner = world["headers"][Role.VIEWER]
    entry = client.get(url, headers=owner).get_json()
    assert entry["history"] == []
    changed = client.put(url, json=_body(world, doc_version="2", revision=entry["revision"]), headers=owner)
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["doc_version"] == "2"
    history = client.get(url, headers=owner).get_json()["history"]
    assert [(h["field"], h["old_value"], h["new_value"]) for h in history] == [("doc_version", "1", "2")]
    # Stale: the revision read before the change.
    stale = client.put(url, json=_body(world, doc_version="3", revision=entry["revision"]), headers=owner)
    assert stale.status_code == 409
    # The owner may not rename the entry; an auditor may not change it at all; a lead may.
    assert client.put(url, json=_body(world, title="Other", doc_version="2"), headers=owner).status_code == 403
    assert client.put(url, json=_body(world), headers=world["headers"][Role.AUDITOR]).status_code == 403
    lead = world["headers"][Role.LEAD_AUDITOR]
    assert client.put(url, json=_body(world, title="AI policy (group)"), headers=lead).status_code == 200
    # Bad input: refused with the field named, nothing changed.
    bad = client.put(url, json=_body(world, approved_on="2999-01-01"), headers=lead)
    assert bad.status_code == 422
    assert "approved_on" in str(bad.get_json())
    assert client.put(url, json={"title": ""}, headers=lead).status_code == 422
    assert client.get(f"{API}/999999", headers=lead).status_code == 404


def test_create_and_retire(client, world):
    lead = world["headers"][Role.LEAD_AUDITOR]
    body = {"title": "Model cards", "kind": "retain", "refs": ["A.6.2.7"], "location": "wiki", "doc_version": "1"}
    assert client.post(API, json=body, headers=world["headers"][Role.VIEWER]).status_code == 403
    created = client.post(API, json=body, headers=lead)
    assert created.status_code == 201
    entry = created.get_json()
    assert (entry["status"], entry["expected"], entry["kind"]) == ("draft", False, "retain")
    retire = f"{API}/{entry['id']}/retire"
    assert client.post(retire, json={"reason": "Moved"}, headers=world["headers"][Role.VIEWER]).status_code == 403
    done = client.post(retire, json={"reason": "Moved", "revision": entry["revision"]}, headers=lead)
    assert done.status_code == 200
    assert done.get_json()["retired_at"] is not None
    assert client.post(retire, json={"reason": "Again"}, headers=lead).status_code == 409
    assert "Model cards" not in [e["title"] for e in client.get(API, headers=lead).get_json()]
