"""The demo programme loads on any day of the year: its audits fall inside its period, with their fieldwork."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from audit_app import demo
from audit_app.demo import planning
from audit_app.demo.planning import CLOSED_AUDIT, LATER_AUDIT, NEXT_AUDIT, demo_period
from audit_app.extensions import db
from audit_app.models import (
    Audit,
    AuditProgramme,
    AuditStatus,
    ChecklistResponse,
    Evidence,
    EvidenceFile,
    ResponseResult,
    Sample,
    SampleStatus,
)


def _every_day(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]


@pytest.mark.parametrize("year", [2027, 2028])  # 2028 is a leap year
def test_every_demo_audit_falls_inside_the_period_on_every_day_of_the_year(year):
    for today in _every_day(year):
        start, end = demo_period(today)
        assert start.day == 1
        assert start <= today <= end
        assert (end - start).days + 1 in (365, 366)  # twelve whole months
        assert (end + timedelta(days=1)).day == 1
        for offset, days in (CLOSED_AUDIT, NEXT_AUDIT, LATER_AUDIT):
            assert start <= today + timedelta(days=offset), today
            assert today + timedelta(days=offset + days - 1) <= end, today


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# The days a fixed September-to-August year used to refuse, a leap day and the turn of the year.
@pytest.mark.parametrize("today", [date(2027, 9, 15), date(2027, 8, 30), date(2028, 2, 29), date(2027, 12, 31)])
def test_the_demo_programme_loads_with_its_three_audits(app_ctx, library, tmp_path, today):
    demo.load_demo(tmp_path / "demo_credentials.txt")
    programme = planning.load_demo_programme(today)
    assert programme is not None
    db.session.commit()

    audits = list(db.session.scalars(sa.select(Audit).order_by(Audit.start_date)))
    assert [a.status for a in audits] == [AuditStatus.CLOSED, AuditStatus.PREPARATION, AuditStatus.PLANNED]
    assert [a.start_date - today for a in audits] == [
        timedelta(days=d) for d, _ in (CLOSED_AUDIT, NEXT_AUDIT, LATER_AUDIT)
    ]
    for audit in audits:
        assert programme.period_start <= audit.start_date <= audit.end_date <= programme.period_end
        assert audit.reference.startswith(f"IA-{programme.code}-")
        assert audit.team
        assert audit.sessions or audit.status is AuditStatus.PLANNED

    closed = audits[0]
    results = db.session.scalars(sa.select(ChecklistResponse.result).where(ChecklistResponse.audit_id == closed.id))
    results = list(results)
    assert results
    assert ResponseResult.NOT_ASSESSED not in results
    assert ResponseResult.NONCONFORMITY in results
    assert count(Evidence) == 5  # 4.3, 5.2, 7.2 and A.4.3 once per AI system (CreditScore, Ask Nora)
    assert count(EvidenceFile) == 5
    sample = db.session.scalar(sa.select(Sample).where(Sample.audit_id == closed.id))
    assert sample.status is SampleStatus.EVALUATED
    assert sample.deviations

    # Loading again adds nothing.
    assert planning.load_demo_programme(today) is None
    assert planning.load_demo_programme(today + timedelta(days=200)) is None
    assert count(AuditProgramme) == 1
    assert count(Audit) == 3


def test_no_demo_programme_beside_an_organisation_s_own(app_ctx, library, tmp_path, plan):
    plan.programme("OWN")
    db.session.commit()
    demo.load_demo(tmp_path / "demo_credentials.txt")
    assert planning.load_demo_programme(date(2027, 3, 1)) is None
    assert count(AuditProgramme) == 1
