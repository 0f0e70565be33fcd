"""The nonconformity report (DOMAIN 2.7): the finding's fields, its evidence, and the response — filled where the
app holds it, blank space where it does not — and who may have it."""

from __future__ import annotations

import pytest
from flask import Flask

from audit_app.documents.document import DRAFT_MARK
from audit_app.documents.nc_report import build_nc_report
from audit_app.errors import NotFound
from audit_app.extensions import db
from audit_app.models import (
    Finding,
    FindingSample,
    FindingSource,
    FindingStatus,
    Sample,
    SampleMethod,
    SampleStatus,
    User,
)
from audit_app.services.findings import records
from audit_app.services.reports import generate
from audit_app.services.reports.nc_data import nc_report_data
from tests.fixtures.findings import Findings, FindingsWorld, nc_input
from tests.reports.docx_read import (
    TEMPLATE,
    all_text,
    assert_hostile_text_survives,
    control,
    header_text,
    headings,
    hostile,
    reopen,
    styled,
    table_with,
)

S = FindingStatus
RESPONSE_PARTS = [
    "Auditee response",
    "Acknowledgement",
    "Correction",
    "Root cause",
    "Corrective-action plan",
    "Verification of implementation",
    "Effectiveness review",
    "Closure",
]


def _cite_sample(finding: Finding) -> None:
    sample = Sample(
        audit_id=finding.audit_id,
        sequence=1,
        title="Release sign-offs",
        population_description="Model releases Sep 2025 to Feb 2026",
        population_size=120,
        sampling_unit="releases",
        sample_size=25,
        method=SampleMethod.SIMPLE_RANDOM,
        status=SampleStatus.EVALUATED,
        deviations=3,
    )
    db.session.add(sample)
    db.session.flush()
    finding.samples.append(
        FindingSample(
            sample_id=sample.id,
            summary="3 of 25 sampled releases deviated (population 120 releases)",
            deviating_items=["R-12", "R-15", "R-19"],
        )
    )
    db.session.commit()


def _document(finding: Finding, *, draft: bool = False):  # type: ignore[no-untyped-def]
    return reopen(build_nc_report(nc_report_data(finding), control(draft=draft), TEMPLATE))


def test_an_issued_nc_shows_every_field_and_leaves_the_response_blank(app: Flask, fw_world: FindingsWorld) -> None:
    with app.app_context():
        f = Findings(fw_world)
        finding = f.to(f.draft("major", systemic=True, other_criteria="Release procedure MRP-2"), S.ISSUED)
        _cite_sample(finding)
        document = _document(finding)

        assert styled(document, "Cover Title") == ["Nonconformity report"]
        assert styled(document, "Cover Subtitle") == [finding.reference]
        assert styled(document, "Draft Marking") == []
        for part in [
            "The nonconformity",
            "Requirement",
            "Statement of nonconformity",
            "Objective evidence",
            "Evidence entries",
            "Samples",
            "Where found and who answers for it",
            "Due dates",
            *RESPONSE_PARTS,
        ]:
            assert part in headings(document), part

        fields = dict(row for row in table_with(document, "Item")[1:])
        assert fields["Reference"] == finding.reference
        assert fields["Grade"] == "Major nonconformity — systemic"
        assert fields["Why this grade"].startswith("Isolated: the other 22 releases")
        assert fields["Clauses and controls"] == "4.1"
        assert fields["Other criteria"] == "Release procedure MRP-2"
        statements = styled(document, "Statement")
        assert "Each model release must have a documented AI system impact assessment before deployment." in statements
        assert "Three of the 25 releases in the period went live with no impact assessment on file." in statements
        assert "Register RR-7 v3 lists 25 releases; R-12, R-15 and R-19 have no assessment." in statements

        entry = table_with(document, "Entry")[1]
        assert entry[:2] == [f"EV-{fw_world.evidence_id}", "4.1"]
        assert entry[2] == "Document review (remote)"
        assert entry[3] == "Release register RR-7, v3\n02 Nov 2026"
        assert entry[5].startswith("register.pdf (v1)\nSHA-256 ")
        sample = table_with(document, "Sample")[1]
        assert sample[2] == "Model releases Sep 2025 to Feb 2026 (120 releases)"
        assert sample[3] == "3 of 25 sampled releases deviated (population 120 releases)"
        assert sample[4] == "R-12, R-15, R-19"

        text = all_text(document)
        for name in ("Model Operations", "Ada Auditee", "Alma Auditor"):
            assert name in text
        dues = table_with(document, "Step")
        assert {row[0] for row in dues[1:]} >= {"Acknowledge", "Correction", "Implementation"}
        assert all(row[3] == "Open" for row in dues[1:])

        blanks = styled(document, "Response Space")
        for prompt in ("Name:", "Position:", "Signature:", "1.", "Verified by:", "Closed by (lead auditor):"):
            assert prompt in blanks, prompt
        assert blanks.count("") >= 6  # correction, method, analysis, root cause, extent, verification, …
        assert "(required before a major nonconformity is closed)" in text


def test_a_closed_nc_carries_the_recorded_response(app: Flask, fw_world: FindingsWorld) -> None:
    with app.app_context():
        f = Findings(fw_world)
        finding = f.to(f.draft("minor"), S.CLOSED_EFFECTIVE)
        db.session.commit()
        document = _document(finding)
        text = all_text(document)
        for recorded in (
            "Acknowledged by Ada Auditee",
            "Impact assessments completed for R-12, R-15 and R-19.",
            "5 whys",
            "The release workflow has no gate for the impact assessment.",
            "Checked the other two release pipelines: same gap in the batch pipeline.",
            "Gate added to the release workflow; R-21 and R-22 passed it.",
            "Re-sampled 10 releases after the change: all assessed.",
            "Sample IA-re-check, releases R-30 to R-39",
            "Closed: effective on",
        ):
            assert recorded in text, recorded
        action = table_with(document, "Action")[1]
        assert action[0] == "Add an impact-assessment gate to every release pipeline."
        assert [action[1], action[3]] == ["Cole Colleague", "Implemented"]
        assert action[4] == "Gate live since 1 Dec; see change CH-88."
        assert styled(document, "Response Space") == []


def test_the_nc_report_goes_to_its_own_unit_only_and_never_for_a_draft(app: Flask, fw_world: FindingsWorld) -> None:
    with app.app_context():
        f = Findings(fw_world)
        issued = f.to(f.draft("minor"), S.ISSUED)
        draft = f.draft("minor", title="Still a draft")
        observation = f.to(f.draft("observation", title="Only an observation"), S.ISSUED)
        db.session.commit()
        auditee, stranger, lead = (f.user(i) for i in (fw_world.auditee_id, fw_world.stranger_id, fw_world.lead_id))

        got = generate.nc_report(auditee, issued.id)
        assert got.file_name.startswith(issued.reference.replace("/", ""))
        assert got.file_name.endswith(".docx")
        assert issued.reference in all_text(reopen(got.data))
        with pytest.raises(NotFound):
            generate.nc_report(stranger, issued.id)
        with pytest.raises(NotFound):
            generate.nc_report(auditee, draft.id)
        with pytest.raises(NotFound):
            generate.nc_report(lead, observation.id)

        on_draft = reopen(generate.nc_report(lead, draft.id).data)
        assert DRAFT_MARK in styled(on_draft, "Draft Marking")
        assert DRAFT_MARK in header_text(on_draft)
        assert "Not issued yet" in all_text(on_draft)


def test_hostile_text_in_every_field_of_the_nc_report_comes_out_safely(app: Flask, fw_world: FindingsWorld) -> None:
    with app.app_context():
        f = Findings(fw_world)
        open_one = f.to(f.draft("major"), S.ISSUED)
        _cite_sample(open_one)
        closed = f.to(f.draft("minor"), S.CLOSED_EFFECTIVE)
        db.session.commit()
        for finding in (open_one, closed):
            data = hostile(nc_report_data(finding))
            assert data.statement == data.evidence[0].source  # every text field was replaced
            assert_hostile_text_survives(build_nc_report(data, hostile(control()), TEMPLATE))


def test_an_nc_raised_outside_an_audit_names_its_source(app: Flask, fw_world: FindingsWorld) -> None:
    with app.app_context():
        lead = db.session.get(User, fw_world.lead_id)
        data = nc_input(
            fw_world,
            source=FindingSource.INCIDENT,
            source_reference="INC-4411",
            response_ids=[],
            evidence_ids=[],
            title="Model drift alert ignored",
        )
        finding = records.create_outside_audit(data, actor=lead)
        db.session.commit()
        document = reopen(generate.nc_report(lead, finding.id).data)
        fields = dict(row for row in table_with(document, "Item")[1:])
        assert fields["Source"] == "Incident — INC-4411"
        assert "Audit: Raised outside an audit (Incident — INC-4411)" in styled(document, "Cover Field")
        assert "Model drift alert ignored" in all_text(document)
