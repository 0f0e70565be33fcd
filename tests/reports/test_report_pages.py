"""The report pages by role: what each user sees on the audit's "Report and documents" page, which drafts they may
download (as attachments with meaningful names), the issued report pages, the report settings form, and the Word
downloads offered on the finding page (nonconformity report) and the CAPA register page."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask

from audit_app.extensions import db
from audit_app.models import FindingStatus, ReportDownload, ReportSettings, Role
from audit_app.services.reports.generate import DocumentKind
from tests.fixtures.fieldwork_pages import text
from tests.fixtures.findings import Findings, FindingsWorld
from tests.reports.docx_read import all_text, reopen
from tests.reports.test_report_issue import DOCX, Issuable, build_issuable, issue_form

ALL_KINDS = [kind.value for kind in DocumentKind]


def who(world: FindingsWorld, name: str) -> int:
    return getattr(world, f"{name}_id")


def draft_links(page: str, audit_id: int) -> list[str]:
    return re.findall(rf'href="/audits/{audit_id}/documents/([a-z-]+)"', page)


# --- the audit's report page --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "kinds", "team_view", "settings_form", "issued_table"),
    [
        ("lead", ALL_KINDS, True, True, True),
        ("admin", ALL_KINDS, True, True, True),
        ("auditor", ALL_KINDS, True, False, True),
        ("observer", ALL_KINDS, True, False, True),
        ("viewer", ALL_KINDS, True, False, True),
        ("loner", ["audit-plan"], False, False, True),
        ("auditee", ["audit-plan"], False, False, False),
    ],
)
def test_report_page_by_role(client, login, fw_world, name, kinds, team_view, settings_form, issued_table):
    login(who(fw_world, name))
    response = client.get(f"/audits/{fw_world.audit_id}/report")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert draft_links(page, fw_world.audit_id) == kinds
    assert ("Ready to issue?" in page) is team_view
    assert ('name="settings-marking"' in page) is settings_form
    assert ("Issued versions" in page) is issued_table
    assert 'value="Issue the report"' not in page  # the audit is in fieldwork: nothing to issue yet
    assert 'id="document-status" role="status" aria-live="polite"' in page
    if team_view and name != "lead":
        assert "Only the audit's lead auditor, " in text(page)


def test_the_audit_page_links_to_the_report_page(client, login, fw_world):
    login(fw_world.auditee_id)
    page = client.get(f"/audits/{fw_world.audit_id}").get_data(as_text=True)
    assert f'<a href="/audits/{fw_world.audit_id}/report">Report and documents</a>' in page


def test_unknown_and_invisible_audits_are_not_found(app, client, login, make_user, fw_world):
    login(fw_world.lead_id)
    for path in ("/audits/9999/report", "/audits/9999/documents/audit-plan", "/audits/99999999999/report"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/audits/{fw_world.audit_id}/documents/minutes").status_code == 404
    login(make_user(Role.AUDITEE))  # an auditee of a unit outside the scope
    assert client.get(f"/audits/{fw_world.audit_id}/report").status_code == 404
    assert client.get(f"/audits/{fw_world.audit_id}/documents/audit-plan").status_code == 404


# --- drafts -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ALL_KINDS)
def test_the_team_downloads_every_draft_as_an_attachment(app, client, login, fw_world, kind):
    with app.app_context():
        reference = Findings(fw_world).audit.reference
    login(fw_world.auditor_id)
    response = client.get(f"/audits/{fw_world.audit_id}/documents/{kind}")
    assert response.status_code == 200
    assert response.mimetype == DOCX
    disposition = response.headers["Content-Disposition"]
    label = DocumentKind(kind).label
    assert re.fullmatch(
        rf'attachment; filename="?{re.escape(reference)} {label} draft-\d{{8}}-\d{{4}}\.docx"?', disposition
    )
    assert "DRAFT" in all_text(reopen(response.get_data()))


@pytest.mark.parametrize(
    ("name", "kind", "status"),
    [
        ("auditee", "audit-report", 403),
        ("auditee", "certification-report", 403),
        ("auditee", "fieldwork-checklist", 403),
        ("auditee", "capa-register", 403),
        ("auditee", "audit-plan", 200),
        ("loner", "audit-report", 403),
        ("outsider", "capa-register", 403),
        ("loner", "audit-plan", 200),
        ("observer", "audit-report", 200),
    ],
)
def test_drafts_are_for_the_team_and_the_plan_for_everyone_who_sees_the_audit(
    client, login, fw_world, name, kind, status
):
    login(who(fw_world, name))
    response = client.get(f"/audits/{fw_world.audit_id}/documents/{kind}")
    assert response.status_code == status
    if status == 200:
        assert response.headers["Content-Disposition"].startswith("attachment;")


# --- issued reports -----------------------------------------------------------------------------------------------
@pytest.fixture
def issued(app: Flask, library: int, fw_world: FindingsWorld, client, login) -> tuple[Issuable, int]:
    world = build_issuable(app, library, fw_world)
    login(world.lead_id)
    response = client.post(f"/audits/{world.audit_id}/report/issue", data=issue_form(world))
    assert response.status_code == 302
    return world, int(response.headers["Location"].rsplit("/", 1)[1])


def test_auditees_never_get_an_issued_report(app, client, login, issued):
    world, report_id = issued
    login(world.world.auditee_id)
    for path in (f"/reports/{report_id}", f"/reports/{report_id}/file", f"/reports/{report_id}/verify"):
        assert client.get(path).status_code == 403, path
    page = client.get(f"/audits/{world.audit_id}/report").get_data(as_text=True)
    assert f"/reports/{report_id}" not in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ReportDownload.id))) == 0


def test_staff_who_see_the_audit_read_and_download_the_issued_report(app, client, login, issued):
    world, report_id = issued
    login(world.world.loner_id)
    page = client.get(f"/audits/{world.audit_id}/report").get_data(as_text=True)
    assert f'href="/reports/{report_id}/file"' in page
    assert f'href="/reports/{report_id}/verify"' in page
    assert client.get(f"/reports/{report_id}").status_code == 200
    assert client.get(f"/reports/{report_id}/file").status_code == 200
    detail = text(client.get(f"/reports/{report_id}").get_data(as_text=True))
    assert "Lone Auditor" in detail  # the download is listed with who made it
    listing = client.get(f"/audits/{world.audit_id}/report").get_data(as_text=True)
    assert re.search(r"<td>1</td>\s*<td><a href=\"/reports/\d+/file\"", listing)  # one download counted


def test_unknown_reports_are_not_found(client, login, issued):
    world, report_id = issued
    login(world.lead_id)
    for path in (f"/reports/{report_id + 1}", f"/reports/{report_id + 1}/file", "/reports/99999999999/verify"):
        assert client.get(path).status_code == 404, path


# --- report settings ----------------------------------------------------------------------------------------------
SETTINGS = {
    "settings-marking": "Internal use only",
    "settings-sampling_statement": "The evidence examined was a sample.",
    "settings-distribution": "Chief Risk Officer\nHead of Model Operations",
    "settings-next_audit": "Surveillance audit, March 2027",
}


def saved_settings(app: Flask) -> list[tuple[str, str, str, str]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(
                ReportSettings.marking,
                ReportSettings.sampling_statement,
                ReportSettings.distribution,
                ReportSettings.next_audit,
            )
        ).all()
        return [tuple(row) for row in rows]


@pytest.mark.parametrize("name", ["lead", "admin"])
def test_the_lead_or_an_admin_saves_the_report_settings(app, client, login, fw_world, name):
    login(who(fw_world, name))
    page = client.get(f"/audits/{fw_world.audit_id}/report").get_data(as_text=True)
    assert "An audit examines a sample" in page  # the default statement to start from
    response = client.post(f"/audits/{fw_world.audit_id}/report/settings", data=SETTINGS)
    assert response.status_code == 302
    assert saved_settings(app) == [tuple(SETTINGS.values())]
    page = text(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Report settings saved." in page


@pytest.mark.parametrize("name", ["auditor", "outsider", "viewer", "auditee"])
def test_others_may_not_change_the_report_settings(app, client, login, fw_world, name):
    login(who(fw_world, name))
    assert client.post(f"/audits/{fw_world.audit_id}/report/settings", data=SETTINGS).status_code == 403
    assert saved_settings(app) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("marking", "", "Give the marking shown on every page."),
        ("marking", "Confidential\nSecret", "Use a single line."),
        ("sampling_statement", "   ", "Write the statement (ISO 19011 6.5.1 k)."),
        ("next_audit", "March\x1b[31m", "Remove the control characters"),
        ("distribution", "x" * 4001, "Field cannot be longer than 4000 characters."),
    ],
)
def test_bad_settings_change_nothing(app, client, login, fw_world, field, value, message):
    login(fw_world.lead_id)
    response = client.post(
        f"/audits/{fw_world.audit_id}/report/settings", data={**SETTINGS, f"settings-{field}": value}
    )
    assert response.status_code == 400
    assert message in text(response.get_data(as_text=True))
    assert saved_settings(app) == []


# --- the nonconformity report and the CAPA register document ------------------------------------------------------
def test_nonconformity_report_from_the_finding_page(app, client, login, fw_world):
    with app.app_context():
        f = Findings(fw_world)
        issued_nc = f.to(f.draft("minor"), FindingStatus.ISSUED)
        draft_nc = f.draft("major", title="A draft major")
        ofi = f.to(f.draft("ofi", title="Automate the register"), FindingStatus.ISSUED)
        db.session.commit()
        ids, reference = (issued_nc.id, draft_nc.id, ofi.id), str(issued_nc.reference)
    issued_id, draft_id, ofi_id = ids

    login(fw_world.auditee_id)
    page = client.get(f"/findings/{issued_id}").get_data(as_text=True)
    assert f'href="/findings/{issued_id}/nc-report"' in page
    assert "Nonconformity report (.docx)" in page
    response = client.get(f"/findings/{issued_id}/nc-report")
    assert response.status_code == 200
    assert response.mimetype == DOCX
    assert response.headers["Content-Disposition"] == f'attachment; filename="{reference} Nonconformity report.docx"'
    assert reference in all_text(reopen(response.get_data()))
    assert client.get(f"/findings/{draft_id}/nc-report").status_code == 404  # drafts never reach the auditee
    assert "nc-report" not in client.get(f"/findings/{ofi_id}").get_data(as_text=True)
    assert client.get(f"/findings/{ofi_id}/nc-report").status_code == 404

    login(fw_world.stranger_id)  # an auditee of the other unit
    assert client.get(f"/findings/{issued_id}/nc-report").status_code == 404

    login(fw_world.auditor_id)
    response = client.get(f"/findings/{draft_id}/nc-report")
    assert response.status_code == 200
    assert "DRAFT" in all_text(reopen(response.get_data()))


def test_capa_register_word_document_from_the_register_page(app, client, login, fw_world):
    with app.app_context():
        f = Findings(fw_world)
        ours = f.to(f.draft("minor"), FindingStatus.ISSUED)
        theirs = f.to(
            f.draft(
                "minor",
                title="Other unit",
                auditee_unit_id=fw_world.other_unit_id,
                process_owner_id=fw_world.stranger_id,
            ),
            FindingStatus.ISSUED,
        )
        db.session.commit()
        ours_ref, theirs_ref, audit_ref = str(ours.reference), str(theirs.reference), f.audit.reference

    login(fw_world.auditor_id)
    page = client.get("/findings/register").get_data(as_text=True)
    assert 'href="/findings/register.docx"' in page
    assert "Word document" in page
    whole = client.get("/findings/register.docx")
    assert whole.status_code == 200
    assert whole.mimetype == DOCX
    assert whole.headers["Content-Disposition"].startswith('attachment; filename="All findings CAPA register ')
    content = all_text(reopen(whole.get_data()))
    assert ours_ref in content
    assert theirs_ref in content

    page = client.get(f"/findings/register?audit={fw_world.audit_id}").get_data(as_text=True)
    assert f'href="/findings/register.docx?audit={fw_world.audit_id}"' in page
    one = client.get(f"/findings/register.docx?audit={fw_world.audit_id}")
    assert one.status_code == 200
    assert f'filename="{audit_ref} CAPA register ' in one.headers["Content-Disposition"]
    assert client.get("/findings/register.docx?audit=9999").status_code == 404
    assert client.get("/findings/register.docx?audit=%C2%B2").status_code == 404

    login(fw_world.auditee_id)  # only their own unit's issued findings
    content = all_text(reopen(client.get("/findings/register.docx").get_data()))
    assert ours_ref in content
    assert theirs_ref not in content


def _statements(client, query_count, url: str) -> int:
    with client:
        assert client.get(url).status_code == 200
        return query_count()


def test_the_report_pages_cost_the_same_with_1_and_3_versions_and_downloads(client, login, issued, query_count):
    world, first_id = issued
    page, detail = f"/audits/{world.audit_id}/report", f"/reports/{first_id}"
    client.get(f"/reports/{first_id}/file")
    few = (_statements(client, query_count, page), _statements(client, query_count, detail))
    for n in (2, 3):
        form = issue_form(world, change_note=f"Change {n}")
        assert client.post(f"/audits/{world.audit_id}/report/issue", data=form).status_code == 302
    for _ in range(4):
        client.get(f"/reports/{first_id}/file")
    many = (_statements(client, query_count, page), _statements(client, query_count, detail))
    assert many == few
    assert "Change 3" in client.get(page).get_data(as_text=True)
