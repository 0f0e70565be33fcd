"""Concurrent edits of one checklist item: the second writer gets a conflict and nothing is lost."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy.orm.exc import StaleDataError

from audit_app.extensions import db
from audit_app.models import ChecklistResponse, ResponseResult, User
from audit_app.services.fieldwork import responses
from tests.fixtures.fieldwork_pages import World, form, hidden_version, load, text

FIRST = "Policy AI-POL v2 approved by the board on 3 Feb; seen the minutes."
SECOND = "Policy exists but no evidence it was communicated to staff."


def _checked(page: str) -> str:
    match = re.search(r'<input checked id="result-\d" name="result"[^>]*value="([a-z_]+)">', page)
    assert match, "no result is selected"
    return match.group(1)


def test_the_second_save_is_refused_keeps_both_texts_and_a_deliberate_resave_wins(app: Flask, web_fw: World) -> None:
    first, second = app.test_client(), app.test_client()
    url = f"/audits/{web_fw.audit_id}/checklist/{web_fw.responses['4.2']}"
    for client, user_id in ((first, web_fw.auditor_id), (second, web_fw.second_id)):
        with client.session_transaction() as session:
            session["_user_id"] = f"{user_id}:{_session_version(app, user_id)}"
    opened = {c: hidden_version(c.get(url).get_data(as_text=True)) for c in (first, second)}
    assert opened[first] == opened[second] == "1"  # both see version 1

    assert first.post(f"{url}/save", data=form("conforming", version=opened[first], notes=FIRST)).status_code == 302

    refused = second.post(
        f"{url}/save", data=form("nonconformity", version=opened[second], notes=SECOND, reason="ignored")
    )
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    words = text(page)
    assert "Alma Auditor changed 4.2 at" in words
    assert "while you were editing" in words
    assert f'<dd class="prose" id="their-notes">{FIRST}</dd>' in page  # their saved text
    assert "Their saved version (version 2)" in words
    assert "✓ Conforming" in words
    assert re.search(rf'<textarea[^>]*name="notes"[^>]*>\s*{re.escape(SECOND)}</textarea>', page)  # ours, kept
    assert _checked(page) == "nonconformity"
    assert hidden_version(page) == "2"  # a deliberate re-save is now based on their version
    assert load(app, web_fw.responses["4.2"]) == (ResponseResult.CONFORMING, FIRST, "", 2)  # the first's value stays

    merged = f"{SECOND}\n{FIRST}"
    entry = {
        "method": "record_review",
        "mode": "on_site",
        "source": "Staff briefing log",
        "evidence_date": "2026-03-02",
    }
    # the nonconformity is saved with the evidence entry that supports it, in one submit
    response = second.post(
        f"{url}/save", data=form("nonconformity", version=hidden_version(page), notes=merged, **entry)
    )
    assert response.status_code == 302
    assert load(app, web_fw.responses["4.2"]) == (ResponseResult.NONCONFORMITY, merged, "", 3)

    stale = first.post(f"{url}/save", data=form("conforming", version="2", notes=FIRST))  # first's stale form
    assert stale.status_code == 409
    assert load(app, web_fw.responses["4.2"]) == (ResponseResult.NONCONFORMITY, merged, "", 3)


def _save_and_commit(response: ChecklistResponse, data: responses.ResponseData, actor: User) -> None:
    responses.save_response(response, data, actor=actor)
    db.session.commit()


def _session_version(app: Flask, user_id: int) -> int:
    with app.app_context():
        return db.session.get(User, user_id).session_version


def test_two_sessions_racing_on_one_row_the_second_flush_fails(app: Flask, web_fw: World) -> None:
    """Both load version 1 before either writes: the version check in SQL refuses the second write."""
    response_id = web_fw.responses["4.1"]
    with app.app_context():  # the first auditor's request
        mine = db.session.get(ChecklistResponse, response_id)
        me = db.session.get(User, web_fw.auditor_id)
        assert mine.version == 1
        with app.app_context():  # the second auditor's request, with its own session, finishes first
            theirs = db.session.get(ChecklistResponse, response_id)
            data = responses.ResponseData(ResponseResult.CONFORMING, FIRST, expected_version=1)
            responses.save_response(theirs, data, actor=db.session.get(User, web_fw.second_id))
            db.session.commit()
        assert mine.version == 1  # still the stale copy: the Python-side check cannot see the other write
        data = responses.ResponseData(ResponseResult.OFI, SECOND, expected_version=1)
        with pytest.raises((StaleDataError, responses.EditConflict)):
            _save_and_commit(mine, data, me)
        db.session.rollback()
    assert load(app, response_id) == (ResponseResult.CONFORMING, FIRST, "", 2)


def test_a_save_based_on_an_old_version_is_refused_by_the_service(app: Flask, web_fw: World) -> None:
    response_id = web_fw.responses["6.1.2"]
    with app.app_context():
        response = db.session.get(ChecklistResponse, response_id)
        lead = db.session.get(User, web_fw.lead_id)
        _save_and_commit(response, responses.ResponseData(ResponseResult.OFI, "first", expected_version=1), lead)
        data = responses.ResponseData(ResponseResult.CONFORMING, "second", expected_version=1)
        auditor = db.session.get(User, web_fw.auditor_id)
        with pytest.raises(responses.EditConflict) as caught:
            responses.save_response(response, data, actor=auditor)
        assert caught.value.current.notes == "first"
        assert caught.value.current.version == 2
        db.session.rollback()
    assert load(app, response_id) == (ResponseResult.OFI, "first", "", 2)
