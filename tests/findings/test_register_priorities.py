"""Open nonconformities of any programme raise the coverage matrix's suggested priority, with the reason shown."""

from __future__ import annotations

from datetime import date

from audit_app.extensions import db
from audit_app.models import AuditProgramme, FindingStatus, User
from audit_app.services.findings import flow
from audit_app.services.planning import programmes
from audit_app.services.planning.priorities import risk_context, suggest
from tests.findings.register_world import bulk
from tests.fixtures.findings import Findings

S = FindingStatus
REASON = "open nonconformit"


def _reasons(programme_id: int, ref: str) -> tuple[str, ...]:
    programme = db.session.get(AuditProgramme, programme_id)
    return suggest(ref, risk_context(programme)).reasons


def _later_programme(world, library: int) -> int:
    data = programmes.ProgrammeData(
        code="2027",
        title="Internal audits 2027",
        period_start=date(2027, 1, 1),
        period_end=date(2027, 12, 31),
        checklist_version_id=library,
    )
    programme = programmes.save_programme(data, actor=db.session.get(User, world.admin_id))
    db.session.commit()
    return programme.id


def test_an_issued_open_nonconformity_raises_the_priority_of_its_clause_in_any_programme(app, fw_world, library):
    with app.app_context():
        f = Findings(fw_world)
        this = f.audit.programme_id
        later = _later_programme(fw_world, library)
        nc = f.draft("minor")
        db.session.commit()
        assert not any(REASON in r for r in _reasons(later, "4.1"))  # a draft is not a nonconformity on record
        f.to(nc, S.ISSUED)
        f.to(f.draft("observation", clause_refs=["4.2"]), S.ISSUED)
        db.session.commit()
        for programme_id in (this, later):
            programme = db.session.get(AuditProgramme, programme_id)
            suggestion = suggest("4.1", risk_context(programme))
            assert suggestion.level == "high"
            assert "1 open nonconformity (findings of any programme) not yet closed" in suggestion.reasons
            assert not any(REASON in r for r in _reasons(programme_id, "4.2"))  # an observation does not count


def test_closed_and_withdrawn_nonconformities_no_longer_count(app, fw_world, library):
    with app.app_context():
        f = Findings(fw_world)
        later = _later_programme(fw_world, library)
        closed = f.to(f.draft("minor"), S.CLOSED_EFFECTIVE)
        withdrawn = f.to(f.draft("major", clause_refs=["4.2"]), S.ISSUED)
        flow.act(withdrawn, "withdraw", actor=db.session.get(User, fw_world.lead_id), reason="Raised twice.")
        db.session.commit()
        assert closed.status is S.CLOSED_EFFECTIVE
        assert not any(REASON in r for r in _reasons(later, "4.1") + _reasons(later, "4.2"))


def test_the_matrix_shows_the_reason_and_costs_the_same_with_more_findings(
    app, client, login, fw_world, library, query_count
):
    with app.app_context():
        programme_id = Findings(fw_world).audit.programme_id
        bulk(fw_world, 2, actions_each=0)
    login(fw_world.admin_id)
    url = f"/programmes/{programme_id}"
    with client:
        page = client.get(url)
        assert page.status_code == 200
        few = query_count()
    assert "open nonconformities (findings of any programme) not yet closed" in page.get_data(as_text=True)
    with app.app_context():
        bulk(fw_world, 30, start=3, actions_each=0)
    with client:
        assert client.get(url).status_code == 200
        assert query_count() == few
