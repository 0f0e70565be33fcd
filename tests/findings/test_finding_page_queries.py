"""The finding page and the audit's findings list issue the same number of SQL statements whatever the size of the
history or of the list."""

from __future__ import annotations

from audit_app.extensions import db
from audit_app.models import Finding, FindingHistory, FindingStatus, User
from audit_app.services.findings import history
from tests.fixtures.findings import Findings


def _statements(client, query_count, url: str) -> int:
    with client:
        assert client.get(url).status_code == 200
        return query_count()


def _grow_history(app, finding_id: int, total: int, actor_ids: list[int]) -> None:
    with app.app_context():
        present = db.session.query(FindingHistory).filter_by(finding_id=finding_id).count()
        for n in range(present, total):
            history.add(
                finding_id,
                "edited",
                actor=db.session.get(User, actor_ids[n % len(actor_ids)]),
                field="title",
                old=f"Title {n}",
                new=f"Title {n + 1}",
                reason=f"Change {n}",
            )
        db.session.commit()


def test_the_finding_page_costs_the_same_with_5_and_50_history_entries(client, login, app, fw_world, query_count):
    actors = [fw_world.auditor_id, fw_world.lead_id, fw_world.second_id, fw_world.admin_id, fw_world.auditee_id]
    for user_id in (fw_world.lead_id, fw_world.auditee_id):
        with app.app_context():
            f = Findings(fw_world)
            finding = f.to(f.draft(), FindingStatus.ISSUED)
            db.session.commit()
            finding_id = finding.id
        url = f"/findings/{finding_id}"
        _grow_history(app, finding_id, 5, actors)
        login(user_id)
        client.get(url)  # the first page after signing in may do one-off work
        few = _statements(client, query_count, url)
        _grow_history(app, finding_id, 50, actors)
        many = _statements(client, query_count, url)
        assert many == few, (user_id, few, many)
        assert "Change 49" in client.get(url).get_data(as_text=True)


def test_the_audit_findings_list_costs_the_same_with_3_and_30_findings(client, login, app, fw_world, query_count):
    url = f"/audits/{fw_world.audit_id}/findings?per_page=50"
    with app.app_context():
        f = Findings(fw_world)
        for n in range(3):
            finding = f.draft(title=f"Finding {n}")
            if n == 0:
                f.to(finding, FindingStatus.ISSUED)
        db.session.commit()
    login(fw_world.lead_id)
    few = _statements(client, query_count, url)
    with app.app_context():
        f = Findings(fw_world)
        for n in range(3, 30):
            finding = f.draft(title=f"Finding {n}", clause_refs=["4.1", "4.2"])
            if n % 5 == 0:
                f.to(finding, FindingStatus.ISSUED)
        db.session.commit()
    many = _statements(client, query_count, url)
    assert many == few, (few, many)
    assert "Finding 29" in client.get(url).get_data(as_text=True)


def test_the_finding_page_costs_the_same_with_1_and_8_corrective_actions(client, login, app, fw_world, query_count):
    from datetime import timedelta

    from audit_app.services.findings import capa, dues

    w = fw_world
    with app.app_context():
        f = Findings(w)
        finding = f.to(f.draft(), FindingStatus.PLAN_ACCEPTED)
        db.session.commit()
        finding_id = finding.id
    url = f"/findings/{finding_id}"
    login(w.lead_id)
    client.get(url)
    few = _statements(client, query_count, url)
    with app.app_context():
        f = Findings(w)
        finding = db.session.get(Finding, finding_id)
        finding.status = FindingStatus.ACKNOWLEDGED  # setup: more actions on the same plan, owned by several people
        owners = [w.auditee_id, w.colleague_id]
        for n in range(7):
            capa.add_action(
                finding,
                capa.ActionInput(f"Action {n}", owners[n % 2], dues.today() + timedelta(days=10 + n)),
                actor=f.user(w.auditee_id),
            )
        finding.status = FindingStatus.PLAN_ACCEPTED
        db.session.commit()
    many = _statements(client, query_count, url)
    # No statement per action (an account already loaded for another role on the page may save one).
    assert many <= few, (few, many)
    assert "Action 6" in client.get(url).get_data(as_text=True)
