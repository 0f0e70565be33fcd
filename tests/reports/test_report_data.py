"""The audit report's data (services/reports/audit_data.py): the readiness rule, what is gathered from the rich
audit, the conformity chart, and a fixed number of queries whatever the number of findings, samples and evidence."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import sqlalchemy as sa

from audit_app.documents.chart import conformity_chart, describe
from audit_app.extensions import db
from audit_app.models import Audit, ChecklistResponse, EvidenceMethod, EvidenceMode, FindingStatus
from audit_app.services.fieldwork import evidence as evidence_service
from audit_app.services.reports import generate, issuing
from audit_app.services.reports.audit_data import audit_report_data, recommendation
from audit_app.services.reports.report_rows import Counts, FindingRow, NotAuditedRow
from audit_app.services.sampling import samples
from tests.fixtures.findings import Findings
from tests.fixtures.reports import DOCUMENT, NEXT_AUDIT, NOT_AUDITED_REASON, SYSTEM_NAME, ReportWorld, full_text, reopen
from tests.fixtures.sampling import OK, make_sample, sized

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _finding(reference: str, grade: str = "minor", *, final: bool = False, reviewed: bool = True) -> FindingRow:
    return FindingRow(
        id=hash(reference) & 0xFFFF,
        reference=reference,
        grade=grade,
        grade_label=grade,
        nonconformity=grade in ("major", "minor"),
        major=grade == "major",
        good_practice=grade == "good_practice",
        title="",
        clauses=("4.1",),
        other_criteria="",
        requirement="",
        statement="",
        evidence_summary="",
        grade_rationale="",
        evidence=(),
        samples=(),
        where="",
        auditee_unit="",
        process_owner="",
        status="Issued",
        reviewed=reviewed,
        final=final,
        dues=(),
    )


# --- the readiness rule ---------------------------------------------------------------------------------------------


def test_open_minor_nonconformities_make_it_ready_once_they_are_closed():
    found = [_finding("NC-01"), _finding("NC-02"), _finding("OFI-01", "ofi"), _finding("NC-03", final=True)]
    assert recommendation(found, [], "stage 2") == "Ready for stage 2 once NC-01 and NC-02 are closed."
    assert recommendation(found[:1], [], "stage 2") == "Ready for stage 2 once NC-01 is closed."


def test_an_open_major_means_not_ready_and_names_every_open_nonconformity():
    text = recommendation([_finding("NC-01", "major"), _finding("NC-02")], [], "stage 2")
    assert text.startswith("Not ready for stage 2: the major nonconformity NC-01 must be corrected")
    assert "NC-02 must also be closed" in text
    two = recommendation([_finding("NC-01", "major"), _finding("NC-04", "major")], [], "certification")
    assert "major nonconformities NC-01 and NC-04" in two


def test_closed_nonconformities_and_other_grades_leave_it_ready():
    found = [
        _finding("NC-01", "major", final=True),
        _finding("OBS-01", "observation"),
        _finding("GP-01", "good_practice"),
    ]
    assert recommendation(found, [], "stage 2") == "Ready for stage 2: no nonconformity is open."


def test_areas_not_audited_add_a_caveat_naming_them():
    skipped = [NotAuditedRow("A.6.2.4", "V&V", "Owner away"), NotAuditedRow("8.4", "Impact", "No time")]
    text = recommendation([], skipped, "stage 2")
    assert text.startswith("Ready for stage 2")
    assert "Caveat: 2 item(s) in scope were not audited (A.6.2.4 and 8.4)" in text


# --- the chart ------------------------------------------------------------------------------------------------------


def test_the_chart_is_a_deterministic_png_with_its_figures_in_words():
    rows = [
        ("4", Counts(items=9, conforming=5, nonconformity=1, observation=2, not_applicable=1)),
        ("A.6", Counts(items=2, not_audited=2)),
    ]
    png = conformity_chart(rows)
    assert png.startswith(PNG_SIGNATURE)
    assert conformity_chart(rows) == png
    assert conformity_chart([*rows, ("6", Counts(items=1, conforming=1))]) != png
    assert describe(rows[0][1]) == "5 C, 1 NC, 2 Obs, 1 N/A; 88% conforming"
    assert describe(rows[1][1]) == "2 Not aud; none judged"


# --- gathered from the rich audit -----------------------------------------------------------------------------------


def test_the_data_holds_everything_the_report_shows(app, report_world: ReportWorld):
    w = report_world
    with app.app_context():
        data = audit_report_data(db.session.get(Audit, w.audit_id))
    references = [f.reference for f in data.findings]
    assert references[:3] == [w.major_ref, *w.minor_refs]  # nonconformities first, the major leading
    assert [f.grade for f in data.findings[4:]] == ["observation", "ofi", "good_practice"]
    draft = next(f for f in data.findings if f.id == w.draft_id)
    assert (draft.reviewed, draft.nonconformity, draft.reference) == (False, True, f"Draft finding {w.draft_id}")
    assert draft not in data.findings_for(draft=False)
    assert {g.code: g.count for g in data.grade_counts(draft=False)} == {
        "major": 1,
        "minor": 2,
        "observation": 1,
        "ofi": 1,
        "good_practice": 1,
    }
    assert data.recommendation.startswith(
        f"Not ready for the certification audit: the major nonconformity {w.major_ref}"
    )
    assert f"Draft finding {w.draft_id}" in data.draft_recommendation
    assert f"Draft finding {w.draft_id}" not in data.recommendation
    assert "Caveat: 1 item(s) in scope were not audited (A.6.2.4)" in data.recommendation

    major = data.findings[0]
    assert major.samples[0].reference == w.sample_reference
    assert (major.samples[0].population, major.samples[0].tested, major.samples[0].deviations) == (120, 12, 1)
    assert major.evidence[0].files == "register.pdf (v1)"
    assert major.auditee_unit == "Model Operations"
    assert major.dues

    (sample,) = data.samples
    assert (sample.reference, sample.population_size, sample.sample_size, sample.seed) == (
        w.sample_reference,
        120,
        12,
        2026,
    )
    assert len(sample.population_hash) == 64
    assert sample.signed_off.startswith("Lead auditor")
    assert sample.attributes[0].deviations == 1
    assert sample.attributes[0].rate == "8.4%"

    areas = {a.area: a for a in data.areas}
    assert (areas["4"].counts.items, areas["4"].counts.nonconformity, areas["4"].counts.observation) == (2, 1, 1)
    assert areas["A.6"].counts.not_audited == 1
    assert areas["4"].fulfilment.startswith("Partly fulfilled")
    assert [(n.ref, n.reason) for n in data.not_audited] == [("A.6.2.4", NOT_AUDITED_REASON)]
    assert [(s.subject, s.area, s.counts.nonconformity) for s in data.subject_areas] == [(SYSTEM_NAME, "4", 1)]

    assert [e.reference for e in data.earlier] == [w.earlier_ref]
    assert data.earlier[0].open
    assert data.earlier[0].capa == "No actions yet"
    assert [d.finding for d in data.diverging] == [w.disputed_ref]
    assert [m.kind for m in data.meetings] == ["Opening meeting", "Closing meeting"]
    assert [d.document for d in data.documents] == [DOCUMENT]
    assert [m.name.split(" ", 1)[1] for m in data.manifest] == ["register.pdf (v1)", "other.pdf (v1)"]
    assert all(len(m.sha256) == 64 for m in data.manifest)
    assert data.next_audit == NEXT_AUDIT
    assert "sample" in data.sampling_statement
    assert data.ai_systems == (SYSTEM_NAME,)
    assert data.conclusion is not None
    assert data.methods == ("Document review: 2 evidence entries (2 remote)",)


def test_earlier_findings_come_from_earlier_audits_only(app, report_world: ReportWorld):
    with app.app_context():
        audit = db.session.get(Audit, report_world.audit_id)
        earlier = next(a for a in audit.programme.audits if a.id != audit.id)
        data = audit_report_data(earlier)
    assert data.earlier == ()


# --- a fixed number of queries ----------------------------------------------------------------------------------------


def _statements(app, audit_id: int) -> int:
    with app.app_context():
        audit = db.session.get(Audit, audit_id)
        seen: list[str] = []

        def count(conn, cursor, statement, *args):
            seen.append(statement)

        engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            audit_report_data(audit)
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        return len(seen)


def _grow(app, world: ReportWorld, findings: int) -> None:
    """More evidence, drafts and issued findings citing it, and a second sample evaluated and cited."""
    with app.app_context():
        f = Findings(world.base)
        auditor = f.user(world.base.auditor_id)
        response = db.session.get(ChecklistResponse, world.base.responses["4.1"])
        entries = [
            evidence_service.add_evidence(
                response,
                evidence_service.EvidenceData(
                    EvidenceMethod.INTERVIEW, EvidenceMode.ON_SITE, f"Interview with role {n}", date(2026, 3, 3)
                ),
                actor=auditor,
                files=[(f"notes-{n}.txt", f"interview notes {n}\n".encode())],
            )
            for n in range(6)
        ]
        sample = sized(make_sample(f.audit, auditor), auditor)
        samples.draw(sample, actor=auditor, seed=7)
        for item in sample.items:
            samples.record_result(item, OK, actor=auditor)
        samples.evaluate(sample, actor=auditor)
        for n in range(findings):
            finding = f.draft(
                "minor" if n % 2 else "observation",
                title=f"Grown finding {n}",
                evidence_ids=[world.base.evidence_id, entries[n % len(entries)].id],
                sample_ids=[sample.id] if n % 3 == 0 else [],
            )
            if n % 2:
                f.to(finding, FindingStatus.ISSUED)
        db.session.commit()


def test_the_data_costs_the_same_number_of_queries_with_7_or_31_findings(app, report_world: ReportWorld):
    few = _statements(app, report_world.audit_id)
    _grow(app, report_world, 24)
    many = _statements(app, report_world.audit_id)
    with app.app_context():
        shown = audit_report_data(db.session.get(Audit, report_world.audit_id))
    assert len(shown.findings) == 7 + 24
    assert len(shown.samples) == 2
    assert many == few, (few, many)
    assert few < 40


def test_findings_without_clauses_or_links_still_make_rows():
    row = replace(_finding("OFI-09", "ofi"), clauses=())
    assert row.area == "—"
    assert _finding("NC-01").area == "4"
    assert replace(_finding("NC-02"), clauses=("A.6.2.4",)).area == "A.6"


def test_the_issuable_world_meets_every_issue_requirement(app, issuable_report_world: ReportWorld):
    with app.app_context():
        audit = db.session.get(Audit, issuable_report_world.audit_id)
        assert issuing.missing_items(audit) == []
        data = audit_report_data(audit)
    assert all(f.reviewed for f in data.findings)
    assert data.recommendation == data.draft_recommendation


def test_an_audit_with_nothing_recorded_yet_builds_both_reports(plan):
    audit = plan.audit(title="Just planned")
    lead = audit.lead_auditor
    db.session.commit()
    for kind in (generate.DocumentKind.AUDIT_REPORT, generate.DocumentKind.CERTIFICATION_REPORT):
        text = full_text(reopen(generate.draft(lead, audit, kind).data))
        assert "Just planned" in text
        assert "The team conference has not recorded" in text
        assert "Ready for the certification audit: no nonconformity is open." in text
    data = audit_report_data(audit)
    assert (data.findings, data.samples, data.areas, data.earlier, data.conclusion) == ((), (), (), (), None)
