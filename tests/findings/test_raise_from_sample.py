"""Raise as finding: an evaluated sample's proposed finding becomes a draft through the page, carrying the ratio,
the population, the deviating items, their evidence and the link to the sample."""

from __future__ import annotations

import re

from audit_app.extensions import db
from audit_app.models import Audit, DeviationNature, Finding, Sample, User
from audit_app.services.sampling import samples
from tests.findings.web_helpers import count_findings, text
from tests.fixtures.sampling import DEV, OK, make_sample, sized


def evaluated_sample(app, world, *, interpret: bool = True) -> tuple[int, list[str]]:
    """A sample of 12 from 120 with two deviations (the first one evidenced), evaluated through the services."""
    with app.app_context():
        audit = db.session.get(Audit, world.audit_id)
        auditor = db.session.get(User, world.auditor_id)
        sample = sized(make_sample(audit, auditor), auditor)
        samples.draw(sample, actor=auditor, seed=42)
        deviating = []
        for index, item in enumerate(list(sample.items)):
            if index < 2:
                evidence = world.evidence_id if index == 0 else None
                samples.record_result(item, DEV, actor=auditor, note="No sign-off", evidence_id=evidence)
                deviating.append(item.key)
            else:
                samples.record_result(item, OK, actor=auditor)
        samples.evaluate(sample, actor=auditor)
        if interpret:
            samples.interpret(sample, cause="Approver on leave", nature=DeviationNature.ISOLATED, actor=auditor)
        db.session.commit()
        return sample.id, deviating


def test_raise_as_finding_carries_the_ratio_population_and_deviating_items(client, login, app, fw_world):
    sample_id, deviating = evaluated_sample(app, fw_world)
    login(fw_world.auditor_id)
    sample_page = text(client.get(f"/audits/{fw_world.audit_id}/samples/{sample_id}"))
    raise_url = f"/audits/{fw_world.audit_id}/samples/{sample_id}/raise-finding"
    assert raise_url in sample_page
    assert "Raise as finding" in sample_page

    response = client.post(raise_url)

    assert response.status_code == 302
    finding_id = int(re.search(r"/findings/(\d+)/edit", response.headers["Location"]).group(1))
    with app.app_context():
        finding = db.session.get(Finding, finding_id)
        sample = db.session.get(Sample, sample_id)
        assert finding.statement == sample.proposed_finding
        assert [s.sample_id for s in finding.samples] == [sample_id]
        cited = finding.samples[0]
        assert cited.deviating_items == deviating
        assert f"2 of 12 sampled reviews deviated (sample {sample.reference}, population 120 reviews" in cited.summary
        assert "2 of 12" in finding.evidence_summary
        assert all(key in finding.evidence_summary for key in deviating)
        assert [e.id for e in finding.evidence] == [fw_world.evidence_id]
        assert finding.clause_refs == [sample.checklist_items[0].ref]
        assert finding.grade == "minor"
        assert not finding.systemic
    edit = client.get(f"/findings/{finding_id}/edit")
    assert edit.status_code == 200
    page = text(client.get(f"/findings/{finding_id}"))
    assert "2 of 12 sampled reviews deviated" in page
    assert ", ".join(deviating) in page
    assert f"/audits/{fw_world.audit_id}/samples/{sample_id}" in page

    again = client.post(raise_url)  # one live finding per sample
    assert again.status_code == 409
    assert count_findings(app) == 1


def test_a_sample_without_a_proposed_finding_is_not_raised(client, login, app, fw_world):
    sample_id, _ = evaluated_sample(app, fw_world, interpret=False)
    login(fw_world.auditor_id)
    raise_url = f"/audits/{fw_world.audit_id}/samples/{sample_id}/raise-finding"
    assert raise_url not in text(client.get(f"/audits/{fw_world.audit_id}/samples/{sample_id}"))
    assert client.post(raise_url).status_code == 409
    login(fw_world.loner_id)
    assert client.post(raise_url).status_code in (403, 404)
    assert count_findings(app) == 0


def test_only_who_may_raise_sees_the_button(client, login, app, fw_world):
    sample_id, _ = evaluated_sample(app, fw_world)
    raise_url = f"/audits/{fw_world.audit_id}/samples/{sample_id}/raise-finding"
    login(fw_world.viewer_id)  # management on the team as an observer reads the sample
    page = client.get(f"/audits/{fw_world.audit_id}/samples/{sample_id}")
    assert page.status_code == 200
    assert raise_url not in text(page)
    assert client.post(raise_url).status_code == 403
    assert count_findings(app) == 0
