"""The certification-style report for stage 1 / stage 2 rehearsals, built through `generate` and reopened: its
sections, the findings table by clause and grade, one page per nonconformity, OFIs, sites and AI systems sampled,
previous nonconformities, the next audit, and DRAFT versus ISSUED."""

from __future__ import annotations

import pytest
from docx.oxml.ns import qn

from audit_app.documents.certification_report import SECTIONS
from audit_app.documents.document import DRAFT_MARK
from audit_app.services.reports import generate
from tests.fixtures.reports import (
    NEXT_AUDIT,
    SYSTEM_NAME,
    ReportWorld,
    draft_and_issued,
    full_text,
    headings,
    reopen,
    styled,
    table_rows,
)

KIND = generate.DocumentKind.CERTIFICATION_REPORT


@pytest.fixture
def documents(app, report_world: ReportWorld) -> dict[str, bytes]:
    """The draft (as the team downloads it) and an issued build of the same audit."""
    return draft_and_issued(app, report_world, KIND)


def _page_break_before(document, text: str) -> bool:
    paragraphs = document.paragraphs
    index = next(n for n, p in enumerate(paragraphs) if p.text == text)
    breaks = paragraphs[index - 1]._p.findall(f".//{qn('w:br')}")
    return any(b.get(qn("w:type")) == "page" for b in breaks)


def test_sections_cover_and_marking(documents):
    draft, issued = reopen(documents["draft"]), reopen(documents["issued"])
    assert headings(draft, 1) == list(SECTIONS) == headings(issued, 1)
    assert styled(draft, "Cover Title") == ["Certification-style audit report"]
    assert styled(draft, "Draft Marking") == [DRAFT_MARK]
    assert styled(issued, "Draft Marking") == []
    assert "Status: ISSUED — version 1" in styled(issued, "Cover Field")
    assert "Status: DRAFT (would be version 1)" in styled(draft, "Cover Field")


def test_each_nonconformity_on_its_own_page(report_world, documents):
    document = reopen(documents["issued"])
    titles = {reference: title for reference, title, _ in report_world.findings.values()}
    first, *others = (report_world.major_ref, *report_world.minor_refs)
    assert f"{first} {titles[first]}" in headings(document, 2)  # right below the section's heading
    for reference in others:
        heading = f"{reference} {titles[reference]}"
        assert heading in headings(document, 2)
        assert _page_break_before(document, heading), reference
    assert _page_break_before(document, "Opportunities for improvement")
    text = full_text(document)
    for reference, title, statement in report_world.findings.values():
        if reference is None:
            assert statement not in text  # the unreviewed draft stays out of the issued report
        else:
            assert f"{reference} {title}" in text  # every reviewed finding is in the findings table
            if "-GP-" not in reference:
                assert statement in text  # nonconformities, observations and OFIs in full
    assert f"Draft finding {report_world.draft_id}" in full_text(reopen(documents["draft"]))


def test_findings_table_by_clause_and_grade(documents):
    rows = table_rows(reopen(documents["issued"]))
    header = next(r for r in rows if r[0] == "Clause or area")
    assert header == [
        "Clause or area",
        "Major nonconformity",
        "Minor nonconformity",
        "Observation",
        "Opportunity for improvement",
        "Good practice",
        "Total",
    ]
    by_area = {r[0]: r[1:] for r in rows if len(r) == 7 and r[0] in ("4", "6", "A.2")}
    assert by_area == {
        "4": ["1", "2", "1", "0", "0", "4"],
        "6": ["0"] * 4 + ["1", "1"],
        "A.2": ["0"] * 3 + ["1", "0", "1"],
    }


def test_improvements_sites_previous_ncs_and_next_audit(report_world, documents):
    document = reopen(documents["issued"])
    assert {"Opportunities for improvement", "Observations and areas of concern", "Recommendation"} <= set(
        headings(document, 2)
    )
    text = full_text(document)
    for expected in (
        "Automate the release register",
        "Policy review date near",
        f"AI systems in scope: {SYSTEM_NAME}",
        report_world.sample_reference,
        report_world.earlier_ref,
        NEXT_AUDIT,
        f"major nonconformity {report_world.major_ref}",
    ):
        assert expected in text, expected
