"""Who sees which finding: the predicate and the SQL filter agree on generated users and findings, and the pages
answer an invisible finding as missing (drafts to auditees and off-team auditors, other units' findings)."""

from __future__ import annotations

import random
from datetime import date

import pytest
import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import Audit, CorrectiveAction, Finding, FindingStatus, Role, User, utcnow
from audit_app.services.findings import policy
from tests.findings.web_helpers import text
from tests.fixtures.findings import Findings


def _world(plan, seed: int) -> tuple[list[User], list[Finding]]:
    rng = random.Random(seed)
    units = [plan.unit(f"Unit {seed}-{i}") for i in range(3)]
    users = [plan.user(role) for role in (Role.ADMIN, Role.VIEWER)]
    users += [plan.user(Role.LEAD_AUDITOR) for _ in range(2)]
    users += [plan.user(Role.AUDITOR) for _ in range(3)]
    users += [plan.user(Role.AUDITEE, unit=rng.choice(units)) for _ in range(4)]
    homeless = plan.user(Role.AUDITEE)
    homeless.org_unit = None
    users.append(homeless)
    staff = [u for u in users if u.role in (Role.ADMIN, Role.LEAD_AUDITOR, Role.AUDITOR, Role.VIEWER)]
    audits: list[Audit | None] = [None]
    for _ in range(3):
        audit = plan.audit(lead=rng.choice([u for u in users if u.role is Role.LEAD_AUDITOR]))
        for member in rng.sample([u for u in staff if u.id != audit.lead_auditor_id], rng.randint(0, 3)):
            plan.member(audit, member)
        audits.append(audit)
    db.session.flush()
    findings = []
    for _ in range(30):
        audit = rng.choice(audits)
        status = rng.choice(list(FindingStatus))
        issued = status not in (FindingStatus.DRAFT, FindingStatus.SUBMITTED) and rng.random() < 0.9
        finding = Finding(
            audit_id=audit.id if audit else None,
            grade="minor",
            status=status,
            issued_at=utcnow() if issued else None,
            raised_by_id=rng.choice(staff).id,
            auditee_unit_id=rng.choice([None, *(u.id for u in units)]),
            process_owner_id=rng.choice([None, *(u.id for u in users if u.role is Role.AUDITEE)]),
        )
        db.session.add(finding)
        db.session.flush()
        if rng.random() < 0.3:
            db.session.add(
                CorrectiveAction(
                    finding_id=finding.id, description="d", owner_id=rng.choice(users).id, due_on=date(2027, 1, 1)
                )
            )
        findings.append(finding)
    db.session.commit()
    db.session.expire_all()
    return users, findings


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_predicate_and_the_sql_filter_agree_for_generated_users_and_findings(plan, seed):
    users, findings = _world(plan, seed)
    ids = [f.id for f in findings]
    seen_some = hidden_some = 0
    for user in users:
        by_sql = set(db.session.scalars(sa.select(Finding.id).where(Finding.id.in_(ids), policy.visible_where(user))))
        by_predicate = {f.id for f in findings if policy.can_see(user, f)}
        assert by_sql == by_predicate, f"{user.role} {user.id}"
        seen_some += bool(by_predicate)
        hidden_some += len(by_predicate) < len(ids)
    assert seen_some
    assert hidden_some


def test_drafts_are_invisible_to_auditees_and_to_auditors_off_the_team(client, login, app, fw_world):
    with app.app_context():
        finding = Findings(fw_world).draft()
        db.session.commit()
        finding_id = finding.id
    listing = f"/audits/{fw_world.audit_id}/findings"
    for user_id in (fw_world.auditee_id, fw_world.loner_id):
        login(user_id)
        assert client.get(f"/findings/{finding_id}").status_code == 404
        page = client.get(listing)
        assert page.status_code == 200
        assert f"/findings/{finding_id}" not in text(page)
    for user_id in (fw_world.auditor_id, fw_world.lead_id, fw_world.admin_id):
        login(user_id)
        assert client.get(f"/findings/{finding_id}").status_code == 200
        assert f"/findings/{finding_id}" in text(client.get(listing))


def test_an_issued_finding_is_seen_by_its_unit_only(client, login, app, fw_world):
    with app.app_context():
        f = Findings(fw_world)
        finding = f.to(f.draft(), FindingStatus.ISSUED)
        db.session.commit()
        finding_id, reference = finding.id, finding.reference
    listing = f"/audits/{fw_world.audit_id}/findings"
    for user_id in (fw_world.auditee_id, fw_world.colleague_id):
        login(user_id)
        page = text(client.get(f"/findings/{finding_id}"))
        assert reference in page
        assert "Quality check" not in page  # the auditee neither edits nor overrides
        assert reference in text(client.get(listing))
    login(fw_world.stranger_id)  # an auditee of the other unit in the audit's scope
    assert client.get(f"/findings/{finding_id}").status_code == 404
    other = client.get(listing)
    assert other.status_code == 200
    assert reference not in text(other)
    login(fw_world.loner_id)  # staff see issued findings
    assert client.get(f"/findings/{finding_id}").status_code == 200


def test_only_the_audit_team_offers_raising_and_only_in_fieldwork(client, login, app, fw_world):
    listing = f"/audits/{fw_world.audit_id}/findings"
    login(fw_world.auditor_id)
    assert f"/audits/{fw_world.audit_id}/findings/new" in text(client.get(listing))
    for user_id in (fw_world.loner_id, fw_world.viewer_id, fw_world.auditee_id):
        login(user_id)
        assert f"/audits/{fw_world.audit_id}/findings/new" not in text(client.get(listing))
