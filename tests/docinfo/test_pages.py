"""The register pages: statuses in words, filters, counts, the as-of view, an entry with its history, editing
(admins and leads everything, the owner their part), stale forms, retiring, and no access for auditees."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import DocKind, DocumentedInfo, DocumentedInfoHistory, Role
from audit_app.services.docinfo import prefill, status


@pytest.fixture
def register(app, make_user):
    """The pre-filled register with the AI policy approved (owned by management) and the scope overdue."""
    ids = {role: make_user(role) for role in Role}
    with app.app_context():
        prefill.prefill()
        entries = {e.source_key: e for e in db.session.scalars(sa.select(DocumentedInfo))}
        policy = entries[status.AI_POLICY]
        policy.owner_id = ids[Role.VIEWER]
        policy.location, policy.doc_version = "https://intranet/ai-policy", "1.0"
        policy.approved_on, policy.next_review_on = date(2026, 3, 1), date(2099, 3, 1)
        scope = entries[status.SCOPE]
        scope.location, scope.doc_version = "DMS-1", "2"
        scope.approved_on, scope.next_review_on = date(2025, 1, 1), date(2026, 1, 1)
        db.session.commit()
        return {"users": ids, "policy": policy.id, "scope": scope.id}


def test_the_register_lists_statuses_in_words_with_counts_and_filters(client, login, register):
    login(register["users"][Role.VIEWER])
    page = client.get("/documents-register/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "AI policy" in html
    assert "✓ Approved" in html
    assert "! Review overdue" in html
    assert "✗ Missing" in html
    overdue = client.get("/documents-register/?status=review_overdue").get_data(as_text=True)
    assert "AIMS scope statement" in overdue
    assert "AI policy" not in overdue
    clause = client.get("/documents-register/?clause=5").get_data(as_text=True)
    assert "AI policy" in clause
    assert "AIMS scope statement" not in clause
    bad = client.get("/documents-register/?status=nonsense&as_of=2999-01-01")
    assert bad.status_code == 400
    assert "Some filters were not understood" in bad.get_data(as_text=True)


def test_the_as_of_view_reads_the_history(app, client, login, register):
    with app.app_context():
        policy = db.session.get(DocumentedInfo, register["policy"])
        policy.created_at = datetime(2026, 1, 5, tzinfo=UTC)
        db.session.add(
            DocumentedInfoHistory(
                entry_id=policy.id,
                changed_at=datetime(2026, 3, 1, 9, tzinfo=UTC),
                field="approved_on",
                old_value=None,
                new_value="2026-03-01",
            )
        )
        db.session.commit()
    login(register["users"][Role.ADMIN])
    html = client.get("/documents-register/?as_of=2026-02-01").get_data(as_text=True)
    assert "Status as of 01 Feb 2026" in html
    assert "✎ Draft" in html
    assert "AIMS scope statement" not in html  # created after that day (today)
    assert "✓ Approved" in client.get("/documents-register/?as_of=2026-03-02").get_data(as_text=True)


def test_an_auditee_sees_no_register(client, login, register):
    login(register["users"][Role.AUDITEE])
    assert client.get("/documents-register/").status_code == 403
    assert client.get(f"/documents-register/{register['policy']}").status_code == 403


def test_the_owner_updates_their_entry_and_the_history_shows_it(app, client, login, register):
    login(register["users"][Role.VIEWER])
    url = f"/documents-register/{register['policy']}/edit"
    form = client.get(url).get_data(as_text=True)
    assert "As this entry's owner" in form
    assert 'name="title"' not in form
    with app.app_context():
        revision = db.session.get(DocumentedInfo, register["policy"]).revision
    sent = {
        "location": "https://intranet/ai-policy-v2",
        "doc_version": "2.0",
        "approved_by_name": "Executive Committee",
        "approved_on": "2026-03-01",
        "next_review_on": "2099-03-01",
        "revision": str(revision),
        "title": "Hacked",  # not the owner's to change: ignored
    }
    answer = client.post(url, data=sent)
    assert answer.status_code == 302
    entry_page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "2.0" in entry_page
    assert "Executive Committee" in entry_page
    assert "doc version" in entry_page  # the history row
    with app.app_context():
        entry = db.session.get(DocumentedInfo, register["policy"])
        assert (entry.title, entry.doc_version) == ("AI policy", "2.0")
    # The owner may not edit somebody else's entry; an auditor edits nothing.
    assert client.get(f"/documents-register/{register['scope']}/edit").status_code == 403


def test_a_stale_form_is_refused_and_nothing_changes(app, client, login, register):
    login(register["users"][Role.LEAD_AUDITOR])
    url = f"/documents-register/{register['scope']}/edit"
    with app.app_context():
        entry = db.session.get(DocumentedInfo, register["scope"])
        stale = entry.revision
        entry.doc_version = "3"
        db.session.commit()
    sent = {"title": "Scope", "kind": "maintain", "refs": "4.3", "location": "DMS-9", "doc_version": "4"}
    answer = client.post(url, data={**sent, "review_interval_months": "12", "revision": str(stale)})
    assert answer.status_code == 409
    assert "Someone changed this entry" in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(DocumentedInfo, register["scope"]).location == "DMS-1"


def test_bad_input_shows_next_to_the_field(client, login, register):
    login(register["users"][Role.ADMIN])
    answer = client.post(
        f"/documents-register/{register['scope']}/edit",
        data={"title": "Scope", "kind": "maintain", "review_interval_months": "12", "approved_on": "2999-01-01"},
    )
    assert answer.status_code == 400
    assert "The approval date cannot be in the future." in answer.get_data(as_text=True)


def test_a_lead_adds_and_retires_an_own_entry(app, client, login, register):
    login(register["users"][Role.LEAD_AUDITOR])
    data = {"title": "Model cards", "kind": "retain", "refs": "A.6.2.7", "review_interval_months": "6"}
    answer = client.post("/documents-register/new", data=data)
    assert answer.status_code == 302
    with app.app_context():
        entry = db.session.scalar(sa.select(DocumentedInfo).where(DocumentedInfo.title == "Model cards"))
        assert (entry.kind, entry.refs, entry.expected) == (DocKind.RETAIN, ["A.6.2.7"], False)
        entry_id, revision = entry.id, entry.revision
    assert client.post(f"/documents-register/{entry_id}/retire", data={"reason": ""}).status_code == 400
    done = client.post(f"/documents-register/{entry_id}/retire", data={"reason": "Moved", "revision": revision})
    assert done.status_code == 302
    assert f'href="/documents-register/{entry_id}"' not in client.get("/documents-register/").get_data(as_text=True)
    assert client.get(f"/documents-register/{entry_id}/edit").status_code == 409
    login(register["users"][Role.VIEWER])
    assert client.post("/documents-register/new", data=data).status_code == 403


def test_the_first_open_fills_an_empty_register(app, client, login, make_user):
    login(make_user(Role.ADMIN))
    assert "AIMS scope statement" in client.get("/documents-register/").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(DocumentedInfo.id))) == len(prefill.STANDARD_ENTRIES)


def _statements(client, query_count, url: str) -> int:
    with client:
        assert client.get(url).status_code == 200, url
        return query_count()


def test_the_register_pages_issue_the_same_statements_for_few_or_many_entries(
    app, client, login, query_count, register
):
    login(register["users"][Role.ADMIN])
    urls = ["/documents-register/", "/documents-register/?as_of=2026-06-01&status=missing"]
    few = {url: _statements(client, query_count, url) for url in urls}
    with app.app_context():
        owner = register["users"][Role.VIEWER]
        for n in range(30):
            entry = DocumentedInfo(title=f"Own {n}", kind=DocKind.RETAIN, refs=[f"A.7.{n}"], owner_id=owner)
            db.session.add(entry)
            db.session.flush()
            db.session.add(DocumentedInfoHistory(entry_id=entry.id, field="location", old_value="", new_value="x"))
        db.session.commit()
    many = {url: _statements(client, query_count, url) for url in urls}
    assert many == few
