"""Due dates from the programme's due policy per grade and step (DOMAIN 4.3): acknowledgement in business days,
the other steps in calendar days; grades without a step get no date for it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from audit_app.extensions import db
from audit_app.models import DueStep, FindingStatus
from audit_app.services.findings import dues
from tests.fixtures.findings import Findings

S = FindingStatus


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 12, 4), 2, date(2026, 12, 8)),  # Friday + 2 business days = Tuesday
        (date(2026, 12, 5), 1, date(2026, 12, 7)),  # Saturday + 1 = Monday
        (date(2026, 12, 7), 5, date(2026, 12, 14)),  # Monday + 5 = next Monday
    ],
)
def test_business_days_skip_weekends(start, days, expected):
    assert dues.add_business_days(start, days) == expected


@pytest.mark.parametrize(
    ("grade", "expected"),
    [
        ("major", {"acknowledge": 2, "correction": 10, "plan": 30, "implementation": 90}),
        ("minor", {"acknowledge": 5, "correction": 30, "plan": 30, "implementation": 180}),
        ("observation", {}),
    ],
)
def test_issuing_sets_the_policy_dates_of_the_grade(app, fw_world, grade, expected):
    with app.app_context():
        f = Findings(fw_world)
        finding = f.to(f.draft(grade), S.ISSUED)
        db.session.flush()
        issued = dues.today()
        got = {d.step.value: d for d in finding.dues}
        assert set(got) == set(expected)
        for step, days in expected.items():
            want = dues.add_business_days(issued, days) if step == "acknowledge" else issued + timedelta(days=days)
            assert got[step].due_on == got[step].original_due_on == want


def test_a_programme_policy_overrides_the_defaults(app, fw_world):
    with app.app_context():
        f = Findings(fw_world)
        programme = f.audit.programme
        programme.due_policy = {**programme.due_policy, "minor": {"acknowledge": 1, "plan": 7}}
        db.session.flush()
        finding = f.to(f.draft(), S.ISSUED)
        got = {d.step: d.due_on for d in finding.dues}
        assert got == {
            DueStep.ACKNOWLEDGE: dues.add_business_days(dues.today(), 1),
            DueStep.PLAN: dues.today() + timedelta(days=7),
        }


def test_verification_sets_the_effectiveness_date_and_live_dates_follow_the_state(app, fw_world):
    with app.app_context():
        f = Findings(fw_world)
        finding = f.to(f.draft("major"), S.ISSUED)
        assert [d.step for d in dues.live(finding)] == [DueStep.ACKNOWLEDGE]
        f.to(finding, S.VERIFIED)
        effectiveness = dues.current(finding, DueStep.EFFECTIVENESS)
        assert effectiveness.due_on == dues.today() + timedelta(days=90)
        assert [d.step for d in dues.live(finding)] == [DueStep.EFFECTIVENESS]
        assert dues.overdue(finding, on=effectiveness.due_on + timedelta(days=1)) == [effectiveness]
