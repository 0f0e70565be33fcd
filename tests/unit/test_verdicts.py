"""No verdict without evidence, and results per AI system, unit or site (services/fieldwork/verdicts.py, responses.py).

Service-level: the web form and the API reach the same rules (tests/web/test_fieldwork_subjects.py,
tests/api/test_api_fieldwork_subjects.py).
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from audit_app.errors import ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    Activity,
    AuditStatus,
    ChecklistResponse,
    EvidenceMethod,
    EvidenceMode,
    ResponseResult,
    SubjectKind,
    UnitKind,
)
from audit_app.models.fieldwork import DERIVATION_ORDER, derive_result
from audit_app.services.fieldwork import evidence, responses, working
from audit_app.services.fieldwork.responses import PartData, ResponseData

R = ResponseResult


@pytest.fixture
def world(plan):
    """An audit in fieldwork of 4.1, 8.4 and A.5.2 with two AI systems and a site in scope."""
    owner = plan.unit("Credit Risk")
    site = plan.unit("Leeds contact centre", kind=UnitKind.SITE)
    chatbot = plan.system("Ask Nora chatbot", owner=owner)
    credit = plan.system("CreditScore", owner=owner)
    audit = plan.audit(title="Impact assessment")
    audit.scope_systems = [chatbot, credit]
    audit.scope_units = [site]
    auditor = plan.member(audit).user
    items = plan.pin(audit, "4.1", "8.4", "A.5.2")  # what plan.ready does, with a control in scope
    plan.declare_all(audit)
    plan.session(audit, items=items, auditors=[audit.lead_auditor])
    plan.record_meetings(audit)
    audit.status = AuditStatus.FIELDWORK
    responses.materialise_responses(audit)
    db.session.flush()
    by_ref = {
        r.item.ref: r
        for r in db.session.scalars(sa.select(ChecklistResponse).where(ChecklistResponse.audit_id == audit.id))
    }
    return {"audit": audit, "auditor": auditor, "r": by_ref, "chatbot": chatbot, "credit": credit, "site": site}


def entry(world, ref: str, subject=None):
    data = evidence.EvidenceData(
        EvidenceMethod.RECORD_REVIEW,
        EvidenceMode.ON_SITE,
        "Impact assessment register",
        date(2026, 3, 2),
        "",
        subject,
    )
    return evidence.add_evidence(world["r"][ref], data, actor=world["auditor"])


def save(world, ref: str, result, notes: str = "", reason: str = "", parts=None):
    response = world["r"][ref]
    data = ResponseData(result, notes, reason, expected_version=response.version, parts=parts)
    return responses.save_response(response, data, actor=world["auditor"])


def refused(world, ref: str, *args, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as caught, db.session.begin_nested():  # the savepoint keeps the world
        save(world, ref, *args, **kwargs)
    return caught.value.errors


# --- No verdict without evidence ------------------------------------------------------------------------------


@pytest.mark.parametrize("result", [R.NONCONFORMITY, R.OBSERVATION])
def test_a_finding_without_evidence_is_refused(world, result):
    errors = refused(world, "8.4", result, "Assessments are not repeated after model changes.")

    assert list(errors) == ["result"]
    assert "needs at least one evidence entry" in errors["result"][0]
    assert world["r"]["8.4"].result is R.NOT_ASSESSED


@pytest.mark.parametrize("result", [R.NONCONFORMITY, R.OBSERVATION])
def test_a_finding_without_a_statement_is_refused_even_with_evidence(world, result):
    entry(world, "8.4")

    errors = refused(world, "8.4", result, "   ")

    assert list(errors) == ["notes"]
    assert errors["notes"][0].startswith(f"Write the statement of the {result.label.lower()}")


def test_a_finding_with_a_statement_and_evidence_is_recorded(world):
    entry(world, "8.4")

    saved = save(world, "8.4", R.NONCONFORMITY, "Assessments are not repeated after model changes.")

    assert saved.result is R.NONCONFORMITY


def test_conforming_without_evidence_needs_a_note_of_how_conformity_was_established(world):
    errors = refused(world, "4.1", R.CONFORMING)
    assert "how conformity was established" in errors["notes"][0]

    assert save(world, "4.1", R.CONFORMING, "Context analysis walked through with the CRO.").result is R.CONFORMING
    entry(world, "8.4")
    assert save(world, "8.4", R.CONFORMING).result is R.CONFORMING  # evidence: no note needed


def test_not_applicable_on_a_clause_is_refused_and_allowed_on_an_annex_a_control_with_a_reason(world):
    errors = refused(world, "4.1", R.NOT_APPLICABLE, reason="We do not think it applies.")
    assert errors["result"][0].startswith("4.1 is a requirement of clauses 4 to 10, which cannot be excluded")

    assert "reason" in refused(world, "A.5.2", R.NOT_APPLICABLE)
    saved = save(world, "A.5.2", R.NOT_APPLICABLE, reason="Excluded in the Statement of Applicability v3.")
    assert saved.result is R.NOT_APPLICABLE


def test_not_audited_needs_a_reason_and_is_open_to_clauses(world):
    assert "reason" in refused(world, "4.1", R.NOT_AUDITED)
    assert save(world, "4.1", R.NOT_AUDITED, reason="The CRO was unavailable.").result is R.NOT_AUDITED


# --- Results per AI system, unit or site ------------------------------------------------------------------------


def test_the_derivation_order_puts_any_nonconformity_first():
    assert DERIVATION_ORDER[0] is R.NONCONFORMITY
    cases = [
        ([R.CONFORMING, R.NONCONFORMITY, R.OFI], R.NONCONFORMITY),
        ([R.CONFORMING, R.OBSERVATION, R.OFI], R.OBSERVATION),
        ([R.CONFORMING, R.OFI], R.OFI),
        ([R.NOT_APPLICABLE, R.CONFORMING, R.NOT_AUDITED], R.CONFORMING),
        ([R.NOT_APPLICABLE, R.NOT_AUDITED], R.NOT_AUDITED),
        ([R.NOT_APPLICABLE], R.NOT_APPLICABLE),
        ([], R.NOT_ASSESSED),
    ]
    for results, derived in cases:
        assert derive_result(results) is derived, results


def test_results_per_ai_system_derive_the_overall_result_and_are_in_the_trail(world):
    chatbot, credit = world["chatbot"], world["credit"]
    entry(world, "A.5.2", (SubjectKind.AI_SYSTEM, credit.id))
    parts = (
        PartData(SubjectKind.AI_SYSTEM, chatbot.id, R.CONFORMING, "Impact assessment IA-7 reviewed with the owner."),
        PartData(SubjectKind.AI_SYSTEM, credit.id, R.NONCONFORMITY, "No assessment after the 2026 retraining."),
    )

    saved = save(world, "A.5.2", None, "Two systems sampled.", parts=parts)

    assert saved.result is R.NONCONFORMITY  # any nonconformity wins
    assert saved.per_subject
    assert {(p.subject_id, p.result) for p in saved.recorded_parts} == {
        (chatbot.id, R.CONFORMING),
        (credit.id, R.NONCONFORMITY),
    }
    trail = db.session.scalars(sa.select(Activity).where(Activity.action == "checklist.response_saved")).one()
    assert trail.details["changes"]["result"] == ["not_assessed", "nonconformity"]
    assert trail.details["changes"]["parts"]["CreditScore (ai system)"]["result"] == ["not_assessed", "nonconformity"]

    # The chatbot's result changes: the overall result follows, and the trail says who changed what.
    fixed = (PartData(SubjectKind.AI_SYSTEM, credit.id, R.CONFORMING, "Re-assessed on 3 March; IA-9 seen."),)
    assert save(world, "A.5.2", None, "Two systems sampled.", parts=fixed).result is R.CONFORMING
    last = db.session.scalars(sa.select(Activity).order_by(Activity.id.desc())).first()
    assert last.details["changes"]["parts"] == {
        "CreditScore (ai system)": {
            "result": ["nonconformity", "conforming"],
            "statement": ["No assessment after the 2026 retraining.", "Re-assessed on 3 March; IA-9 seen."],
        }
    }


def test_a_result_per_subject_needs_evidence_that_concerns_it_or_the_whole_item(world):
    chatbot, credit = world["chatbot"], world["credit"]
    entry(world, "A.5.2", (SubjectKind.AI_SYSTEM, chatbot.id))  # about the chatbot only
    nc = (PartData(SubjectKind.AI_SYSTEM, credit.id, R.NONCONFORMITY, "No assessment after retraining."),)

    errors = refused(world, "A.5.2", None, parts=nc)
    assert "needs at least one evidence entry" in errors["parts.0.result"][0]

    entry(world, "A.5.2")  # about the item as a whole: it supports every subject
    assert save(world, "A.5.2", None, parts=nc).result is R.NONCONFORMITY


def test_a_subject_outside_the_scope_a_contradicting_result_and_na_on_a_clause_are_refused(world, plan):
    other = plan.system("Not in scope", owner=world["site"])
    chatbot = world["chatbot"]
    errors = refused(world, "A.5.2", None, parts=(PartData(SubjectKind.AI_SYSTEM, other.id, R.OFI, "x"),))
    assert "not in the audit's scope" in errors["parts.0.subject"][0]

    ok = (PartData(SubjectKind.AI_SYSTEM, chatbot.id, R.CONFORMING, "Seen in use."),)
    errors = refused(world, "A.5.2", R.NONCONFORMITY, parts=ok)
    assert "derived from its results per AI system, unit or site: Conforming" in errors["result"][0]

    na = (PartData(SubjectKind.ORG_UNIT, world["site"].id, R.NOT_APPLICABLE, "Not used at the site."),)
    assert "cannot be excluded" in refused(world, "4.1", None, parts=na)["parts.0.result"][0]
    unstated = (PartData(SubjectKind.ORG_UNIT, world["site"].id, R.NOT_AUDITED, ""),)
    assert "parts.0.statement" in refused(world, "4.1", None, parts=unstated)
    assert "result" in refused(world, "4.1", None)  # neither a result nor results per subject


def test_withdrawn_results_per_subject_bring_back_the_single_result(world):
    chatbot = world["chatbot"]
    save(world, "A.5.2", None, parts=(PartData(SubjectKind.AI_SYSTEM, chatbot.id, R.CONFORMING, "Seen."),))
    withdrawn = (PartData(SubjectKind.AI_SYSTEM, chatbot.id, R.NOT_ASSESSED, "Seen."),)

    saved = save(world, "A.5.2", R.OFI, "Consider a yearly review.", parts=withdrawn)

    assert (saved.result, saved.per_subject, len(saved.parts)) == (R.OFI, False, 1)  # the row is kept, unused


def test_evidence_naming_a_subject_outside_the_scope_is_refused(world, plan):
    other = plan.system("Elsewhere", owner=world["site"])
    with pytest.raises(ValidationFailed) as caught:
        entry(world, "8.4", (SubjectKind.AI_SYSTEM, other.id))
    assert "subject" in caught.value.errors
    site = entry(world, "8.4", (SubjectKind.ORG_UNIT, world["site"].id))
    assert (site.org_unit_id, site.ai_system_id, site.subject) == (
        world["site"].id,
        None,
        (SubjectKind.ORG_UNIT, world["site"].id),
    )


# --- What the checklist and the reporting gate read -------------------------------------------------------------


def test_the_working_checklist_counts_conforming_results_without_evidence(world):
    chatbot, credit = world["chatbot"], world["credit"]
    save(world, "4.1", R.CONFORMING, "Walked through with the CRO.")  # no evidence: counted
    entry(world, "8.4")
    save(world, "8.4", R.CONFORMING)  # evidence: not counted
    entry(world, "A.5.2", (SubjectKind.AI_SYSTEM, credit.id))
    parts = (
        PartData(SubjectKind.AI_SYSTEM, chatbot.id, R.CONFORMING, "Interview with the owner."),  # counted
        PartData(SubjectKind.AI_SYSTEM, credit.id, R.CONFORMING, ""),  # its own evidence: not counted
    )
    save(world, "A.5.2", None, parts=parts)

    checklist = working.working_checklist(world["audit"], world["auditor"])

    assert (checklist.unsupported_items, checklist.unsupported_parts) == (1, 1)
    assert checklist.conforming_without_evidence == 2
    rows = {row.item.ref: row for row in checklist.rows}
    assert (rows["4.1"].unsupported, rows["8.4"].unsupported) == (True, False)
    assert [(s.name, p.result) for s, p in rows["A.5.2"].parts] == [
        ("Ask Nora chatbot", R.CONFORMING),
        ("CreditScore", R.CONFORMING),
    ]


def test_unconcluded_items_lists_what_the_reporting_gate_is_missing(world):
    assert [i.ref for i in responses.unconcluded_items(world["audit"])] == ["4.1", "8.4", "A.5.2"]
    save(world, "4.1", R.NOT_AUDITED, reason="The CRO was unavailable.")
    save(world, "A.5.2", None, parts=(PartData(SubjectKind.AI_SYSTEM, world["chatbot"].id, R.OFI, "Add a review."),))

    assert [i.ref for i in responses.unconcluded_items(world["audit"])] == ["8.4"]
