"""As of a day: the verdict reads the dated history, so later events do not change a past verdict; a major
nonconformity opened and closed flips stage 2 between the days around it; today's fast reading of the current
columns agrees with the reading from history."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Flask

from audit_app.extensions import db
from audit_app.models import FindingHistory, FindingStatus
from audit_app.models.base import utcnow
from audit_app.models.soa import SoaStatus, SoaVersion
from audit_app.services.docinfo import status as register
from audit_app.services.readiness.asof import AsOf
from audit_app.services.readiness.rules import evaluate
from tests.fixtures.findings import Findings, FindingsWorld
from tests.fixtures.planning import Planning
from tests.readiness.world import READY_DAY, at, build_ready, soa_version, system


def stage2_failing(day: date) -> set[str]:
    return {r.code for r in evaluate(AsOf(day)).stage2 if not r.passed}


def test_a_major_opened_and_closed_flips_stage2(plan: Planning) -> None:
    world = build_ready(plan)
    world.finding(
        "major",
        date(2026, 6, 10),
        [
            (date(2026, 6, 12), "status", "issued", "acknowledged"),
            (date(2026, 6, 20), "status", "acknowledged", "plan_submitted"),
            (date(2026, 6, 25), "status", "plan_submitted", "plan_accepted"),
            (date(2026, 7, 15), "status", "plan_accepted", "implemented"),
            (date(2026, 7, 20), "status", "implemented", "verified"),
            (date(2026, 8, 1), "status", "verified", "closed_effective"),
        ],
        status=FindingStatus.CLOSED_EFFECTIVE,
    )
    db.session.flush()
    assert evaluate(AsOf(date(2026, 6, 9))).stage2_ready
    assert stage2_failing(date(2026, 6, 10)) == {"S2-MAJORS"}
    assert stage2_failing(date(2026, 7, 31)) == {"S2-MAJORS"}
    assert evaluate(AsOf(date(2026, 8, 1))).stage2_ready
    assert evaluate(AsOf(utcnow().date())).stage2_ready


def test_a_past_verdict_ignores_what_happened_after_it(plan: Planning) -> None:
    world = build_ready(plan)
    minor = world.finding(
        "minor",
        date(2026, 5, 20),
        [(date(2026, 5, 25), "status", "issued", "plan_accepted")],
        status=FindingStatus.PLAN_ACCEPTED,
    )
    before = evaluate(AsOf(READY_DAY)).as_dict()
    assert before["stage1"]["ready"]
    assert before["stage2"]["ready"]
    # After the day: a major issued, a minor regraded, a new incomplete SoA approved, the policy withdrawn from the
    # register (recorded in its history), a new AI system without an impact assessment.
    world.finding("major", date(2026, 6, 5))
    minor.grade = "major"
    db.session.add(
        FindingHistory(
            finding_id=minor.id,
            event="regraded",
            field="grade",
            old_value="minor",
            new_value="major",
            at=at(date(2026, 6, 15)),
        )
    )
    soa_version(world).status = SoaStatus.SUPERSEDED
    db.session.add(SoaVersion(number=2, status=SoaStatus.APPROVED, approved_at=at(date(2026, 6, 3))))
    policy = world.entry(register.AI_POLICY)
    from audit_app.models import DocumentedInfoHistory

    db.session.add(
        DocumentedInfoHistory(
            entry_id=policy.id,
            field="location",
            old_value=policy.location,
            new_value="",
            changed_at=at(date(2026, 6, 2)),
        )
    )
    policy.location = ""
    plan.system("Chat assistant", owner=system(world).owner_unit, created_at=at(date(2026, 6, 20)))
    db.session.flush()
    db.session.expire_all()
    assert evaluate(AsOf(READY_DAY)).as_dict() == before
    today = evaluate(AsOf(utcnow().date()))
    failing = {r.code for r in (*today.stage1, *today.stage2) if not r.passed}
    assert failing == {"S1-DOCS", "S2-DOCS", "S2-SOA", "S2-MAJORS", "S2-IMPACT"}
    majors = next(r for r in today.stage2 if r.code == "S2-MAJORS")
    assert len(majors.blockers) == 2  # the regraded minor is a major from 15 June on


def test_today_from_the_current_columns_agrees_with_the_history(plan: Planning) -> None:
    world = build_ready(plan)
    world.finding("major", date(2026, 5, 10))
    world.finding(
        "minor",
        date(2026, 5, 11),
        [(date(2026, 5, 12), "status", "issued", "acknowledged")],
        status=FindingStatus.ACKNOWLEDGED,
    )
    world.finding("minor", date(2026, 5, 11), [(date(2026, 5, 13), "grade", "major", "minor")])
    db.session.flush()
    today = utcnow().date()
    fast = AsOf(today)
    slow = AsOf(today, today=today + timedelta(days=1))
    assert fast.is_current
    assert not slow.is_current
    assert evaluate(fast).as_dict() == evaluate(slow).as_dict()
    assert fast.open_findings == slow.open_findings
    assert fast.open_findings.major_count == 1
    assert fast.open_findings.minors_without_plan_count == 2


def test_the_services_history_drives_the_verdict(app: Flask, fw_world: FindingsWorld) -> None:
    """A major moved through the real finding services: open while issued, not once closed effective."""
    with app.app_context():
        f = Findings(fw_world)
        today = utcnow().date()
        history = {"today": today + timedelta(days=1)}
        major = f.to(f.draft("major"), FindingStatus.ISSUED)
        db.session.flush()
        assert AsOf(today, **history).open_findings.major_count == 1
        assert AsOf(today).open_findings.major_count == 1
        f.to(major, FindingStatus.CLOSED_EFFECTIVE)
        db.session.flush()
        assert AsOf(today, **history).open_findings.major_count == 0
        assert AsOf(today).open_findings.major_count == 0
        assert AsOf(today - timedelta(days=1), today=today).open_findings.major_count == 0
