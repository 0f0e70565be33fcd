"""Fieldwork pages: the working checklist (tree, progress, views), the item page and saving results.

The `web_fw` fixture and the shared helpers are in tests/fixtures/fieldwork_pages.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from audit_app.extensions import db
from audit_app.models import (
    AuditStatus,
    ChecklistItem,
    ChecklistResponse,
    Evidence,
    EvidenceMethod,
    EvidenceMode,
    ResponseResult,
    User,
)
from audit_app.services.fieldwork import evidence, responses
from tests.fixtures.fieldwork_pages import REFS, World, build_world, form, hidden_version, load, set_status, text


def add_entry(app: Flask, response_id: int, user_id: int) -> None:
    """Record an evidence entry on the item through the service (a nonconformity or observation needs one)."""
    with app.app_context():
        response = db.session.get(ChecklistResponse, response_id)
        data = evidence.EvidenceData(
            EvidenceMethod.DOCUMENT_REVIEW, EvidenceMode.ON_SITE, "Register v2", date(2026, 3, 2)
        )
        evidence.add_evidence(response, data, actor=db.session.get(User, user_id))
        db.session.commit()


def save(app: Flask, response_id: int, user_id: int, result: ResponseResult, notes: str = "", reason: str = "") -> None:
    """Record a result through the service, as `user_id` (with an evidence entry first when the result needs one)."""
    if result in (ResponseResult.NONCONFORMITY, ResponseResult.OBSERVATION):
        add_entry(app, response_id, user_id)
    with app.app_context():
        response = db.session.get(ChecklistResponse, response_id)
        data = responses.ResponseData(result, notes, reason, expected_version=response.version)
        responses.save_response(response, data, actor=db.session.get(User, user_id))
        db.session.commit()


def item_rows(page: str) -> list[str]:
    """The refs listed in the checklist tables, in order."""
    row = r'<th scope="row" class="depth-\d+"><a href="/audits/\d+/checklist/\d+"><span class="ref">([^<]+)<'
    return re.findall(row, page)


# --- The checklist ------------------------------------------------------------------------------------------------


def test_fieldwork_creates_one_response_per_scope_item_listed_in_tree_order(
    client: FlaskClient, web_fw: World, login: Callable[[int], None]
) -> None:
    assert sorted(web_fw.responses) == sorted(REFS)
    login(web_fw.auditor_id)
    page = client.get(f"/audits/{web_fw.audit_id}/checklist").get_data(as_text=True)
    assert item_rows(page) == list(REFS)
    words = text(page)
    assert "Overall progress: 0 of 5 assessed (0%)" in words
    assert "4 Context of the organization 0 of 2 assessed (0%)" in words
    assert "A.6 AI system life cycle 0 of 1 assessed (0%)" in words
    assert words.count("Not yet assessed") >= 5
    assert f'class="depth-2"><a href="/audits/{web_fw.audit_id}/checklist/{web_fw.responses["6.1.2"]}"' in page
    assert "Not changed yet" in words
    assert "0 entries" in words


def test_views_filter_the_rows_and_progress_counts_in_words(
    client: FlaskClient, app: Flask, web_fw: World, login: Callable[[int], None]
) -> None:
    save(app, web_fw.responses["4.2"], web_fw.second_id, ResponseResult.NONCONFORMITY, "No list of interested parties.")
    save(app, web_fw.responses["6.1.2"], web_fw.lead_id, ResponseResult.CONFORMING, "Risk method v4 seen in use.")
    expected = {
        "all": list(REFS),
        "not_assessed": ["4.1", "A.2.2", "A.6.2.4"],
        "nonconformities": ["4.2"],
        "mine": ["4.1", "4.2"],  # the auditor runs the session covering 4.1 and 4.2
    }
    login(web_fw.auditor_id)
    for view, refs in expected.items():
        page = client.get(f"/audits/{web_fw.audit_id}/checklist?view={view}").get_data(as_text=True)
        assert item_rows(page) == refs, view
        assert re.search(rf'href="[^"]*view={view}" aria-current="page"', page), view
        assert page.count(" (shown)</a>") == 1
    words = text(client.get(f"/audits/{web_fw.audit_id}/checklist").get_data(as_text=True))
    assert "Overall progress: 2 of 5 assessed (40%)" in words
    assert "4 Context of the organization 1 of 2 assessed (50%) 1" in words  # one nonconformity
    assert "✗ Nonconformity" in words
    assert "✓ Conforming" in words
    assert "Sven Second" in words

    login(web_fw.lead_id)  # mine: the items the lead saved
    page = client.get(f"/audits/{web_fw.audit_id}/checklist?view=mine").get_data(as_text=True)
    assert item_rows(page) == ["6.1.2"]
    login(web_fw.second_id)
    page = client.get(f"/audits/{web_fw.audit_id}/checklist?view=nonconformities&view=x").get_data(as_text=True)
    assert item_rows(page) == ["4.2"]


def test_an_unknown_view_is_a_400_with_a_message(
    client: FlaskClient, web_fw: World, login: Callable[[int], None]
) -> None:
    login(web_fw.auditor_id)
    response = client.get(f"/audits/{web_fw.audit_id}/checklist?view=everything")
    assert response.status_code == 400
    assert "There is no view called &#39;everything&#39;" in response.get_data(as_text=True)


def test_an_audit_not_yet_in_fieldwork_says_so(
    client: FlaskClient, app: Flask, library: int, login: Callable[[int], None]
) -> None:
    world = build_world(app, library, fieldwork_now=False)
    login(world.lead_id)
    page = client.get(f"/audits/{world.audit_id}/checklist").get_data(as_text=True)
    assert "No checklist yet: this audit is not in fieldwork yet" in page
    assert "in preparation" in page


def test_the_audit_overview_links_to_the_checklist_for_the_team_only(
    client: FlaskClient, web_fw: World, login: Callable[[int], None]
) -> None:
    link = f'href="/audits/{web_fw.audit_id}/checklist">Working checklist</a>'
    samples = f'href="/audits/{web_fw.audit_id}/samples">Samples</a>'
    login(web_fw.viewer_id)
    page = client.get(f"/audits/{web_fw.audit_id}").get_data(as_text=True)
    assert link in page
    assert samples in page
    login(web_fw.outsider_id)
    page = client.get(f"/audits/{web_fw.audit_id}").get_data(as_text=True)
    assert link not in page
    assert samples not in page


# --- The item page ------------------------------------------------------------------------------------------------


def test_item_page_shows_library_guidance_form_and_neighbours(
    client: FlaskClient, app: Flask, web_fw: World, login: Callable[[int], None]
) -> None:
    login(web_fw.auditor_id)
    page = client.get(f"/audits/{web_fw.audit_id}/checklist/{web_fw.responses['4.2']}").get_data(as_text=True)
    with app.app_context():
        item = db.session.get(ChecklistResponse, web_fw.responses["4.2"]).item
        questions, hints = list(item.questions), dict(item.evidence)
    assert questions
    assert hints
    words = text(page)
    assert "Audit focus" in words
    assert "Audit questions" in words
    for line in questions + hints.get("interviews", []) + hints.get("documents", []):
        assert line in words
    assert "People to interview (by role)" in words
    assert "Documents to review" in words
    assert "<legend>Result" in page
    assert page.count('name="result" required type="radio"') == len(ResponseResult)
    assert re.search(r'<input checked id="result-\d" name="result"[^>]*value="not_assessed">', page)
    assert f'href="/audits/{web_fw.audit_id}/checklist/{web_fw.responses["4.1"]}" rel="prev"' in page
    assert f'href="/audits/{web_fw.audit_id}/checklist/{web_fw.responses["6.1.2"]}" rel="next"' in page
    assert hidden_version(page) == "1"
    assert "the interviewee&#39;s ROLE — not their name" in page
    assert client.get(f"/audits/{web_fw.audit_id}/checklist/999999").status_code == 404


def test_saving_a_result_updates_it_and_records_before_and_after(
    client: FlaskClient, app: Flask, web_fw: World, login: Callable[[int], None], activity_rows
) -> None:
    login(web_fw.auditor_id)
    url = f"/audits/{web_fw.audit_id}/checklist/{web_fw.responses['4.1']}"
    response = client.post(f"{url}/save", data=form("conforming", version="1", notes="Context analysis v3 seen."))
    assert response.status_code == 302
    assert response.headers["Location"] == url
    assert load(app, web_fw.responses["4.1"]) == (ResponseResult.CONFORMING, "Context analysis v3 seen.", "", 2)
    (entry,) = activity_rows("checklist.response_saved")
    assert entry.actor_id == web_fw.auditor_id
    assert entry.details["changes"] == {
        "result": ["not_assessed", "conforming"],
        "notes": ["", "Context analysis v3 seen."],
    }
    page = client.get(url).get_data(as_text=True)
    assert "4.1 saved: Conforming." in page
    assert "last saved by Alma Auditor" in page

    response = client.post(f"{url}/save", data=form("ofi", version="2", save_next="Save and next"))
    assert response.headers["Location"] == f"/audits/{web_fw.audit_id}/checklist/{web_fw.responses['4.2']}"
    last = f"/audits/{web_fw.audit_id}/checklist/{web_fw.responses['A.6.2.4']}"
    seen = form("conforming", version="1", notes="Walked through with the owner.", save_next="Save and next")
    response = client.post(f"{last}/save", data=seen)
    assert response.headers["Location"] == f"/audits/{web_fw.audit_id}/checklist"


@pytest.mark.parametrize("result", ["not_applicable", "not_audited"])
def test_a_result_that_needs_a_reason_is_refused_without_one(
    client: FlaskClient, app: Flask, web_fw: World, login: Callable[[int], None], field_errors, result: str
) -> None:
    login(web_fw.auditor_id)
    url = f"/audits/{web_fw.audit_id}/checklist/{web_fw.responses['A.2.2']}/save"
    response = client.post(url, data=form(result, version="1", notes="Kept notes", reason="  "))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert field_errors(page, "reason")
    assert "Say why the item is not" in field_errors(page, "reason")[0]
    assert "Kept notes" in page
    assert load(app, web_fw.responses["A.2.2"]) == (ResponseResult.NOT_ASSESSED, "", "", 1)
    response = client.post(url, data=form(result, version="1", reason="No AI policy system in scope."))
    assert response.status_code == 302
    stored = load(app, web_fw.responses["A.2.2"])
    assert (stored[0], stored[2], stored[3]) == (ResponseResult(result), "No AI policy system in scope.", 2)


@pytest.mark.parametrize("result", ["conforming", "nonconformity", "observation", "ofi", "not_assessed"])
def test_a_reason_with_a_result_that_takes_none_is_refused_next_to_the_field(
    client: FlaskClient, app: Flask, web_fw: World, login: Callable[[int], None], field_errors, result: str
) -> None:
    """Never dropped without a word: the API refuses the same (tests/api/test_api_fieldwork.py)."""
    add_entry(app, web_fw.responses["A.2.2"], web_fw.auditor_id)  # findings need evidence (tested on their own)
    login(web_fw.auditor_id)
    url = f"/audits/{web_fw.audit_id}/checklist/{web_fw.responses['A.2.2']}/save"
    response = client.post(url, data=form(result, version="1", notes="Kept notes", reason="Left over from N/A"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    label = ResponseResult(result).label
    assert field_errors(page, "reason") == [
        f"A result of “{label}” takes no reason: only “Not applicable” and “Not audited” do. "
        "Clear the reason, or put the text in the notes."
    ]
    assert "Left over from N/A" in page  # what was typed is kept
    assert "Kept notes" in page
    assert load(app, web_fw.responses["A.2.2"]) == (ResponseResult.NOT_ASSESSED, "", "", 1)
    assert client.post(url, data=form(result, version="1", notes="Kept notes", reason=" ")).status_code == 302
    assert load(app, web_fw.responses["A.2.2"]) == (ResponseResult(result), "Kept notes", "", 2)


@pytest.mark.parametrize(
    ("field", "value"),
    [("notes", "before\x00after"), ("reason", "No\x00AI"), ("notes", "bell\x07"), ("reason", "\ufffe")],
)
def test_nul_and_control_characters_in_a_result_are_refused_next_to_the_field(
    client: FlaskClient, app: Flask, web_fw: World, login: Callable[[int], None], field_errors, field, value
) -> None:
    """A 400 with the field's message on both databases (PostgreSQL cannot store NUL: never a 500)."""
    login(web_fw.auditor_id)
    url = f"/audits/{web_fw.audit_id}/checklist/{web_fw.responses['4.1']}/save"
    response = client.post(url, data=form("not_applicable", version="1", **{"reason": "Out of scope", field: value}))
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True), field)[0].startswith("Remove the ")
    assert load(app, web_fw.responses["4.1"]) == (ResponseResult.NOT_ASSESSED, "", "", 1)


def test_a_pasted_line_separator_in_the_notes_is_kept_as_a_new_line(
    client: FlaskClient, app: Flask, web_fw: World, login: Callable[[int], None]
) -> None:
    login(web_fw.auditor_id)
    url = f"/audits/{web_fw.audit_id}/checklist/{web_fw.responses['4.1']}/save"
    notes = "Policy seen.\u2028Signed by the board.\u2029Next review 2027.\x85Done."
    assert client.post(url, data=form("conforming", version="1", notes=notes)).status_code == 302
    assert load(app, web_fw.responses["4.1"])[1] == "Policy seen.\nSigned by the board.\nNext review 2027.\nDone."


def test_malformed_input_is_a_400_and_changes_nothing(
    client: FlaskClient, app: Flask, web_fw: World, login: Callable[[int], None], field_errors
) -> None:
    login(web_fw.auditor_id)
    url = f"/audits/{web_fw.audit_id}/checklist/{web_fw.responses['4.1']}/save"
    for data in ({"version": "1"}, form("excellent", version="1"), form("conforming", version="x")):
        assert client.post(url, data=data).status_code == 400, data
    page = client.post(url, data={"version": "1"}).get_data(as_text=True)
    assert "Choose a result." in field_errors(page, "result")
    assert load(app, web_fw.responses["4.1"]) == (ResponseResult.NOT_ASSESSED, "", "", 1)


@pytest.mark.parametrize("who", ["observer_id", "loner_id", "viewer_id"])
def test_observers_outsiders_and_viewers_cannot_save(
    client: FlaskClient, app: Flask, web_fw: World, login: Callable[[int], None], who: str
) -> None:
    login(getattr(web_fw, who))
    url = f"/audits/{web_fw.audit_id}/checklist/{web_fw.responses['4.1']}"
    assert client.post(f"{url}/save", data=form("conforming", version="1", notes="x")).status_code == 403
    assert load(app, web_fw.responses["4.1"]) == (ResponseResult.NOT_ASSESSED, "", "", 1)
    if who != "loner_id":  # team members read the item, without the form, and are told why
        page = client.get(url).get_data(as_text=True)
        assert 'name="result"' not in page
        assert "Add evidence" not in page
        assert "Read only: Only auditors on this audit&#39;s team record results and evidence." in page


def test_auditees_and_staff_outside_the_team_cannot_see_the_checklist(
    client: FlaskClient, web_fw: World, login: Callable[[int], None]
) -> None:
    for user_id in (web_fw.auditee_id, web_fw.outsider_id, web_fw.loner_id):
        login(user_id)
        assert client.get(f"/audits/{web_fw.audit_id}/checklist").status_code == 403
        assert client.get(f"/audits/{web_fw.audit_id}/checklist/{web_fw.responses['4.1']}").status_code == 403


def test_saving_outside_fieldwork_is_a_409_and_changes_nothing(
    client: FlaskClient, app: Flask, web_fw: World, login: Callable[[int], None]
) -> None:
    set_status(app, web_fw.audit_id, AuditStatus.REPORTING)
    login(web_fw.auditor_id)
    url = f"/audits/{web_fw.audit_id}/checklist/{web_fw.responses['4.1']}"
    response = client.post(f"{url}/save", data=form("conforming", version="1", notes="late"))
    assert response.status_code == 409
    assert "Results and evidence are recorded during fieldwork; the audit is in reporting." in text(
        response.get_data(as_text=True)
    )
    assert load(app, web_fw.responses["4.1"]) == (ResponseResult.NOT_ASSESSED, "", "", 1)
    page = client.get(url).get_data(as_text=True)
    assert 'name="result"' not in page
    assert "Read only:" in page


# --- Query budget -------------------------------------------------------------------------------------------------


def test_checklist_queries_do_not_grow_with_items_or_evidence(
    client: FlaskClient, app: Flask, library: int, login: Callable[[int], None], query_count: Callable[[], int]
) -> None:
    with app.app_context():
        refs = tuple(
            db.session.scalars(
                sa.select(ChecklistItem.ref)
                .where(ChecklistItem.version_id == library, ChecklistItem.auditable.is_(True))
                .order_by(ChecklistItem.position)
            )
        )
    world = build_world(app, library, refs)
    assert len(world.responses) == 70
    login(world.auditor_id)

    def queries() -> tuple[int, str]:
        with client:
            response = client.get(f"/audits/{world.audit_id}/checklist")
            assert response.status_code == 200
            return query_count(), response.get_data(as_text=True)

    empty, page = queries()
    assert len(item_rows(page)) == 70
    with app.app_context():
        ids = sorted(world.responses.values())
        db.session.add_all(
            Evidence(
                audit_id=world.audit_id,
                response_id=ids[n % len(ids)],
                method=EvidenceMethod.RECORD_REVIEW,
                mode=EvidenceMode.REMOTE,
                source=f"Change ticket CHG-{n}",
                evidence_date=date(2026, 3, 2),
                recorded_by_id=world.auditor_id,
            )
            for n in range(500)
        )
        db.session.commit()
    full, page = queries()
    assert page.count("<td>8 entries</td>") == 500 - 7 * 70  # 10 items hold 8 entries, the rest 7
    assert full == empty
    assert full <= 15
