"""The organisation's branded Word template: validation (every required style, a real Word file), the admin page
(upload, downloads, return to the default), and that the next generated document is built from the template in use.
"""

from __future__ import annotations

import hashlib
import io
import re

import docx
import pytest
import sqlalchemy as sa
from docx.enum.style import WD_STYLE_TYPE
from docx.shared import Pt
from flask import Flask

from audit_app.documents.default_template import build_default_template
from audit_app.documents.styles import REQUIRED_STYLES
from audit_app.errors import ValidationFailed
from audit_app.extensions import db
from audit_app.models import Activity, ReportTemplate, Role, User
from audit_app.services.reports import templates
from tests.fixtures.planning import Planning
from tests.reports.docx_read import ROOT, header_text, reopen

PAGE = "/admin/report-template"
DEFAULT_FILE = ROOT / "report_templates" / "audit_report.docx"
BRAND = "ACME BRAND"
BRAND_FONT = "Georgia"


def default_bytes() -> bytes:
    return DEFAULT_FILE.read_bytes()


def branded() -> bytes:
    """The default template as an organisation would brand it in Word: its own font and a header line."""
    document = docx.Document(io.BytesIO(default_bytes()))
    normal = document.styles["Normal"]
    normal.font.name = BRAND_FONT
    normal.font.size = Pt(10.5)
    for section in document.sections:
        section.header.add_paragraph(BRAND, style="Header")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def plain_word() -> bytes:
    """A Word document from python-docx's own default template: none of our named styles."""
    out = io.BytesIO()
    docx.Document().save(out)
    return out.getvalue()


def upload(client, data: bytes, name: str = "acme.docx"):
    return client.post(PAGE, data={"template": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


# --- validation (the service) -----------------------------------------------------------------------------------


def test_the_committed_default_template_defines_every_required_style():
    document = docx.Document(str(DEFAULT_FILE))
    present = {style.name: style.type for style in document.styles}

    for name, kind in REQUIRED_STYLES.items():
        assert present.get(name) == kind, f"{name} missing from report_templates/audit_report.docx"


def test_the_default_template_and_its_builder_pass_the_check(app):
    with app.app_context():
        assert templates.missing_styles(default_bytes()) == []
        assert templates.missing_styles(build_default_template()) == []
        assert templates.default_template_path() == DEFAULT_FILE


def test_a_plain_word_document_is_refused_with_the_missing_style_names(app, make_user):
    admin_id = make_user(Role.ADMIN)
    with app.app_context():
        missing = templates.missing_styles(plain_word())
        with pytest.raises(ValidationFailed) as refused:
            templates.upload(db.session.get(User, admin_id), "plain.docx", plain_word())

    assert {"Cover Title", "Report Table", "Draft Marking", "Response Space"} <= set(missing)
    assert "Normal" not in missing
    assert "Heading 1" not in missing
    assert "Cover Title" in str(refused.value)
    assert "Report Table" in str(refused.value)
    assert "Cover Title" in refused.value.errors["template"][0]


def test_a_style_of_the_wrong_kind_counts_as_missing(app):
    document = docx.Document(io.BytesIO(plain_word()))
    document.styles.add_style("Report Table", WD_STYLE_TYPE.PARAGRAPH)  # a paragraph style, not a table style
    out = io.BytesIO()
    document.save(out)

    with app.app_context():
        assert "Report Table" in templates.missing_styles(out.getvalue())


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.docx", b"Just some text, renamed to .docx\n", "not a Word document"),
        ("broken.docx", b"PK\x03\x04 not really a zip", "not a Word document"),
        ("acme.pdf", b"%PDF-1.4", "Word documents (.docx)"),
        ("acme.dotx", b"PK", "Word documents (.docx)"),
        ("empty.docx", b"", "empty"),
        ("huge.docx", b"0" * (templates.MAX_TEMPLATE_BYTES + 1), "larger than 10 MB"),
    ],
)
def test_files_that_are_no_usable_template_are_refused(app, make_user, name, data, message):
    admin_id = make_user(Role.ADMIN)
    with app.app_context():
        with pytest.raises(ValidationFailed) as refused:
            templates.upload(db.session.get(User, admin_id), name, data)
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count(ReportTemplate.id))) == 0

    assert message in str(refused.value)


# --- the admin page ---------------------------------------------------------------------------------------------


@pytest.fixture
def admin(make_user, login) -> int:
    user_id = make_user(Role.ADMIN)
    login(user_id)
    return user_id


def test_page_shows_the_default_template_in_use(client, admin):
    response = client.get(PAGE)

    assert response.status_code == 200
    text = page_text(response)
    assert "Default template (audit_report.docx)" in text
    assert hashlib.sha256(default_bytes()).hexdigest() in text
    assert "Return to the default template" not in text
    assert 'enctype="multipart/form-data"' in text
    for name in REQUIRED_STYLES:
        assert f"<td>{name}</td>" in text


def test_page_is_in_the_admin_navigation(client, admin):
    assert f'href="{PAGE}"' in client.get("/").get_data(as_text=True)


def test_default_template_download(client, admin):
    response = client.get(f"{PAGE}/default")

    assert response.status_code == 200
    assert response.data == default_bytes()
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "audit_report.docx" in response.headers["Content-Disposition"]


def test_upload_of_a_plain_document_lists_the_missing_styles(client, app, admin):
    response = upload(client, plain_word(), "plain.docx")

    assert response.status_code == 400
    text = page_text(response)
    assert "Cover Title" in text
    assert "Report Table" in text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ReportTemplate.id))) == 0
    assert "Default template" in page_text(client.get(PAGE))


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.docx", b"A text file renamed.\n", "not a Word document"),
        ("acme.odt", b"PK\x03\x04", "Templates are Word documents"),
        ("empty.docx", b"", "empty"),
        ("huge.docx", b"0" * 4097, "The template is larger than"),
    ],
)
def test_upload_refusals_on_the_page(client, app, admin, monkeypatch, name, data, message):
    # A small limit: a real 10 MB body would go through a spooled temporary file in the test client.
    monkeypatch.setattr(templates, "MAX_TEMPLATE_BYTES", 4096)
    response = upload(client, data, name)

    assert response.status_code == 400
    assert message in page_text(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ReportTemplate.id))) == 0


def test_upload_without_a_file_is_refused(client, admin):
    response = client.post(PAGE, data={}, content_type="multipart/form-data")

    assert response.status_code == 400
    assert "Choose a .docx file to upload." in page_text(response)


def test_branded_template_is_used_by_the_next_draft_then_retired(client, app, admin, library, token_for):
    audit_id, lead_headers = _audit(app, library, token_for)
    before = client.get(f"/api/v1/audits/{audit_id}/drafts/audit-plan", headers=lead_headers)
    assert BRAND not in header_text(reopen(before.data))

    data = branded()
    response = upload(client, data, "ACME report template.docx")
    assert response.status_code == 302
    page = page_text(client.get(PAGE))
    assert "ACME report template.docx" in page
    assert hashlib.sha256(data).hexdigest() in page
    assert "Return to the default template" in page
    assert client.get(f"{PAGE}/current").data == data

    draft = reopen(client.get(f"/api/v1/audits/{audit_id}/drafts/audit-plan", headers=lead_headers).data)
    assert BRAND in header_text(draft)
    assert draft.styles["Normal"].font.name == BRAND_FONT
    assert draft.paragraphs, "the draft has its content"

    retired = client.post(f"{PAGE}/retire")
    assert retired.status_code == 302
    page = page_text(client.get(PAGE))
    assert "Default template (audit_report.docx)" in page
    assert client.get(f"{PAGE}/current").data == default_bytes()
    after = reopen(client.get(f"/api/v1/audits/{audit_id}/drafts/audit-plan", headers=lead_headers).data)
    assert BRAND not in header_text(after)
    assert after.styles["Normal"].font.name != BRAND_FONT

    with app.app_context():
        kept = db.session.scalars(sa.select(ReportTemplate)).one()  # retired, never deleted
        assert kept.retired_at is not None
        assert kept.retired_by_id == admin
        assert kept.sha256 == hashlib.sha256(data).hexdigest()
        actions = list(db.session.scalars(sa.select(Activity.action).order_by(Activity.id)))
    assert actions[-2:] == ["report_template.uploaded", "report_template.retired"]


def test_retire_with_nothing_uploaded_changes_nothing(client, app, admin):
    response = client.post(f"{PAGE}/retire", follow_redirects=True)

    assert response.status_code == 200
    assert "The default template is already in use." in page_text(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Activity.id)).where(Activity.action.like("report_%"))) == 0


def test_newest_upload_wins(client, app, admin):
    upload(client, default_bytes(), "first.docx")
    second = branded()
    upload(client, second, "second.docx")

    assert "second.docx" in page_text(client.get(PAGE))
    assert client.get(f"{PAGE}/current").data == second


def _audit(app: Flask, library: int, token_for) -> tuple[int, dict[str, str]]:
    with app.app_context():
        plan = Planning(library)
        audit = plan.ready(plan.audit(title="Branded audit"))
        db.session.commit()
        return audit.id, token_for(audit.lead_auditor_id)


# --- admin only -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.LEAD_AUDITOR, Role.AUDITOR, Role.AUDITEE, Role.VIEWER])
def test_only_administrators_reach_the_template_page(client, app, make_user, login, role):
    login(make_user(role))

    assert client.get(PAGE).status_code == 403
    assert client.get(f"{PAGE}/default").status_code == 403
    assert client.get(f"{PAGE}/current").status_code == 403
    assert upload(client, default_bytes()).status_code == 403
    assert client.post(f"{PAGE}/retire").status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ReportTemplate.id))) == 0


def test_signed_out_visitors_go_to_the_login_page(client):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


class TestWithCsrf:
    @pytest.fixture
    def config_overrides(self) -> dict:
        return {"WTF_CSRF_ENABLED": True}

    def test_upload_without_the_token_is_refused(self, client, app, admin):
        response = upload(client, default_bytes())

        assert response.status_code == 400
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(ReportTemplate.id))) == 0

    def test_upload_with_the_token_is_kept(self, client, app, admin):
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(PAGE).get_data(as_text=True))
        assert token is not None
        response = client.post(
            PAGE,
            data={"template": (io.BytesIO(default_bytes()), "copy.docx"), "csrf_token": token.group(1)},
            content_type="multipart/form-data",
        )

        assert response.status_code == 302
        with app.app_context():
            assert db.session.scalar(sa.select(ReportTemplate.name)) == "copy.docx"
