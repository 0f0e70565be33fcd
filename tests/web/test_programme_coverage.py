"""Programme coverage pages: the clause and control matrix, its gaps and suggestions, and the scope view."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask

from audit_app.extensions import db
from audit_app.models import (
    AIRole,
    AISystem,
    Audit,
    AuditProgramme,
    AuditStatus,
    AuditType,
    ChecklistItem,
    LifecycleStage,
    RiskLevel,
    Role,
    User,
)
from audit_app.services.planning import audits, lifecycle, programmes


@pytest.fixture
def plan(app: Flask, library: int, make_user, login) -> dict[str, int]:
    """A signed-in lead auditor and a 2027 programme measured against the ISO/IEC 42001 library."""
    lead_id = make_user(Role.LEAD_AUDITOR)
    login(lead_id)
    with app.app_context():
        data = programmes.ProgrammeData(
            code="2027",
            title="Programme 2027",
            period_start=date(2027, 1, 1),
            period_end=date(2027, 12, 31),
            checklist_version_id=library,
        )
        programme = programmes.save_programme(data, actor=db.session.get(User, lead_id))
        db.session.commit()
        return {"lead": lead_id, "programme": programme.id}


def add_audit(app: Flask, plan: dict[str, int], refs: list[str], *, units=(), systems=()) -> int:
    """Plan an audit through the services, with the given clauses and controls (and scope) in it."""
    with app.app_context():
        lead = db.session.get(User, plan["lead"])
        programme = db.session.get(AuditProgramme, plan["programme"])
        details = audits.AuditDetails(
            title=f"Audit of {', '.join(refs) or 'scope'}",
            audit_type=AuditType.INTERNAL,
            start_date=date(2027, 3, 1),
            end_date=date(2027, 3, 3),
            lead_auditor_id=lead.id,
        )
        audit = audits.create_audit(programme, details, actor=lead)
        item_ids = list(
            db.session.scalars(
                sa.select(ChecklistItem.id).where(
                    ChecklistItem.version_id == programme.checklist_version_id, ChecklistItem.ref.in_(refs)
                )
            )
        )
        assert len(item_ids) == len(refs)
        version_ids = [programme.checklist_version_id]
        audits.set_criteria(audit, version_ids=version_ids, item_ids=item_ids, other_criteria="", actor=lead)
        if units or systems:
            audits.set_scope(audit, unit_ids=list(units), system_ids=list(systems), actor=lead)
        db.session.commit()
        return audit.id


def cancel(app: Flask, plan: dict[str, int], audit_id: int) -> None:
    with app.app_context():
        audit = db.session.get(Audit, audit_id)
        lead = db.session.get(User, plan["lead"])
        lifecycle.transition(audit, AuditStatus.CANCELLED, actor=lead, reason="Merged into the spring audit.")
        db.session.commit()


def add_system(app: Flask, name: str, unit_id: int, *, risk=RiskLevel.LOW, in_scope: bool = True) -> int:
    with app.app_context():
        system = AISystem(
            name=name,
            purpose="Sorts incoming claims by urgency.",
            roles=[AIRole.DEPLOYER],
            risk_level=risk,
            owner_unit_id=unit_id,
            lifecycle_stage=LifecycleStage.OPERATION_MONITORING,
            in_scope=in_scope,
            scope_note="" if in_scope else "Retired pilot.",
        )
        db.session.add(system)
        db.session.commit()
        return system.id


def rows(page: str) -> dict[str, str]:
    """Matrix rows by key (clause ref, system-<id> or unit-<id>): the row's HTML."""
    return dict(re.findall(r'<tr id="row-([^"]+)"[^>]*>(.*?)</tr>', page, re.S))


def gap_rows(page: str) -> list[str]:
    return re.findall(r'<tr id="row-([^"]+)" class="gap">', page)


def test_matrix_counts_what_no_planned_audit_covers(client, app, plan):
    first = add_audit(app, plan, ["4.1", "5.2", "A.2.2"])
    second = add_audit(app, plan, ["5.2", "6.1.2", "A.6.2.8"])
    page = client.get(f"/programmes/{plan['programme']}").get_data(as_text=True)
    assert "65 of 70 clauses and controls are not covered by any planned audit." in page
    matrix = rows(page)
    assert len(matrix) == 70
    assert len(gap_rows(page)) == 65
    assert set(matrix) - set(gap_rows(page)) == {"4.1", "5.2", "A.2.2", "6.1.2", "A.6.2.8"}
    assert "covered by IA-2027-01" in matrix["5.2"]
    assert "covered by IA-2027-02" in matrix["5.2"]
    assert "✓ Covered" in matrix["4.1"]
    assert "not covered by IA-2027-02" in matrix["4.1"]
    assert "Not covered" in matrix["7.1"]
    assert "not covered by IA-2027-01" in matrix["7.1"]
    assert "✓" not in matrix["7.1"]
    for audit_id, reference in ((first, "IA-2027-01"), (second, "IA-2027-02")):
        assert f'<a href="/audits/{audit_id}">{reference}</a>' in page
    assert f'href="/audits/new?programme_id={plan["programme"]}">Plan an audit</a>' in page
    assert f'href="/programmes/{plan["programme"]}/coverage/scope"' in page


def test_cancelled_audits_do_not_count(client, app, plan):
    add_audit(app, plan, ["4.1", "5.2", "A.2.2"])
    add_audit(app, plan, ["5.2", "6.1.2", "A.6.2.8"])
    third = add_audit(app, plan, ["7.1", "7.2"])
    page = client.get(f"/programmes/{plan['programme']}").get_data(as_text=True)
    assert "63 of 70 clauses and controls" in page
    assert "covered by IA-2027-03" in rows(page)["7.1"]
    cancel(app, plan, third)
    page = client.get(f"/programmes/{plan['programme']}").get_data(as_text=True)
    assert "65 of 70 clauses and controls" in page
    assert "IA-2027-03" not in rows(page)["7.1"]
    assert "7.1" in gap_rows(page)
    audit_list = page[page.index("<h2>Audits</h2>") : page.index('<h2 id="coverage">')]
    assert "IA-2027-03" in audit_list
    assert "Cancelled" in audit_list
    listing = client.get("/programmes/").get_data(as_text=True)
    assert re.search(r'<span class="tag">Draft</span></td>\s*<td>3</td>', listing)  # the audit count


def test_show_only_uncovered(client, app, plan):
    add_audit(app, plan, ["4.1", "5.2", "A.2.2"])
    add_audit(app, plan, ["5.2", "6.1.2", "A.6.2.8"])
    page = client.get(f"/programmes/{plan['programme']}?gaps=1").get_data(as_text=True)
    assert "65 of 70 clauses and controls are not covered" in page
    assert len(rows(page)) == 65
    assert len(gap_rows(page)) == 65
    assert "4.1" not in rows(page)
    assert "A.10.4" in rows(page)
    assert re.search(r'<input type="checkbox" id="gaps" name="gaps" value="1" checked>', page)
    assert '<label for="gaps">Show only uncovered</label>' in page
    assert len(rows(client.get(f"/programmes/{plan['programme']}").get_data(as_text=True))) == 70


def test_suggestions_give_their_reasons(client, app, plan, make_unit):
    unit_id = make_unit("Claims")
    add_system(app, "Claims triage model", unit_id, risk=RiskLevel.HIGH)
    add_system(app, "Spam filter", unit_id, risk=RiskLevel.LOW)
    page = client.get(f"/programmes/{plan['programme']}").get_data(as_text=True)
    risky = rows(page)["6.1.2"]  # AI risk assessment: follows the AI systems in scope
    assert "1 high-risk AI system(s) in scope: Claims triage model" in risky
    assert "Medium priority" in risky
    assert "Audit once in this period" in risky
    quiet = rows(page)["7.1"]  # resources: no risk signal
    assert "high-risk" not in quiet
    assert "no risk signal found" in quiet
    assert "Low priority" in quiet
    assert "Audit at least once in the three-year cycle" in quiet


def test_no_high_risk_reason_without_a_high_risk_system(client, app, plan, make_unit):
    add_system(app, "Spam filter", make_unit("Mail"), risk=RiskLevel.MEDIUM)
    page = client.get(f"/programmes/{plan['programme']}").get_data(as_text=True)
    assert "high-risk AI system" not in page


def test_scope_view_counts_systems_and_units(client, app, plan, make_unit):
    claims, mail, hr = make_unit("Claims"), make_unit("Mail"), make_unit("People")
    triage = add_system(app, "Claims triage model", claims)
    spam = add_system(app, "Spam filter", mail)
    add_system(app, "Old pilot", hr, in_scope=False)
    add_audit(app, plan, ["4.1"], units=[claims], systems=[triage])
    cancelled = add_audit(app, plan, ["5.2"], units=[mail], systems=[spam])
    cancel(app, plan, cancelled)
    page = client.get(f"/programmes/{plan['programme']}/coverage/scope").get_data(as_text=True)
    assert "1 of 2 in-scope AI systems are not covered by any planned audit." in page
    assert "2 of 3 active org units are not covered by any planned audit." in page
    matrix = rows(page)
    assert set(matrix) == {f"system-{triage}", f"system-{spam}", f"unit-{claims}", f"unit-{mail}", f"unit-{hr}"}
    assert set(gap_rows(page)) == {f"system-{spam}", f"unit-{mail}", f"unit-{hr}"}
    assert "covered by IA-2027-01" in matrix[f"system-{triage}"]
    assert "✓ Covered" in matrix[f"unit-{claims}"]
    assert "Not covered" in matrix[f"system-{spam}"]
    assert "IA-2027-02" not in page
    assert "Old pilot" not in page


def test_detail_page_queries_do_not_grow_with_audits(client, app, plan, make_unit, query_count):
    unit_id = make_unit("Claims")
    system_id = add_system(app, "Claims triage model", unit_id, risk=RiskLevel.HIGH)
    add_audit(app, plan, ["4.1", "5.2"], units=[unit_id], systems=[system_id])
    with client:
        assert client.get(f"/programmes/{plan['programme']}").status_code == 200
        one = query_count()
    for refs in (["6.1.2"], ["7.1", "A.2.2"], ["8.1"]):
        add_audit(app, plan, refs, units=[unit_id], systems=[system_id])
    with client:
        page = client.get(f"/programmes/{plan['programme']}").get_data(as_text=True)
        four = query_count()
    assert "IA-2027-04" in page
    assert "64 of 70" in page
    assert four == one
    with client:
        assert client.get(f"/programmes/{plan['programme']}/coverage/scope").status_code == 200
        scope_four = query_count()
    assert scope_four < 25


# ------------------------------------------------------------------ a large programme


def grown_programme(app, plan: dict[str, int], library: int, size: int) -> None:
    """`size` more audits in the plan's programme, each with three items, a unit and a system in scope."""
    from tests.fixtures.api_planning import grow

    grow(app, plan["lead"], library, size, programme_id=plan["programme"])


def matrix_head(page: str) -> str:
    start = page.index('<table class="matrix">')
    return page[start : page.index("</thead>", start)]


def test_the_matrix_shows_ten_audits_at_a_time(client, app, plan, library):
    grown_programme(app, plan, library, 18)  # 12 planned, 6 cancelled
    url = f"/programmes/{plan['programme']}"
    first = client.get(url).get_data(as_text=True)
    second = client.get(f"{url}?columns=2").get_data(as_text=True)

    head = matrix_head(first)
    assert head.count('<a href="/audits/') == 10
    assert "The matrix shows 10 audits at a time as columns; “Coverage” counts all 12 planned audits." in first
    assert f'href="/programmes/{plan["programme"]}?columns=2#coverage" rel="next"' in first
    assert matrix_head(second).count('<a href="/audits/') == 2
    assert "IA-2027-18" in second
    assert "IA-2027-18" not in head
    # Coverage counts every audit, whichever columns are shown.
    assert re.search(r"\d+ of 70 clauses and controls", first).group(0) == re.search(
        r"\d+ of 70 clauses and controls", second
    ).group(0)


def test_the_scope_view_pages_systems_units_and_columns(client, app, plan, library):
    grown_programme(app, plan, library, 30)
    url = f"/programmes/{plan['programme']}/coverage/scope"
    page = client.get(url).get_data(as_text=True)
    later = client.get(f"{url}?systems_page=2&units_page=2").get_data(as_text=True)

    assert len([k for k in rows(page) if k.startswith("system-")]) == 25
    assert len([k for k in rows(page) if k.startswith("unit-")]) == 25
    assert "10 of 30 in-scope AI systems are not covered by any planned audit." in page
    assert len([k for k in rows(later) if k.startswith("system-")]) == 5
    assert "Showing 26\u201330 of 30." in later
    assert f'href="{url}?systems_page=2#systems"' in page


def _statements(client, query_count, url: str) -> int:
    with client:
        assert client.get(url).status_code == 200
        return query_count()


def test_coverage_pages_cost_the_same_for_a_large_programme(client, app, plan, library, query_count):
    grown_programme(app, plan, library, 3)
    urls = [f"/programmes/{plan['programme']}", f"/programmes/{plan['programme']}/coverage/scope"]
    few = [_statements(client, query_count, url) for url in urls]
    grown_programme(app, plan, library, 60)
    many = [_statements(client, query_count, url) for url in urls]
    assert "IA-2027-62" in client.get(f"{urls[0]}?columns=5").get_data(as_text=True)
    assert many == few
