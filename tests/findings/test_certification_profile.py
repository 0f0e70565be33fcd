"""The certification-body profile: open majors of stage 2 simulation audits block the simulated certification
decision (90-day deadline from the stage 2 end), and one open past six months means stage 2 must be repeated."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import AuditProgramme, AuditType, FindingStatus
from audit_app.services.findings import certification
from audit_app.services.planning import programmes
from tests.fixtures.findings import Findings

S = FindingStatus


def _stage2(f: Findings, profile: bool = True) -> AuditProgramme:
    audit = f.audit
    audit.audit_type = AuditType.STAGE2_SIMULATION
    audit.programme.certification_profile = profile
    db.session.flush()
    return audit.programme


def test_an_open_major_blocks_the_decision_with_its_deadlines(app, fw_world):
    with app.app_context():
        f = Findings(fw_world)
        programme = _stage2(f)
        major = f.to(f.draft("major"), S.ISSUED)
        f.to(f.draft("minor"), S.ISSUED)  # a minor does not block the decision
        end = f.audit.end_date
        status = certification.certification_status(programme, today=end + timedelta(days=10))
        assert status is not None
        assert not status.ready
        assert status.stage2_audits == 1
        (blocker,) = status.blockers
        assert (blocker.reference, blocker.finding_id) == (major.reference, major.id)
        assert blocker.hard_deadline == end + timedelta(days=90)
        assert not blocker.past_deadline
        assert not blocker.repeat_stage2
        assert status.repeat_stage2 == []
        late = certification.decision_blockers(programme, today=end + timedelta(days=91))
        assert late[0].past_deadline
        assert not late[0].repeat_stage2


def test_a_major_open_more_than_six_months_after_stage_2_means_repeating_it(app, fw_world):
    with app.app_context():
        f = Findings(fw_world)
        programme = _stage2(f)
        f.to(f.draft("major"), S.PLAN_ACCEPTED)
        end = f.audit.end_date
        on_the_day = certification.certification_status(programme, today=end + timedelta(days=183))
        assert on_the_day is not None
        assert on_the_day.repeat_stage2 == []
        after = certification.certification_status(programme, today=end + timedelta(days=184))
        assert after is not None
        assert after.repeat_stage2 == [f.audit.reference]


def test_a_major_verified_closed_clears_the_decision(app, fw_world):
    with app.app_context():
        f = Findings(fw_world)
        programme = _stage2(f)
        major = f.to(f.draft("major"), S.VERIFIED)
        assert certification.decision_blockers(programme)  # verified implementation is not closure
        f.to(major, S.CLOSED_EFFECTIVE)
        status = certification.certification_status(programme)
        assert status is not None
        assert status.blockers == []
        assert status.ready


def test_without_the_profile_or_outside_stage_2_nothing_is_reported(app, fw_world):
    with app.app_context():
        f = Findings(fw_world)
        programme = _stage2(f, profile=False)
        f.to(f.draft("major"), S.ISSUED)
        assert certification.certification_status(programme) is None
        assert certification.decision_blockers(programme) == []
        programme.certification_profile = True
        f.audit.audit_type = AuditType.INTERNAL
        status = certification.certification_status(programme)
        assert status is not None
        assert status.blockers == []
        assert status.stage2_audits == 0
        assert not status.ready


def test_the_programme_page_shows_the_blockers_and_the_form_sets_the_profile(app, client, login, fw_world):
    with app.app_context():
        f = Findings(fw_world)
        programme = _stage2(f)
        major = f.to(f.draft("major"), S.ISSUED)
        reference, programme_id = major.reference, programme.id
        db.session.commit()
    login(fw_world.lead_id)
    page = client.get(f"/programmes/{programme_id}").get_data(as_text=True)
    assert "Simulated certification decision" in page
    assert "Decision blocked" in page
    assert reference in page
    form = client.get(f"/programmes/{programme_id}/edit").get_data(as_text=True)
    assert 'name="certification_profile"' in form
    assert "checked" in form.split('name="certification_profile"')[0][-80:]
    with app.app_context():
        programme = db.session.get(AuditProgramme, programme_id)
        data = programmes.ProgrammeData(
            code=programme.code,
            title=programme.title,
            period_start=programme.period_start,
            period_end=programme.period_end,
            checklist_version_id=programme.checklist_version_id,
            status=programme.status,
        )
        lead = f.user(fw_world.lead_id)
        programmes.save_programme(data, actor=lead, programme=programme)
        assert programme.certification_profile is False
        programmes.save_programme(replace(data, certification_profile=True), actor=lead, programme=programme)
        db.session.commit()
        assert db.session.scalar(
            sa.select(AuditProgramme.certification_profile).where(AuditProgramme.id == programme_id)
        )
    assert "Simulated certification decision" in client.get(f"/programmes/{programme_id}").get_data(as_text=True)
