"""Security headers, local-only assets, error pages in the layout, and the layered configuration."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import send_file

from audit_app import create_app
from audit_app.errors import ValidationFailed
from audit_app.extensions import db
from audit_app.models import Role
from audit_app.services import accounts
from tests.conftest import _base_config
from tests.fixtures.accounts import PASSWORD

LAYOUT_MARKERS = ('<a class="skip-link" href="#main">', '<main id="main"', 'class="site-footer"')
NAV = '<nav aria-label="Main"'


def assert_security_headers(response) -> None:
    csp = response.headers["Content-Security-Policy"]
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";")}
    assert directives["default-src"] == "default-src 'self'"
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert directives["object-src"] == "object-src 'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/auth/login", 200),
        ("/", 302),  # anonymous: redirect to the login page
        ("/no-such-page", 404),
        ("/static/css/app.css", 200),
        ("/api/v1/me", 401),
    ],
)
def test_headers_on_anonymous_responses(client, path, status):
    response = client.get(path)
    response.close()  # static files are streamed; headers stay readable
    assert response.status_code == status
    assert_security_headers(response)
    assert (response.headers.get("Cache-Control") == "no-store") is not path.startswith("/static/")


@pytest.mark.parametrize(("path", "status"), [("/", 200), ("/organisation/", 200), ("/admin/users", 403)])
def test_headers_on_signed_in_pages(client, make_user, login, path, status):
    login(make_user(Role.AUDITOR))
    response = client.get(path)
    assert response.status_code == status
    assert_security_headers(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_headers_on_api_responses(client, make_user, token_for):
    response = client.get("/api/v1/me", headers=token_for(make_user(Role.VIEWER)))
    assert response.status_code == 200
    assert_security_headers(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_no_store_replaces_whatever_caching_a_view_asked_for(database_url, tmp_path, app, make_user):
    """Every response but static files is no-store, downloads included (send_file sets "no-cache" of its own).

    The evidence download tests check the real downloads (tests/web/test_fieldwork_evidence.py and
    tests/api/test_api_evidence.py).
    """
    user_id = make_user(Role.AUDITOR)  # in the shared test database, emptied after the test
    fresh = create_app(_base_config(database_url, tmp_path / "fresh-instance"))
    file = tmp_path / "report.txt"
    file.write_text("audit data")

    @fresh.route("/test-download")
    def download():
        return send_file(file, as_attachment=True, max_age=3600)

    @fresh.route("/test-cached")
    def cached():
        return "audit data", 200, {"Cache-Control": "public, max-age=600"}

    try:
        client = fresh.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = f"{user_id}:1"
            session["_fresh"] = True
        for path in ("/test-download", "/test-cached"):
            response = client.get(path)
            response.close()
            assert response.status_code == 200, path
            assert response.headers["Cache-Control"] == "no-store", path
        static = client.get("/static/css/app.css")
        static.close()
        assert static.headers.get("Cache-Control") != "no-store"
    finally:
        with fresh.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("signed_in", [False, True])
def test_css_and_js_come_only_from_static(client, make_user, login, signed_in):
    if signed_in:
        login(make_user(Role.ADMIN))
    page = client.get("/" if signed_in else "/auth/login").get_data(as_text=True)
    assets = re.findall(r"<link[^>]*\bhref=\"([^\"]+)\"", page) + re.findall(r"<script[^>]*\bsrc=\"([^\"]+)\"", page)
    assert assets, "the layout links its stylesheet and script"
    assert all(url.startswith("/static/") for url in assets), assets
    assert "<style" not in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "inline scripts would need 'unsafe-inline'"
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    for url in assets:
        response = client.get(url)
        response.close()
        assert response.status_code == 200, url


def test_forbidden_page_is_inside_the_layout(client, make_user, login):
    login(make_user(Role.AUDITOR))
    response = client.get("/admin/users")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "You do not have access to this page" in page
    for marker in (*LAYOUT_MARKERS, NAV):
        assert marker in page


@pytest.mark.parametrize("signed_in", [False, True])
def test_not_found_page_is_inside_the_layout(client, make_user, login, signed_in):
    if signed_in:
        login(make_user(Role.AUDITOR))
    response = client.get("/no-such-page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Page not found" in page
    for marker in LAYOUT_MARKERS:
        assert marker in page
    assert (NAV in page) is signed_in


def test_server_error_page_is_inside_the_layout(database_url, tmp_path, app, make_user):
    user_id = make_user(Role.AUDITOR)  # in the shared test database, emptied after the test
    fresh = create_app(_base_config(database_url, tmp_path / "fresh-instance"))

    @fresh.route("/test-boom")
    def boom() -> str:
        raise RuntimeError("deliberate failure for the test")

    try:
        client = fresh.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = f"{user_id}:1"
            session["_fresh"] = True
        response = client.get("/test-boom")
        assert response.status_code == 500
        page = response.get_data(as_text=True)
        assert "Something went wrong" in page
        assert "deliberate failure" not in page  # no internals leak into the page
        for marker in (*LAYOUT_MARKERS, NAV):
            assert marker in page
        assert_security_headers(response)
    finally:
        with fresh.app_context():
            db.engine.dispose()


def _plain_app(instance: Path, **overrides):
    """An app from the defaults, as production builds it (no test overrides beyond the database)."""
    return create_app({"INSTANCE_PATH": str(instance), **overrides})


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("AUDIT_SECRET_KEY", "AUDIT_DATABASE_URL", "AUDIT_SQLALCHEMY_DATABASE_URI", "AUDIT_INSTANCE_PATH"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_default_cookie_settings(clean_env, tmp_path):
    app = _plain_app(tmp_path / "instance", SQLALCHEMY_DATABASE_URI="sqlite://")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["WTF_CSRF_ENABLED"] is True
    assert app.config["MAX_CONTENT_LENGTH"] > 0


@pytest.mark.parametrize("config_overrides", [{"SESSION_COOKIE_SECURE": True}])
def test_session_cookie_flags_on_sign_in(client, make_user, config_overrides):
    make_user(Role.AUDITOR, email="ann@example.test")
    response = client.post("/auth/login", data={"email": "ann@example.test", "password": PASSWORD})
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}
    assert "secure" in flags
    assert "httponly" in flags
    assert flags["samesite"] == "SameSite=Lax"


def test_secret_key_is_generated_once_and_reused(clean_env, tmp_path):
    instance = tmp_path / "empty-instance"
    first = _plain_app(instance, SQLALCHEMY_DATABASE_URI="sqlite://")
    key_file = instance / "secret_key"
    assert key_file.is_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = first.config["SECRET_KEY"]
    assert len(key) >= 32
    assert key_file.read_text(encoding="ascii").strip() == key

    second = _plain_app(instance, SQLALCHEMY_DATABASE_URI="sqlite://")
    assert second.config["SECRET_KEY"] == key
    assert key_file.read_text(encoding="ascii").strip() == key

    other = _plain_app(tmp_path / "other-instance", SQLALCHEMY_DATABASE_URI="sqlite://")
    assert other.config["SECRET_KEY"] != key


def test_explicit_secret_key_writes_no_file(clean_env, tmp_path):
    app = _plain_app(tmp_path / "instance", SQLALCHEMY_DATABASE_URI="sqlite://", SECRET_KEY="from-config")
    assert app.config["SECRET_KEY"] == "from-config"
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_audit_environment_variables_override_defaults(clean_env, tmp_path):
    clean_env.setenv("AUDIT_PASSWORD_MIN_LENGTH", "16")
    app = _plain_app(tmp_path / "instance", SQLALCHEMY_DATABASE_URI="sqlite://")
    assert app.config["PASSWORD_MIN_LENGTH"] == 16
    with app.app_context():
        accounts.check_password_rules("sixteen chars ok", email="a@example.test")
        with pytest.raises(ValidationFailed, match="does not meet the rules"):
            accounts.check_password_rules("fifteen chars!!", email="a@example.test")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u:p@h:5433/db", "postgresql+psycopg://u:p@h:5433/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_database_url_from_environment_is_normalised(clean_env, tmp_path, url, expected):
    clean_env.setenv("AUDIT_DATABASE_URL", url)
    app = _plain_app(tmp_path / "instance")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == expected


def test_default_database_is_sqlite_in_the_instance_folder(clean_env, tmp_path):
    app = _plain_app(tmp_path / "instance")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'instance' / 'audit.sqlite'}"


def test_sqlite_connections_get_pragmas(clean_env, tmp_path):
    """Checked on an SQLite file of its own, so it also runs when the suite's database is PostgreSQL."""
    app = _plain_app(tmp_path / "instance")
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                assert connection.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
                assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
                assert connection.execute(sa.text("PRAGMA busy_timeout")).scalar() == 5000
        finally:
            db.engine.dispose()
