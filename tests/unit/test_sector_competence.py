"""The team's sector knowledge is judged against the organisation's sectors (issue 9, item 6)."""

from __future__ import annotations

import pytest

from audit_app.errors import ValidationFailed
from audit_app.extensions import db
from audit_app.models import Activity, Role, TeamRole
from audit_app.services import org
from audit_app.services.planning import competence
from audit_app.services.planning.competence import ProfileData

NEED = "Someone who knows the organisation's sector"


@pytest.fixture
def team(plan):
    """An audit led by Lena Lead (consumer lending, retail banking) with Ida Auditor (insurance) and an observer
    who knows healthcare (observers do not count)."""
    lead = plan.user(Role.LEAD_AUDITOR, name="Lena Lead")
    audit = plan.audit(lead=lead)
    ida = plan.member(audit, plan.user(Role.AUDITOR, name="Ida Auditor")).user
    olga = plan.member(audit, plan.user(Role.AUDITOR, name="Olga Observer"), TeamRole.OBSERVER).user
    for user, sectors in ((lead, "Consumer lending\nRetail banking"), (ida, "Insurance"), (olga, "Healthcare")):
        competence.save_profile(user, ProfileData(sectors=sectors), actor=plan.admin)
    return audit


def _sector_need(audit):
    return next(n for n in competence.team_coverage(audit) if n.label == NEED)


def _name_sectors(plan, sectors):
    org.update_profile("Northbridge Lending plc", "", actor=plan.admin, sectors=sectors)


def test_met_by_whoever_knows_one_of_the_organisations_sectors_showing_the_match(plan, team):
    _name_sectors(plan, "  retail BANKING \nPensions")
    need = _sector_need(team)
    assert need.met
    assert need.met_by == ("Lena Lead (Retail banking)",)
    assert need.why.endswith("The organisation works in: retail BANKING, Pensions.")


def test_not_met_when_nobody_counted_knows_the_organisations_sector(plan, team):
    _name_sectors(plan, "Healthcare")  # only the observer knows it
    need = _sector_need(team)
    assert not need.met
    assert need.met_by == ()


def test_a_sector_is_matched_whole_not_by_a_word_of_it(plan, team):
    _name_sectors(plan, "Lending")
    assert not _sector_need(team).met


def test_falls_back_to_any_sector_when_the_organisation_names_none(plan, team):
    need = _sector_need(team)
    assert need.met_by == ("Lena Lead (Consumer lending, Retail banking)", "Ida Auditor (Insurance)")
    assert "names no sector" in need.why
    _name_sectors(plan, "Insurance")
    _name_sectors(plan, "  \n ")  # cleared again: the fallback applies
    assert org.get_profile().sectors is None
    assert len(_sector_need(team).met_by) == 2


def test_the_profile_keeps_sectors_one_per_line_and_records_the_change(plan):
    _name_sectors(plan, "Consumer lending\r\nconsumer LENDING\n\nInsurance")
    profile = org.get_profile()
    assert profile.sector_list == ["Consumer lending", "Insurance"]
    org.update_profile("Renamed", "", actor=plan.admin)  # sectors left out: kept
    assert profile.sector_list == ["Consumer lending", "Insurance"]
    entries = db.session.query(Activity).filter_by(action="organisation.updated").all()
    assert [e.details["sectors"] for e in entries] == [["Consumer lending", "Insurance"]] * 2
    with pytest.raises(ValidationFailed) as info:
        _name_sectors(plan, "x" * 2001)
    assert "sectors" in info.value.errors
