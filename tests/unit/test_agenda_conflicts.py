"""Agenda conflicts (pure detection and on real plans) and the validation of agenda sessions."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from audit_app.errors import ValidationFailed
from audit_app.extensions import db
from audit_app.models import AuditSession, AuditStatus, Role, SessionActivity
from audit_app.services.planning import agenda
from audit_app.services.planning.agenda import Slot, detect_conflicts

START, END = date(2026, 3, 2), date(2026, 3, 4)
ANNA = ("user", 1)
BOB = ("user", 2)
CLARA = ("auditee", 7)
NAMES = {ANNA: "Anna Auditor", BOB: "Bob Builder", CLARA: "Clara Client"}


def slot(sid: int, day: date, start: str, minutes: int, *people, audit_id: int = 1) -> Slot:
    starts = datetime.combine(day, time.fromisoformat(start))
    return Slot(
        sid,
        audit_id,
        f"S{sid}",
        starts,
        starts + timedelta(minutes=minutes),
        frozenset(people),
        {p: NAMES[p] for p in people},
    )


def kinds(conflicts) -> list[tuple[str, tuple[int, ...]]]:
    return [(c.kind, c.session_ids) for c in conflicts]


# ------------------------------------------------------------------ pure detection


def test_overlapping_sessions_with_the_same_auditor_are_double_booked():
    own = [slot(1, START, "09:00", 90, ANNA, BOB), slot(2, START, "10:00", 60, ANNA)]
    (conflict,) = detect_conflicts(START, END, own, [], [], [])
    assert conflict.kind == "double_booked"
    assert conflict.session_ids == (1, 2)
    assert conflict.message == "Anna Auditor is in two sessions at once: S1 and S2."


def test_sessions_touching_end_to_start_do_not_clash():
    own = [slot(1, START, "09:00", 60, ANNA), slot(2, START, "10:00", 60, ANNA), slot(3, START, "08:00", 60, ANNA)]
    assert detect_conflicts(START, END, own, [], [], []) == []


def test_different_people_or_days_do_not_clash():
    own = [slot(1, START, "09:00", 60, ANNA), slot(2, START, "09:00", 60, BOB), slot(3, END, "09:00", 60, ANNA)]
    assert detect_conflicts(START, END, own, [], [], []) == []


def test_a_session_of_another_audit_is_named_as_such():
    own = [slot(1, START, "09:00", 60, ANNA)]
    others = [slot(9, START, "09:30", 60, ANNA, audit_id=2), slot(10, START, "11:00", 60, ANNA, audit_id=2)]
    (conflict,) = detect_conflicts(START, END, own, others, [], [])
    assert kinds([conflict]) == [("double_booked", (1, 9))]
    assert conflict.message.endswith("S1 and S9 of another audit.")


def test_an_auditee_in_two_sessions_at_once_is_reported():
    own = [slot(1, START, "13:00", 120, CLARA, ANNA), slot(2, START, "14:00", 30, CLARA, BOB)]
    (conflict,) = detect_conflicts(START, END, own, [], [], [])
    assert conflict.message.startswith("Clara Client is in two sessions at once")


def test_each_double_booked_person_is_reported_once_per_pair():
    own = [slot(1, START, "09:00", 60, ANNA, BOB), slot(2, START, "09:30", 60, ANNA, BOB)]
    conflicts = detect_conflicts(START, END, own, [], [], [])
    assert kinds(conflicts) == [("double_booked", (1, 2))] * 2
    assert {c.message.split(" is in")[0] for c in conflicts} == {"Anna Auditor", "Bob Builder"}


@pytest.mark.parametrize(
    "bad",
    [
        slot(5, START - timedelta(days=1), "09:00", 60, ANNA),  # before the start date
        slot(5, END + timedelta(days=1), "09:00", 60, ANNA),  # after the end date
        slot(5, END, "23:00", 120, ANNA),  # runs past midnight beyond the end date
    ],
    ids=["before-start", "after-end", "past-midnight"],
)
def test_sessions_outside_the_audit_dates(bad):
    conflicts = detect_conflicts(START, END, [bad, slot(6, START, "09:00", 60, BOB)], [], [], [])
    assert kinds(conflicts) == [("outside_dates", (5,))]
    assert conflicts[0].message == "S5 falls outside the audit dates (02 Mar 2026 to 04 Mar 2026)."


def test_sessions_on_the_first_and_last_day_are_inside():
    own = [slot(1, START, "00:00", 60, ANNA), slot(2, END, "22:00", 119, ANNA)]
    assert detect_conflicts(START, END, own, [], [], []) == []


def test_uncovered_items_one_conflict_per_item():
    scope = [("4.1", "Context"), ("8.4", "Impact assessment"), ("A.5.2", "Impact process")]
    conflicts = detect_conflicts(START, END, [], [], scope, ["8.4"])
    assert kinds(conflicts) == [("uncovered", ())] * 2
    assert [c.message for c in conflicts] == [
        "4.1 Context is in scope but no session covers it.",
        "A.5.2 Impact process is in scope but no session covers it.",
    ]
    assert detect_conflicts(START, END, [], [], scope, ["4.1", "8.4", "A.5.2"]) == []


# ------------------------------------------------------------------ on real plans


@pytest.fixture
def setup(plan):
    """One audit (2 to 4 March) with an auditor and an auditee account, items in scope; another open audit."""
    audit = plan.audit(lead=plan.user(Role.LEAD_AUDITOR, name="Lena Lead"), title="Lending")
    items = plan.pin(audit, "4.1", "8.4", "A.5.2")
    anna = plan.member(audit, plan.user(Role.AUDITOR, name="Anna Auditor")).user
    clara = plan.auditee(audit, plan.user(Role.AUDITEE, name="Clara Client"))
    other = plan.audit(lead=plan.user(Role.LEAD_AUDITOR), title="Other")
    plan.member(other, anna)
    other_clara = plan.auditee(other, clara.user)
    return {"audit": audit, "items": items, "anna": anna, "clara": clara, "other": other, "other_clara": other_clara}


def test_a_clean_plan_has_no_conflicts(plan, setup):
    audit, items, anna = setup["audit"], setup["items"], setup["anna"]
    plan.session(audit, start=time(9), items=items[:2], auditors=[anna])
    plan.session(audit, start=time(10), items=items[2:], auditors=[anna], auditees=[setup["clara"]])
    assert agenda.conflicts_for(audit) == []


def test_double_booking_in_the_same_audit_and_its_fix(plan, setup):
    audit, anna = setup["audit"], setup["anna"]
    plan.pin(audit)  # nothing in scope, to see only the clash
    first = plan.session(audit, start=time(9), minutes=90, auditors=[anna], title="Risk interview")
    second = plan.session(audit, start=time(10), auditors=[anna], title="Data review")
    (conflict,) = agenda.conflicts_for(audit)
    assert conflict.kind == "double_booked"
    assert set(conflict.session_ids) == {first.id, second.id}
    assert conflict.message == (
        "Anna Auditor is in two sessions at once: Risk interview (02 Mar 09:00) and Data review (02 Mar 10:00)."
    )
    moved = agenda.SessionData(
        audit.start_date, time(10, 30), 60, SessionActivity.DOCUMENT_REVIEW, "Data review", auditor_ids=(anna.id,)
    )
    agenda.save_session(audit, moved, actor=plan.admin, session=second)
    assert agenda.conflicts_for(audit) == []  # now it touches the first session end to start


def test_an_auditee_account_in_two_sessions(plan, setup):
    audit, clara = setup["audit"], setup["clara"]
    plan.pin(audit)
    plan.session(audit, start=time(14), auditees=[clara], auditors=[audit.lead_auditor])
    plan.session(audit, start=time(14, 30), auditees=[clara])
    (conflict,) = agenda.conflicts_for(audit)
    assert conflict.kind == "double_booked"
    assert conflict.message.startswith("Clara Client is in two sessions")


@pytest.mark.parametrize("person", ["anna", "clara"])
def test_a_clash_with_another_open_audit_until_it_is_cancelled(plan, setup, person):
    audit, other = setup["audit"], setup["other"]
    plan.pin(audit)
    if person == "anna":
        plan.session(audit, start=time(9), auditors=[setup["anna"]], title="Mine")
        plan.session(other, start=time(9, 30), auditors=[setup["anna"]], title="Theirs")
    else:
        plan.session(audit, start=time(9), auditees=[setup["clara"]], title="Mine")
        plan.session(other, start=time(9, 30), auditees=[setup["other_clara"]], title="Theirs")
    (conflict,) = agenda.conflicts_for(audit)
    assert conflict.kind == "double_booked"
    assert conflict.message.endswith("Theirs (02 Mar 09:30) of another audit.")
    other.status = AuditStatus.CANCELLED
    db.session.flush()
    assert agenda.conflicts_for(audit) == []
    other.status = AuditStatus.CLOSED
    db.session.flush()
    assert agenda.conflicts_for(audit) == []


@pytest.mark.parametrize(
    ("day", "start", "minutes"),
    [(date(2026, 3, 1), time(9), 60), (date(2026, 3, 5), time(9), 60), (date(2026, 3, 4), time(23), 90)],
    ids=["before-start", "after-end", "past-midnight"],
)
def test_sessions_outside_the_audit_dates_and_their_fix(plan, setup, day, start, minutes):
    audit = setup["audit"]
    plan.pin(audit)
    session = plan.session(audit, day=day, start=start, minutes=minutes, title="Site visit")
    (conflict,) = agenda.conflicts_for(audit)
    assert conflict.kind == "outside_dates"
    assert conflict.session_ids == (session.id,)
    assert "falls outside the audit dates (02 Mar 2026 to 04 Mar 2026)" in conflict.message
    fixed = agenda.SessionData(date(2026, 3, 3), time(9), minutes, SessionActivity.OBSERVATION, "Site visit")
    agenda.save_session(audit, fixed, actor=plan.admin, session=session)
    assert agenda.conflicts_for(audit) == []


def test_uncovered_items_shrink_as_sessions_cover_them(plan, setup):
    audit, items = setup["audit"], setup["items"]
    conflicts = agenda.conflicts_for(audit)
    assert [c.message.split(" ")[0] for c in conflicts] == ["4.1", "8.4", "A.5.2"]
    assert {c.kind for c in conflicts} == {"uncovered"}
    plan.session(audit, items=[items[1]])
    assert [c.message.split(" ")[0] for c in agenda.conflicts_for(audit)] == ["4.1", "A.5.2"]
    plan.session(audit, start=time(11), items=[items[0], items[2]])
    assert agenda.conflicts_for(audit) == []


# ------------------------------------------------------------------ save_session validation


def _bad_session(setup, plan, field):
    audit = setup["audit"]
    base = {
        "day": audit.start_date,
        "start_time": time(9),
        "duration_minutes": 60,
        "activity": SessionActivity.INTERVIEW,
        "title": "Interview",
    }
    stranger = plan.user(Role.AUDITOR)
    outside_item = plan.items("9.2.2")[0]
    changes = {
        "auditor": {"auditor_ids": (setup["anna"].id, stranger.id)},
        "auditee": {"auditee_ids": (setup["other_clara"].id,)},
        "item": {"item_ids": (setup["items"][0].id, outside_item.id)},
        "zero": {"duration_minutes": 0},
        "too-long": {"duration_minutes": 12 * 60 + 1},
        "ftp-link": {"remote_link": "ftp://meet.example.test/room"},
        "js-link": {"remote_link": "javascript:alert(1)"},
    }[field]
    return agenda.SessionData(**{**base, **changes})


@pytest.mark.parametrize(
    ("field", "key"),
    [
        ("auditor", "auditor_ids"),
        ("auditee", "auditee_ids"),
        ("item", "item_ids"),
        ("zero", "duration_minutes"),
        ("too-long", "duration_minutes"),
        ("ftp-link", "remote_link"),
        ("js-link", "remote_link"),
    ],
)
def test_save_session_refuses_bad_input_and_saves_nothing(plan, setup, field, key):
    audit = setup["audit"]
    data = _bad_session(setup, plan, field)
    db.session.commit()
    with pytest.raises(ValidationFailed) as info:
        agenda.save_session(audit, data, actor=audit.lead_auditor)
    assert list(info.value.errors) == [key]
    db.session.flush()
    assert audit.sessions == []
    assert db.session.scalar(sa.select(sa.func.count(AuditSession.id))) == 0


def test_save_session_accepts_the_limits(plan, setup):
    audit = setup["audit"]
    for minutes, link in ((5, "https://meet.example.test/a"), (12 * 60, "http://intranet.example.test/b")):
        data = agenda.SessionData(
            audit.start_date, time(8), minutes, SessionActivity.TECHNICAL_TEST, "Test", remote_link=link
        )
        session = agenda.save_session(audit, data, actor=audit.lead_auditor)
        assert (session.duration_minutes, session.remote_link) == (minutes, link)
