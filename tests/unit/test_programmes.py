"""Audit programmes: validation, default grade scheme and due-date policy, who may manage them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
import sqlalchemy as sa

from audit_app.errors import NotAllowed, ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    DEFAULT_DUE_POLICY,
    DEFAULT_GRADES,
    Activity,
    AuditProgramme,
    ChecklistVersion,
    ProgrammeStatus,
    Role,
)
from audit_app.services.planning import programmes
from audit_app.services.planning.programmes import ProgrammeData

NONE_STEPS = {"acknowledge": None, "correction": None, "plan": None, "implementation": None, "effectiveness": None}


@pytest.fixture
def data(plan) -> ProgrammeData:
    return ProgrammeData(
        code="2026",
        title="Internal audit programme 2026",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        checklist_version_id=plan.version_id,
        objectives="Cover the whole AIMS before stage 1.",
    )


def _refused(data: ProgrammeData, actor, programme=None) -> dict[str, list[str]]:
    count = db.session.scalar(sa.select(sa.func.count(AuditProgramme.id)))
    with pytest.raises(ValidationFailed) as info:
        programmes.save_programme(data, actor=actor, programme=programme)
    db.session.flush()
    assert db.session.scalar(sa.select(sa.func.count(AuditProgramme.id))) == count
    return info.value.errors


def test_a_new_programme_gets_the_default_grades_and_due_policy(plan, data):
    programme = programmes.save_programme(data, actor=plan.admin)
    db.session.commit()
    programme = db.session.get(AuditProgramme, programme.id)
    assert (programme.code, programme.status, programme.created_by_id) == ("2026", ProgrammeStatus.DRAFT, plan.admin.id)
    assert programme.objectives == "Cover the whole AIMS before stage 1."
    assert programme.grade_scheme == DEFAULT_GRADES
    assert programme.due_policy == DEFAULT_DUE_POLICY
    assert programme.grade_label("ofi") == "Opportunity for improvement"
    assert db.session.scalar(sa.select(Activity.action).where(Activity.subject_type == "AuditProgramme")) == (
        "programme.created"
    )


def test_the_defaults_follow_the_domain_brief():
    """DOMAIN 4.3 and 2.5, written out here so a changed default fails."""
    assert [(g["code"], g["nonconformity"]) for g in DEFAULT_GRADES] == [
        ("major", True),
        ("minor", True),
        ("observation", False),
        ("ofi", False),
        ("good_practice", False),
    ]
    assert DEFAULT_DUE_POLICY["major"] == {
        "acknowledge": 2,
        "correction": 10,
        "plan": 30,
        "implementation": 90,
        "effectiveness": 90,
    }
    assert DEFAULT_DUE_POLICY["minor"] == {
        "acknowledge": 5,
        "correction": 30,
        "plan": 30,
        "implementation": 180,
        "effectiveness": None,  # checked at the next audit
    }
    for code in ("observation", "ofi", "good_practice"):
        assert DEFAULT_DUE_POLICY[code] == NONE_STEPS


def test_the_reference_version_gets_locked(plan, data):
    assert plan.version.locked is False
    programmes.save_programme(data, actor=plan.admin)
    db.session.commit()
    assert db.session.get(ChecklistVersion, plan.version_id).locked is True


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.VIEWER, Role.AUDITEE])
def test_only_planners_manage_programmes(plan, data, role):
    with pytest.raises(NotAllowed, match="Only lead auditors and administrators"):
        programmes.save_programme(data, actor=plan.user(role))
    programme = programmes.save_programme(data, actor=plan.user(Role.LEAD_AUDITOR))
    with pytest.raises(NotAllowed):
        programmes.save_programme(replace(data, title="Changed"), actor=plan.user(role), programme=programme)
    assert programme.title == "Internal audit programme 2026"


# ------------------------------------------------------------------ code and period


@pytest.mark.parametrize("code", ["", "   ", "20 26", "-2026", "2026/27", "x" * 21, "année"])
def test_bad_codes_are_refused(plan, data, code):
    assert list(_refused(replace(data, code=code), plan.admin)) == ["code"]


def test_codes_are_unique(plan, data):
    programme = programmes.save_programme(data, actor=plan.admin)
    errors = _refused(replace(data, title="Another"), plan.admin)
    assert errors == {"code": ["This code is already used."]}
    programmes.save_programme(replace(data, title="Renamed"), actor=plan.admin, programme=programme)  # itself: fine
    assert programme.title == "Renamed"


def test_the_code_cannot_change_once_audits_are_numbered(plan, data):
    programme = programmes.save_programme(data, actor=plan.admin)
    programmes.save_programme(replace(data, code="FY2026"), actor=plan.admin, programme=programme)
    assert programme.code == "FY2026"  # no audits yet
    audit = plan.audit(programme)
    assert audit.reference == "IA-FY2026-01"
    errors = _refused(replace(data, code="2026"), plan.admin, programme)
    assert errors == {"code": ["The code cannot change once audits are numbered with it."]}
    db.session.refresh(programme)
    assert programme.code == "FY2026"


@pytest.mark.parametrize(
    ("start", "end"),
    [(date(2026, 12, 31), date(2026, 1, 1)), (date(2026, 1, 1), date(2029, 1, 5))],
    ids=["ends-before-start", "longer-than-three-years"],
)
def test_bad_periods_are_refused(plan, data, start, end):
    assert list(_refused(replace(data, period_start=start, period_end=end), plan.admin)) == ["period_end"]


def test_period_limits_are_accepted(plan, data):
    one_day = programmes.save_programme(replace(data, period_end=data.period_start), actor=plan.admin)
    three_years = programmes.save_programme(
        replace(data, code="2026-28", period_end=date(2029, 1, 3)), actor=plan.admin
    )
    assert (three_years.period_end - three_years.period_start).days == 3 * 366
    assert one_day.period_start == one_day.period_end


def test_an_unknown_checklist_version_is_refused(plan, data):
    assert _refused(replace(data, checklist_version_id=99999), plan.admin) == {
        "checklist_version_id": ["Choose a checklist version."]
    }


# ------------------------------------------------------------------ grade scheme


def _grades(*codes, nc=True):
    return [{"code": c, "label": c.capitalize() or "Blank", "nonconformity": nc} for c in codes]


@pytest.mark.parametrize(
    ("grades", "problem"),
    [
        (_grades("major", "major"), "'major' is used twice"),
        (_grades("Major"), "lower-case letters"),
        (_grades("1st"), "lower-case letters"),
        (_grades("big one"), "lower-case letters"),
        (_grades(""), "lower-case letters"),
        ([], "needs at least one grade"),
        (_grades("observation", "ofi", nc=False), "At least one grade must be a nonconformity"),
        ([{"code": "major", "label": "  ", "nonconformity": True}], "give it a label"),
    ],
    ids=["duplicate", "upper-case", "digit-first", "space", "empty-code", "empty", "no-nc", "no-label"],
)
def test_bad_grade_schemes_are_refused(plan, data, grades, problem):
    errors = _refused(replace(data, grade_scheme=grades, due_policy={}), plan.admin)
    assert list(errors) == ["grade_scheme"]
    assert any(problem in message for message in errors["grade_scheme"]), errors


def test_a_custom_grade_scheme_keeps_the_policy_of_the_remaining_grades(plan, data):
    grades = [
        {"code": "major", "label": "Major nonconformity", "nonconformity": True},
        {"code": "concern", "label": "Area of concern", "nonconformity": "yes"},
    ]
    programme = programmes.save_programme(replace(data, grade_scheme=grades), actor=plan.admin)
    assert [g["code"] for g in programme.grade_scheme] == ["major", "concern"]
    assert programme.grade_scheme[1]["nonconformity"] is True
    assert programme.due_policy == {"major": DEFAULT_DUE_POLICY["major"], "concern": NONE_STEPS}


# ------------------------------------------------------------------ due-date policy


WHOLE = "major / correction: use a whole number of days or leave it empty."
RANGE = "major / correction: use between 1 and 730 days."


@pytest.mark.parametrize(
    ("value", "message"),
    [("ten", WHOLE), (2.5, WHOLE), (True, WHOLE), ("-3", WHOLE), (0, RANGE), (731, RANGE)],
)
def test_bad_due_days_are_refused(plan, data, value, message):
    policy = {"major": {**DEFAULT_DUE_POLICY["major"], "correction": value}}
    assert _refused(replace(data, due_policy=policy), plan.admin) == {"due_policy": [message]}


def test_a_policy_for_an_unknown_grade_is_refused(plan, data):
    errors = _refused(replace(data, due_policy={"critical": {"acknowledge": 1}}), plan.admin)
    assert errors == {"due_policy": ["The policy names grades that are not in the scheme: critical."]}


def test_due_days_at_the_limits_and_as_text_are_accepted(plan, data):
    policy = {"major": {"acknowledge": "1", "correction": 730, "plan": "", "implementation": None}}
    programme = programmes.save_programme(replace(data, due_policy=policy), actor=plan.admin)
    assert programme.due_policy["major"] == {
        "acknowledge": 1,
        "correction": 730,
        "plan": None,
        "implementation": None,
        "effectiveness": None,
    }
    assert programme.due_policy["minor"] == NONE_STEPS  # an explicit policy replaces the defaults
