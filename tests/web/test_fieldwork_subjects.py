"""The item page as one form: results per AI system, unit or site, and evidence saved with the result.

The rules themselves are tested on the service (tests/unit/test_verdicts.py); these tests check that the page offers
them, keeps what was typed when a save is refused, and shows the derived result with its parts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import (
    AuditStatus,
    ChecklistResponse,
    Evidence,
    EvidenceMethod,
    EvidenceMode,
    ResponseResult,
    Role,
    SubjectKind,
    UnitKind,
    User,
)
from audit_app.services.fieldwork import evidence, responses
from tests.fixtures.fieldwork_pages import World, form, hidden_version, load, text
from tests.fixtures.planning import Planning

ENTRY = {"method": "record_review", "mode": "on_site", "evidence_date": "2026-03-02"}


@dataclass(frozen=True)
class Subjects:
    audit_id: int
    auditor_id: int
    response_id: int  # A.5.2
    chatbot: int
    credit: int
    site: int


@pytest.fixture
def subjects(app, library) -> Subjects:
    """An audit in fieldwork of A.5.2 with two AI systems and a site in scope, and an auditor on its team."""
    with app.app_context():
        plan = Planning(library)
        owner = plan.unit("Credit Risk")
        site = plan.unit("Leeds contact centre", kind=UnitKind.SITE)
        chatbot = plan.system("Ask Nora chatbot", owner=owner)
        credit = plan.system("CreditScore", owner=owner)
        audit = plan.audit(title="Impact assessment")
        audit.scope_systems = [chatbot, credit]
        audit.scope_units = [site]
        auditor = plan.member(audit, plan.user(Role.AUDITOR, name="Alma Auditor")).user
        items = plan.pin(audit, "A.5.2")
        plan.declare_all(audit)
        plan.session(audit, items=items, auditors=[audit.lead_auditor])
        plan.record_meetings(audit)
        audit.status = AuditStatus.FIELDWORK
        responses.materialise_responses(audit)
        db.session.commit()
        response = db.session.scalars(sa.select(ChecklistResponse).where(ChecklistResponse.audit_id == audit.id)).one()
        return Subjects(audit.id, auditor.id, response.id, chatbot.id, credit.id, site.id)


def _parts(world: Subjects, **rows: tuple[str, str]) -> dict[str, str]:
    """The parts rows as the page posts them: chatbot, credit, site, in that order (systems, then units)."""
    fields = {}
    for index, (name, token) in enumerate(
        (
            ("chatbot", f"ai_system:{world.chatbot}"),
            ("credit", f"ai_system:{world.credit}"),
            ("site", f"org_unit:{world.site}"),
        )
    ):
        result, statement = rows.get(name, ("not_assessed", ""))
        fields |= {
            f"parts-{index}-subject": token,
            f"parts-{index}-result": result,
            f"parts-{index}-statement": statement,
        }
    return fields


def test_the_item_page_offers_a_result_per_ai_system_unit_and_site(client, login, subjects):
    login(subjects.auditor_id)
    page = client.get(f"/audits/{subjects.audit_id}/checklist/{subjects.response_id}").get_data(as_text=True)

    assert 'value="by_subject"' in page
    for label in (
        "Result for Ask Nora chatbot (ai system)",
        "Result for CreditScore (ai system)",
        "Result for Leeds contact centre (site)",
        "Statement for CreditScore (ai system)",
    ):
        assert f">{label}</label>" in page, label
    concerns = re.search(r'<select[^>]*name="subject"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert "The item as a whole" in concerns
    assert f'value="ai_system:{subjects.credit}"' in concerns


def test_results_per_ai_system_and_their_evidence_are_saved_in_one_submit(app, client, login, subjects):
    login(subjects.auditor_id)
    url = f"/audits/{subjects.audit_id}/checklist/{subjects.response_id}"
    data = {
        **form("by_subject", version="1", notes="Both deployed systems sampled."),
        **_parts(
            subjects,
            chatbot=("conforming", "Impact assessment IA-7 reviewed with the product owner."),
            credit=("nonconformity", "No impact assessment after the 2026 retraining."),
        ),
        **ENTRY,
        "source": "Impact assessment register, export of 1 March",
        "subject": f"ai_system:{subjects.credit}",
    }

    response = client.post(f"{url}/save", data=data)

    assert response.status_code == 302, text(response.get_data(as_text=True))[:2000]
    assert load(app, subjects.response_id)[0] is ResponseResult.NONCONFORMITY  # any nonconformity wins
    with app.app_context():
        (entry,) = db.session.scalars(sa.select(Evidence))
        assert entry.ai_system_id == subjects.credit
    page = client.get(url).get_data(as_text=True)
    words = text(page)
    assert "A.5.2 saved: Nonconformity with a new evidence entry (0 file(s))." in words
    assert "Concerns CreditScore (AI system)" in words
    saved = text(re.search(r'<table id="saved-parts">.*?</table>', page, re.S).group(0))
    assert "the item's result, Nonconformity, is derived from them" in saved
    assert "Ask Nora chatbot (AI system) ✓ Conforming Impact assessment IA-7" in saved
    assert "CreditScore (AI system) ✗ Nonconformity No impact assessment after the 2026 retraining." in saved
    assert re.search(r'<input checked id="result-\d" name="result"[^>]*value="by_subject">', page)

    checklist = text(client.get(f"/audits/{subjects.audit_id}/checklist").get_data(as_text=True))
    assert "Ask Nora chatbot: ✓ Conforming" in checklist
    assert "CreditScore: ✗ Nonconformity" in checklist
    assert "Conforming without evidence: 1 result (0 items, 1 per AI system, unit or site)" in checklist


def test_a_refused_result_per_subject_keeps_every_typed_value_by_its_row(app, client, login, field_errors, subjects):
    login(subjects.auditor_id)
    url = f"/audits/{subjects.audit_id}/checklist/{subjects.response_id}/save"
    data = {
        **form("by_subject", version="1", notes="Typed notes"),
        **_parts(subjects, chatbot=("observation", "Owner unsure of the review cycle."), site=("not_applicable", "")),
    }

    response = client.post(url, data=data)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "needs at least one evidence entry" in field_errors(page, "parts-0-result")[0]
    assert field_errors(page, "parts-2-statement") == ["Say why the item is not applicable."]
    assert "Owner unsure of the review cycle." in page
    assert "Typed notes" in page
    assert re.search(r'<option selected value="observation">', page)
    assert load(app, subjects.response_id)[3] == 1  # nothing saved


def test_a_result_and_its_evidence_are_saved_together_and_a_refused_entry_keeps_the_result(
    app, client, login, field_errors, web_fw: World
):
    """The chosen result and the notes are never lost when evidence is added (the issue's 10, first point)."""
    login(web_fw.auditor_id)
    url = f"/audits/{web_fw.audit_id}/checklist/{web_fw.responses['4.2']}"
    typed = form("nonconformity", version="1", notes="No list of interested parties is kept.")

    refused = client.post(f"{url}/save", data={**typed, **ENTRY, "source": "", "description": "Asked the CRO."})

    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert field_errors(page, "source") == ["Say where the evidence comes from."]
    assert re.search(r'<input checked id="result-\d" name="result"[^>]*value="nonconformity">', page)
    assert "No list of interested parties is kept." in page
    assert "Asked the CRO." in page
    assert load(app, web_fw.responses["4.2"])[3] == 1

    without = client.post(f"{url}/save", data=typed)  # no evidence at all: the rule refuses, the text stays
    assert without.status_code == 400
    assert "needs at least one evidence entry" in field_errors(without.get_data(as_text=True), "result")[0]

    saved = client.post(f"{url}/save", data={**typed, **ENTRY, "source": "Interested-parties register (none)"})
    assert saved.status_code == 302
    assert saved.headers["Location"].startswith(f"{url}#evidence-")
    assert load(app, web_fw.responses["4.2"])[:2] == (
        ResponseResult.NONCONFORMITY,
        "No list of interested parties is kept.",
    )
    with app.app_context():
        assert db.session.scalars(sa.select(Evidence.source)).all() == ["Interested-parties register (none)"]


def test_an_audit_with_one_subject_or_none_keeps_the_single_result(client, login, web_fw: World):
    login(web_fw.auditor_id)
    page = client.get(f"/audits/{web_fw.audit_id}/checklist/{web_fw.responses['4.1']}").get_data(as_text=True)

    assert 'value="by_subject"' not in page
    assert 'id="parts"' not in page
    assert 'name="subject"' not in page  # nothing to name: evidence concerns the item
    assert hidden_version(page) == "1"
    assert "data-warn-unsaved" in page  # leaving with unsaved changes asks first (static/js/unsaved.js)


def _record(app, world: Subjects, entries: int, parts: tuple[str, ...]) -> None:
    """`entries` evidence entries about the credit model, and conforming results for the subjects named."""
    ids = {"chatbot": world.chatbot, "credit": world.credit}
    with app.app_context():
        response = db.session.get(ChecklistResponse, world.response_id)
        actor = db.session.get(User, world.auditor_id)
        for n in range(entries):
            data = evidence.EvidenceData(
                EvidenceMethod.RECORD_REVIEW,
                EvidenceMode.ON_SITE,
                f"Record {n}",
                date(2026, 3, 2),
                subject=(SubjectKind.AI_SYSTEM, world.credit),
            )
            evidence.add_evidence(response, data, actor=actor)
        data = responses.ResponseData(
            None,
            expected_version=response.version,
            parts=tuple(
                responses.PartData(SubjectKind.AI_SYSTEM, ids[name], ResponseResult.CONFORMING, f"{name} seen")
                for name in parts
            ),
        )
        responses.save_response(response, data, actor=actor)
        db.session.commit()


def _queries(client, path: str, query_count) -> int:
    with client:
        assert client.get(path).status_code == 200
        return query_count()


def test_item_page_and_checklist_queries_do_not_grow_with_results_per_subject(
    app, client, login, subjects, query_count
):
    login(subjects.auditor_id)
    item = f"/audits/{subjects.audit_id}/checklist/{subjects.response_id}"
    checklist = f"/audits/{subjects.audit_id}/checklist"
    _record(app, subjects, 1, ("credit",))
    _queries(client, item, query_count)  # warm up (the session's first request does more)
    few = (_queries(client, item, query_count), _queries(client, checklist, query_count))

    _record(app, subjects, 12, ("chatbot", "credit"))

    assert (_queries(client, item, query_count), _queries(client, checklist, query_count)) == few
