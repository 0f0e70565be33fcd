"""The audit report (ISO 19011 6.5.1) built from the rich audit through `generate`, reopened with python-docx: every
section, the cover, every finding, the clause results table and chart, and DRAFT versus ISSUED marking."""

from __future__ import annotations

import dataclasses

import pytest

from audit_app.documents.audit_report import SECTIONS, build_audit_report
from audit_app.documents.certification_report import build_certification_report
from audit_app.documents.document import DRAFT_MARK
from audit_app.extensions import db
from audit_app.models import Audit, User
from audit_app.services.reports import generate
from audit_app.services.reports.audit_data import AuditReportData, audit_report_data
from audit_app.services.reports.templates import template_in_use
from tests.fixtures.reports import (
    DISTRIBUTION,
    DOCUMENT,
    NEXT_AUDIT,
    NOT_AUDITED_REASON,
    SYSTEM_NAME,
    ReportWorld,
    draft_and_issued,
    full_text,
    headings,
    issued_control,
    reopen,
    styled,
    table_rows,
)

KIND = generate.DocumentKind.AUDIT_REPORT


@pytest.fixture
def documents(app, report_world: ReportWorld) -> dict[str, bytes]:
    """The draft (as the team downloads it) and an issued build of the same audit."""
    return draft_and_issued(app, report_world, KIND)


def test_every_section_heading_is_there_in_order(documents):
    for which in ("draft", "issued"):
        found = headings(reopen(documents[which]), 1)
        assert found == list(SECTIONS), which
    subsections = headings(reopen(documents["draft"]), 2)
    for expected in (
        "Version history",
        "Review and approval",
        "Distribution list",
        "Findings by grade",
        "Readiness recommendation",
        "Notable good practice",
        "Objectives, scope and client",
        "Audit criteria",
        "Audit team and auditee participants",
        "Dates, places and mode of the audit activities",
        "Methods",
        "Plan versus actual",
        "Areas not covered",
        "Impartiality exceptions",
        "Nonconformities",
        "Observations",
        "Opportunities for improvement",
        "Good practice",
        "Audit conclusion",
        "Unresolved diverging opinions",
        "Audit evidence is a sample",
        "Audit plan and agenda",
        "Opening and closing meetings",
        "Documents reviewed",
        "Evidence manifest",
    ):
        assert expected in subsections, expected
    assert documents["file_name"].decode().startswith("IA-2026-01 Audit report draft-")


def test_the_cover_carries_the_audit_and_its_status(app, report_world, documents):
    draft, issued = reopen(documents["draft"]), reopen(documents["issued"])
    cover = styled(draft, "Cover Field")
    with app.app_context():
        lead = db.session.get(User, report_world.lead_id).name
    for expected in (
        "Audit reference: IA-2026-01",
        "Audit title: Model governance",
        "Audit type: Internal audit",
        "Audit dates: 02 Mar 2026 to 04 Mar 2026",
        "Status: DRAFT (would be version 1)",
        f"Lead auditor: {lead}",
        "Marking: Confidential",
        "Audit client: Board risk committee",
    ):
        assert expected in cover, expected
    assert styled(draft, "Cover Title") == ["Audit report"]
    assert "Status: ISSUED — version 1" in styled(issued, "Cover Field")
    assert "Organisation: Example Bank" in styled(issued, "Cover Field")


def test_drafts_are_marked_draft_and_issued_reports_are_not(documents):
    draft, issued = reopen(documents["draft"]), reopen(documents["issued"])
    assert styled(draft, "Draft Marking") == [DRAFT_MARK]
    assert styled(issued, "Draft Marking") == []
    draft_header = [p.text for p in draft.sections[0].header.paragraphs]
    assert DRAFT_MARK in draft_header
    assert any("Confidential" in text for text in draft_header)
    issued_header = [p.text for p in issued.sections[0].header.paragraphs]
    assert DRAFT_MARK not in issued_header
    assert "has not been issued" in full_text(draft)
    issued_text = full_text(issued)
    assert "has not been issued" not in issued_text
    assert "Rita Reviewer" in issued_text
    assert "Arne Approver" in issued_text
    for recipient in DISTRIBUTION:
        assert recipient in issued_text


def test_every_finding_is_there_with_its_text_and_drafts_only_on_drafts(report_world, documents):
    draft_text, issued_text = full_text(reopen(documents["draft"])), full_text(reopen(documents["issued"]))
    for finding_id, (reference, title, statement) in report_world.findings.items():
        if finding_id == report_world.draft_id:
            assert f"Draft finding {finding_id} {title} (draft, not yet reviewed)" in draft_text
            assert statement in draft_text
            assert statement not in issued_text
            continue
        for text in (draft_text, issued_text):
            assert f"{reference} {title}" in text
            assert statement in text
    level3 = headings(reopen(documents["issued"]), 3)
    titles = {reference: title for reference, title, _ in report_world.findings.values()}
    ncs = [report_world.major_ref, *report_world.minor_refs]
    assert level3[:3] == [f"{ref} {titles[ref]}" for ref in ncs]  # nonconformities first, the major leading
    assert report_world.sample_reference in issued_text
    assert "register.pdf (v1)" in issued_text


def test_the_clause_results_table_and_chart(documents):
    document = reopen(documents["issued"])
    rows = table_rows(document)
    header = next(r for r in rows if r[0] == "Area" and "Conclusion" in r)
    assert header == ["Area", "Items", "Conf.", "NC", "Obs.", "OFI", "N/A", "Not audited", "Open", "Conclusion"]
    by_area = {
        r[0].split()[0]: r
        for r in rows
        if r[0].split() and r[0].split()[0] in ("4", "6", "A.2", "A.6") and len(r) == 10
    }
    assert by_area["4"][1:6] == ["2", "0", "1", "1", "0"]
    assert by_area["A.6"][7] == "1"
    assert by_area["4"][9].startswith("Partly fulfilled")
    assert len(document.inline_shapes) == 1  # the conformity chart
    assert any(r[:2] == [SYSTEM_NAME, "4"] for r in rows)  # results per AI system


def test_details_conclusions_and_annexes(report_world, documents):
    text = full_text(reopen(documents["issued"]))
    for expected in (
        "Determine whether the AIMS conforms to ISO/IEC 42001",
        "Model release and monitoring processes.",
        "01 Sep 2025 to 28 Feb 2026",
        "Model risk policy MRP-3",
        "ISO/IEC 42001",
        NOT_AUDITED_REASON,
        "We consider the training record complete.",
        "audit evidence was therefore a sample",
        DOCUMENT,
        "Lena Lead (lead auditor); Ada Auditee",
        "register.pdf (v1)",
        report_world.earlier_ref,
        "Seed",
        "2026",
        "Not ready for the certification audit",
    ):
        assert expected in text, expected
    assert NEXT_AUDIT not in text  # the next audit belongs to the certification-style report


# --- hostile text ----------------------------------------------------------------------------------------------------

HOSTILE = (
    "<w:p>{{ x }} &amp; ]]> \x00\x01\x0b\x1f \ud800 \ufffe مرحبا بالعالم שלום 🚀👩🏽‍💻 e\u0301 \t tab\r\nline "
    + "W" * 3000
)


def _hostile(value: object) -> object:
    """Every text of the data (nested rows included) replaced by the hostile text; other values kept."""
    if isinstance(value, str):
        return HOSTILE
    if isinstance(value, tuple):
        return tuple(_hostile(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(
            value, **{f.name: _hostile(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        )
    return value


def test_hostile_text_in_every_field_comes_out_literally(app, report_world: ReportWorld):
    with app.app_context():
        audit = db.session.get(Audit, report_world.audit_id)
        lead = db.session.get(User, report_world.lead_id)
        data = _hostile(audit_report_data(audit))
        template = template_in_use().data
        control = dataclasses.replace(
            issued_control(lead), marking=HOSTILE, organisation=HOSTILE, generated_by=HOSTILE, distribution=(HOSTILE,)
        )
    assert isinstance(data, AuditReportData)
    for build in (build_audit_report, build_certification_report):
        for draft in (True, False):
            document = reopen(build(data, dataclasses.replace(control, draft=draft), template))
            text = full_text(document)
            assert "<w:p>{{ x }} &amp; ]]>" in text
            assert "مرحبا بالعالم שלום 🚀👩🏽‍💻" in text
            assert "\ufffd" in text
            assert "\x00" not in text
            assert "W" * 3000 in text
            assert any("<w:p>" in p.text for p in document.sections[0].header.paragraphs)
