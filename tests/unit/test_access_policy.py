"""The access policy: each rule's Python predicate and SQL filter agree, and load_audit applies them.

A seeded generator builds units, users of every role (auditees with and without a unit) and audits with
random scopes, auditee representatives and teams (every team role, some members removed). For every rule
and every user the audits the predicate allows must be exactly the audits the SQL filter returns; a rule
whose two halves drift apart fails here.
"""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa

from audit_app.errors import Conflict, NotAllowed, NotFound
from audit_app.extensions import db
from audit_app.models import Audit, AuditStatus, AuditTeamMember, Role, TeamRole, User, utcnow
from audit_app.services import access
from audit_app.services.access import MAX_ID, Need, Party

RULES = [access.VIEW, access.MANAGE, access.WORKING_PAPERS, access.WORK]


def _world(plan, seed: int) -> tuple[list[User], list[Audit]]:
    rng = random.Random(seed)
    units = [plan.unit(f"Unit {seed}-{i}") for i in range(5)]
    users = [plan.user(role) for role in (Role.ADMIN, Role.VIEWER)]
    users += [plan.user(Role.LEAD_AUDITOR) for _ in range(3)]
    users += [plan.user(Role.AUDITOR) for _ in range(4)]
    users += [plan.user(Role.AUDITEE, unit=rng.choice(units)) for _ in range(4)]
    homeless = plan.user(Role.AUDITEE)
    homeless.org_unit = None
    users.append(homeless)
    staff = [u for u in users if u.role is not Role.AUDITEE]
    leads = [u for u in users if u.role in (Role.LEAD_AUDITOR, Role.ADMIN)]
    audits = []
    for _ in range(8):
        audit = plan.audit(lead=rng.choice(leads))
        audit.scope_units = rng.sample(units, rng.randint(0, 3))
        for member_user in rng.sample([u for u in staff if u.id != audit.lead_auditor_id], rng.randint(0, 4)):
            member = plan.member(audit, member_user, role=rng.choice(list(TeamRole)))
            if rng.random() < 0.25:
                member.removed_at = utcnow()  # a removed member is no longer on the team
        for auditee in rng.sample([u for u in users if u.role is Role.AUDITEE], rng.randint(0, 2)):
            plan.auditee(audit, auditee)
        audit.status = rng.choice(list(AuditStatus))
        audits.append(audit)
    db.session.commit()
    db.session.expire_all()
    return users, audits


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_predicate_and_sql_filter_agree_for_every_rule_and_user(plan, seed):
    users, audits = _world(plan, seed)
    ids = [a.id for a in audits]
    checked = 0
    for rule in RULES:
        for user in users:
            by_predicate = {a.id for a in audits if rule.allows(user, db.session.get(Audit, a.id))}
            by_sql = set(db.session.scalars(sa.select(Audit.id).where(Audit.id.in_(ids), rule.where(user))))
            assert by_predicate == by_sql, f"{rule.name} for {user.role} {user.id}"
            checked += 1
    assert checked == len(RULES) * len(users)
    # The generated world exercises both answers of every rule, so agreement is not vacuous.
    for rule in RULES:
        answers = {rule.allows(u, a) for u in users for a in audits}
        assert answers == {True, False}, rule.name


def test_removed_members_and_observers_lose_what_members_and_auditors_have(plan):
    lead = plan.user(Role.LEAD_AUDITOR)
    audit = plan.audit(lead=lead)
    observer = plan.member(audit, plan.user(Role.VIEWER), role=TeamRole.OBSERVER).user
    gone = plan.member(audit, plan.user(Role.AUDITOR))
    gone.removed_at = utcnow()
    db.session.commit()
    db.session.expire_all()
    audit = db.session.get(Audit, audit.id)
    assert access.may(observer, audit, Need.WORKING_PAPERS)
    assert not access.WORK.allows(observer, audit)
    assert not access.WORKING_PAPERS.allows(gone.user, audit)
    assert access.parties(observer, audit) == {Party.STAFF, Party.TEAM_OBSERVER}
    assert access.parties(lead, audit) == {Party.STAFF, Party.AUDIT_LEAD, Party.TEAM_WORKER}
    assert access.membership(gone.user, audit) is None


def test_load_audit_reports_invisible_as_missing_and_refuses_what_the_rule_refuses(plan):
    unit, other_unit = plan.unit("Credit"), plan.unit("Marketing")
    audit = plan.audit()
    audit.scope_units = [unit]
    auditee = plan.user(Role.AUDITEE, unit=unit)
    stranger = plan.user(Role.AUDITEE, unit=other_unit)
    auditor = plan.member(audit, plan.user(Role.AUDITOR)).user
    viewer = plan.user(Role.VIEWER)
    db.session.commit()

    assert access.load_audit(auditee, audit.id) is audit
    for missing in (audit.id + 1000, 0, MAX_ID, MAX_ID + 1, 2**63):
        with pytest.raises(NotFound):
            access.load_audit(viewer, missing)
    with pytest.raises(NotFound):  # another unit's audit looks exactly like a missing one
        access.load_audit(stranger, audit.id)
    with pytest.raises(NotAllowed, match="lead auditor or an administrator"):
        access.load_audit(auditor, audit.id, Need.MANAGE)
    with pytest.raises(NotAllowed, match="Only the audit team"):
        access.load_audit(viewer, audit.id, Need.WORKING_PAPERS)
    with pytest.raises(Conflict, match="recorded during fieldwork; the audit is planned"):
        access.load_audit(auditor, audit.id, Need.WORK)
    audit.status = AuditStatus.FIELDWORK
    assert access.load_audit(auditor, audit.id, Need.WORK) is audit
    assert access.refusal(auditor, audit, Need.WORK) is None
    assert access.refusal(viewer, audit, Need.WORK) == "Only auditors on this audit's team record results and evidence."


def test_visible_audits_is_the_view_rule_as_a_query(plan):
    unit = plan.unit("Credit")
    seen, unseen = plan.audit(), plan.audit()
    seen.scope_units = [unit]
    auditee = plan.user(Role.AUDITEE, unit=unit)
    db.session.commit()
    assert list(db.session.scalars(access.visible_audits(auditee))) == [seen]
    assert {a.id for a in db.session.scalars(access.visible_audits(plan.admin))} == {seen.id, unseen.id}
    team_rows = db.session.scalars(sa.select(AuditTeamMember).where(AuditTeamMember.audit_id == unseen.id))
    assert all(row.user_id != auditee.id for row in team_rows)
