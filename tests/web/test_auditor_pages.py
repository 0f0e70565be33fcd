"""Auditor profile pages: the paged list, a profile with audits performed and evaluations, editing, evaluating."""

from __future__ import annotations

from datetime import date

from audit_app.extensions import db
from audit_app.models import AuditorEvaluation, AuditStatus, Role, TeamRole, User
from audit_app.services.planning import audits, competence, programmes, team
from audit_app.services.planning.competence import ProfileData


def _audit_with(app, library, lead_id: int, auditor_id: int, status: AuditStatus) -> int:
    with app.app_context():
        lead = db.session.get(User, lead_id)
        programme = programmes.save_programme(
            programmes.ProgrammeData("2026", "Internal audits", date(2026, 1, 1), date(2026, 12, 31), library),
            actor=lead,
        )
        audit = audits.create_audit(
            programme,
            audits.AuditDetails(
                "Credit models", audits.AuditType.INTERNAL, date(2026, 6, 1), date(2026, 6, 3), lead.id
            ),
            actor=lead,
        )
        db.session.flush()
        team.add_member(audit, auditor_id, TeamRole.AUDITOR, actor=lead)
        audit.status = status
        db.session.commit()
        return audit.id


def test_profile_edit_and_view(client, app, login, make_user, make_unit, library):
    lead, auditor = make_user(Role.LEAD_AUDITOR), make_user(Role.AUDITOR)
    process = make_unit("Risk method")
    login(lead)
    edit = client.get(f"/auditors/{auditor}/edit")
    assert edit.status_code == 200
    assert "Trained on ISO/IEC 42001" in edit.get_data(as_text=True)
    refused = client.post(f"/auditors/{auditor}/edit", data={"responsible_refs": "6.1.2, 99.9"})
    assert refused.status_code == 400
    assert "99.9" in refused.get_data(as_text=True)
    saved = client.post(
        f"/auditors/{auditor}/edit",
        data={
            "qualifications": "ISO/IEC 42001 lead auditor, 2025",
            "areas": ["iso42001", "ai_ml"],
            "sectors": "Consumer lending",
            "responsible_refs": "6.1.2",
            "responsible_unit_ids": [process],
        },
    )
    assert saved.status_code == 302
    page = client.get(f"/auditors/{auditor}").get_data(as_text=True)
    for text in ("ISO/IEC 42001 lead auditor, 2025", "AI and machine-learning technical knowledge", "Consumer lending"):
        assert text in page
    assert "6.1.2; Risk method" in page


def test_an_auditor_sees_only_their_own_profile(client, login, make_user):
    me, other = make_user(Role.AUDITOR), make_user(Role.AUDITOR)
    login(me)
    assert client.get(f"/auditors/{me}").status_code == 200
    assert client.get(f"/auditors/{other}").status_code == 403
    assert client.get("/auditors/").status_code == 403


def test_audits_performed_and_an_evaluation_after_the_audit(client, app, login, make_user, library):
    lead, auditor = make_user(Role.LEAD_AUDITOR), make_user(Role.AUDITOR)
    audit_id = _audit_with(app, library, lead, auditor, AuditStatus.REPORTING)
    login(lead)
    page = client.get(f"/auditors/{auditor}").get_data(as_text=True)
    assert "Audits performed (1)" in page
    assert "Credit models" in page
    url = f"/auditors/{auditor}/evaluations"
    short = client.post(url, data={"audit_id": audit_id, "rating": "partly", "comment": ""})
    assert short.status_code == 400
    assert "Explain the rating" in short.get_data(as_text=True)
    done = client.post(url, data={"audit_id": audit_id, "rating": "partly", "comment": "Sampling notes were thin."})
    assert done.status_code == 302
    page = client.get(f"/auditors/{auditor}").get_data(as_text=True)
    assert "Partly meets expectations" in page
    assert "Sampling notes were thin." in page
    with app.app_context():
        evaluation = db.session.query(AuditorEvaluation).one()
        assert (evaluation.evaluator_id, evaluation.audit_id) == (lead, audit_id)


def test_the_list_costs_the_same_statements_with_few_or_many_auditors(client, app, login, make_user, query_count):
    admin = make_user(Role.ADMIN)
    login(admin)

    def grow(n: int) -> None:
        for _ in range(n):
            user_id = make_user(Role.AUDITOR)
            with app.app_context():
                user = db.session.get(User, user_id)
                competence.save_profile(
                    user,
                    ProfileData(areas=(competence.CompetenceArea.AUDITING,), sectors="Banking"),
                    actor=db.session.get(User, admin),
                )
                db.session.commit()

    def statements() -> int:
        with client:
            page = client.get("/auditors/?per_page=100")
            assert page.status_code == 200
            assert "Audit principles and methods (ISO 19011)" in page.get_data(as_text=True)
            return query_count()

    grow(3)
    few = statements()
    grow(30)
    assert statements() == few


def test_ids_no_column_can_hold_are_not_found(client, login, make_user):
    login(make_user(Role.ADMIN))
    for value in (2**31, 2**63):
        assert client.get(f"/auditors/{value}").status_code == 404
        assert client.get(f"/auditors/{value}/edit").status_code == 404
