"""The CAPA register service: each filter, paging and database counts, ageing, recurrence and auditee isolation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from audit_app.extensions import db
from audit_app.models import AIRole, AISystem, FindingSource, FindingStatus, LifecycleStage, RiskLevel, User, utcnow
from audit_app.services.findings import dues, flow, records, register
from audit_app.services.findings.register import RegisterFilters
from audit_app.services.paging import PageRequest
from tests.findings.register_world import build, finding, ids
from tests.fixtures.findings import Findings, nc_input

S = FindingStatus
ALL = PageRequest(1, 100)


@pytest.fixture
def rw(app, fw_world):
    with app.app_context():
        return build(fw_world)


def _rows(user_id: int, **filters: object) -> list[register.RegisterRow]:
    return list(register.findings_page(db.session.get(User, user_id), RegisterFilters(**filters), ALL).items)


def _found(user_id: int, **filters: object) -> set[int]:
    return ids(_rows(user_id, **filters))


def test_staff_see_every_issued_finding_and_the_audit_team_its_drafts(app, fw_world, rw):
    with app.app_context():
        everything = {rw.issued, rw.accepted, rw.major, rw.closed, rw.draft, rw.other, rw.other_draft}
        assert _found(fw_world.lead_id) == everything
        # An auditor off the team sees the issued findings only, never the team's drafts.
        assert _found(fw_world.loner_id) == everything - {rw.draft, rw.other_draft}


def test_status_filter_open_final_and_one_state(app, fw_world, rw):
    with app.app_context():
        lead = fw_world.lead_id
        assert _found(lead, status="final") == {rw.closed}
        assert rw.closed not in _found(lead, status="open")
        assert {rw.issued, rw.draft} <= _found(lead, status="open")
        assert _found(lead, status="plan_accepted") == {rw.accepted, rw.other}


def test_grade_unit_owner_and_audit_filters(app, fw_world, rw):
    with app.app_context():
        lead = fw_world.lead_id
        assert _found(lead, grade="major") == {rw.major}
        assert _found(lead, unit_id=fw_world.other_unit_id) == {rw.other, rw.other_draft}
        # Owner: the process owner, or the owner of one of its actions.
        assert _found(lead, owner_id=fw_world.stranger_id) == {rw.other, rw.other_draft}
        assert _found(lead, owner_id=fw_world.colleague_id) == {rw.accepted, rw.closed}
        assert len(_found(lead, audit_id=fw_world.audit_id)) == 7
        assert _found(lead, audit_id=fw_world.audit_id + 1000) == set()


def test_clause_filter_matches_the_ref_and_its_children(app, fw_world, rw):
    with app.app_context():
        lead = fw_world.lead_id
        assert _found(lead, ref="4.2") == {rw.major, rw.closed}
        assert _found(lead, ref="4") == _found(lead)
        assert _found(lead, ref="4.1.9") == set()
        assert _found(lead, ref="4%") == set()  # LIKE wildcards are searched for literally


def test_ai_system_and_source_filters(app, fw_world, rw):
    with app.app_context():
        system = AISystem(
            name="Credit scorer",
            purpose="p",
            roles=[AIRole.DEVELOPER],
            risk_level=RiskLevel.HIGH,
            owner_unit_id=fw_world.unit_id,
            lifecycle_stage=LifecycleStage.OPERATION_MONITORING,
        )
        db.session.add(system)
        db.session.flush()
        finding(rw.major).ai_system_id = system.id
        lead = db.session.get(User, fw_world.lead_id)
        outside = records.create_outside_audit(
            nc_input(fw_world, source=FindingSource.INCIDENT, response_ids=[], evidence_ids=[]), actor=lead
        )
        db.session.commit()
        assert _found(fw_world.lead_id, ai_system_id=system.id) == {rw.major}
        assert _found(fw_world.lead_id, source=FindingSource.INCIDENT) == {outside.id}
        assert outside.id not in _found(fw_world.lead_id, source=FindingSource.AUDIT)


def test_text_search_covers_reference_title_and_statement(app, fw_world, rw):
    with app.app_context():
        lead = fw_world.lead_id
        assert _found(lead, text="TRAINING records") == {rw.closed}
        reference = finding(rw.major).reference
        assert _found(lead, text=reference.lower()) == {rw.major}
        assert len(_found(lead, text="went live with no impact")) == 7  # every statement says it
        assert _found(lead, text="no such words") == set()


def test_overdue_follows_the_live_steps_and_planned_actions(app, fw_world, rw, monkeypatch):
    with app.app_context():
        lead = fw_world.lead_id
        assert _found(lead, overdue=True) == set()
        # Ten days on: the issued finding's acknowledgement (2 business days) is late; the acknowledged major's
        # acknowledgement was met, and its correction and plan are not due yet.
        later = dues.today() + timedelta(days=10)
        monkeypatch.setattr(dues, "today", lambda: later)
        assert _found(lead, overdue=True) == {rw.issued}
        (row,) = [r for r in _rows(lead) if r.finding.id == rw.issued]
        assert row.overdue
        assert row.next_due.what == "Acknowledge"
        # Thirty-one days on: the planned actions (due in 30 days) are late too; the closed finding never is.
        much_later = later + timedelta(days=21)
        monkeypatch.setattr(dues, "today", lambda: much_later)
        late = _found(lead, overdue=True)
        assert {rw.issued, rw.accepted, rw.other} <= late
        assert rw.closed not in late


def test_paging_and_counts_come_from_the_database(app, fw_world, rw):
    with app.app_context():
        lead = db.session.get(User, fw_world.lead_id)
        first = register.findings_page(lead, RegisterFilters(), PageRequest(1, 3))
        second = register.findings_page(lead, RegisterFilters(), PageRequest(3, 3))
        assert (first.total, first.pages, len(first.items), len(second.items)) == (7, 3, 3, 1)
        counts = register.summary(lead, RegisterFilters())
        assert (counts.total, counts.open, counts.overdue) == (7, 6, 0)
        actions = register.actions_page(lead, RegisterFilters(), PageRequest(1, 1))
        assert actions.total == 3
        assert len(actions.items) == 1


def test_actions_view_filters_by_the_action_owner_and_overdue(app, fw_world, rw, monkeypatch):
    with app.app_context():
        lead = db.session.get(User, fw_world.lead_id)
        mine = register.actions_page(lead, RegisterFilters(owner_id=fw_world.stranger_id), ALL)
        assert [r.action.finding_id for r in mine.items] == [rw.other]
        later = dues.today() + timedelta(days=31)
        monkeypatch.setattr(dues, "today", lambda: later)
        late = register.actions_page(lead, RegisterFilters(overdue=True), ALL)
        # The closed finding's action was implemented: only the planned ones of open findings are overdue.
        assert sorted(r.action.finding_id for r in late.items) == sorted([rw.accepted, rw.other])
        assert all(r.overdue for r in late.items)


def test_ageing_counts_days_since_issue_and_days_to_close(app, fw_world, rw):
    with app.app_context():
        now = utcnow()
        issued, closed = finding(rw.issued), finding(rw.closed)
        issued.issued_at = now - timedelta(days=12)
        closed.issued_at, closed.closed_at = now - timedelta(days=40), now - timedelta(days=15)
        db.session.commit()
        rows = {r.finding.id: r for r in _rows(fw_world.lead_id)}
        assert rows[rw.issued].age_days == 12
        assert rows[rw.closed].age_days == 25
        assert rows[rw.closed].is_final


def test_recurrence_names_the_earlier_nonconformity_on_the_same_clause(app, fw_world, rw):
    with app.app_context():
        f = Findings(fw_world)
        again = f.to(f.draft("minor", title="Impact assessment missing again"), S.ISSUED)
        observation = f.to(f.draft("observation", title="Assessment template dated", clause_refs=["4.2"]), S.ISSUED)
        db.session.commit()
        rows = {r.finding.id: r for r in _rows(fw_world.lead_id)}
        # The earliest issued nonconformity on its clause, and how many more were raised before it.
        first, more = rows[again.id].recurs
        assert first == finding(rw.issued).reference
        before = int(more.split()[1])
        assert more == f"and {before} more"
        assert before >= 2  # at least the accepted one and the other unit's one, both on 4.1
        assert rows[rw.issued].recurs == ()  # the first one on 4.1 recurs nothing
        assert rows[rw.closed].recurs == (finding(rw.major).reference,)  # the major on 4.2 was raised before it
        assert rows[rw.major].recurs == ()
        assert rows[observation.id].recurs == ()  # an observation is not a nonconformity recurring
        # A draft already shows the team that it recurs (but no draft is ever named as the earlier one).
        assert rows[rw.draft].recurs[0] == finding(rw.issued).reference
        # A withdrawn nonconformity is no longer on record as one.
        db.session.expunge_all()  # the page's rows were loaded for display only (their other relations raise)
        flow.act(finding(rw.other), "withdraw", actor=db.session.get(User, fw_world.lead_id), reason="Wrong unit.")
        db.session.commit()
        rows = {r.finding.id: r for r in _rows(fw_world.lead_id)}
        assert rows[again.id].recurs == (finding(rw.issued).reference, f"and {before - 1} more")


def test_auditee_sees_only_their_units_issued_findings_counts_search_and_actions(app, fw_world, rw):
    with app.app_context():
        auditee, stranger = fw_world.auditee_id, fw_world.stranger_id
        assert _found(auditee) == {rw.issued, rw.accepted, rw.major, rw.closed}
        assert _found(stranger) == {rw.other}
        assert _found(auditee, text="Data lineage") == set()  # the other unit's title
        assert _found(auditee, unit_id=fw_world.other_unit_id) == set()
        assert _found(stranger, text="Draft") == set()
        me = db.session.get(User, auditee)
        assert register.summary(me, RegisterFilters()).total == 4
        assert register.findings_page(me, RegisterFilters(), ALL).total == 4
        actions = register.actions_page(me, RegisterFilters(), ALL)
        assert {r.action.finding_id for r in actions.items} == {rw.accepted, rw.closed}
        # Recurrence never names another unit's finding the auditee may not see.
        again = Findings(fw_world).to(Findings(fw_world).draft("minor"), S.ISSUED)
        db.session.commit()
        (row,) = [r for r in _rows(auditee) if r.finding.id == again.id]
        assert finding(rw.other).reference not in row.recurs
        assert finding(rw.issued).reference in row.recurs
