"""Configuration defaults and the rules that complete them at start-up."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class DefaultConfig:
    """Non-secret defaults; override in instance/config.py or with AUDIT_* variables."""

    #: The database URL; AUDIT_DATABASE_URL sets it. None means an SQLite file in the instance folder.
    DATABASE_URL: str | None = None
    #: Takes precedence over DATABASE_URL when set (tests set it).
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SECRET_KEY: str | None = None

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    #: Secure cookies by default; the demo command line turns this off for http://localhost.
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    WTF_CSRF_TIME_LIMIT = 8 * 3600

    PASSWORD_MIN_LENGTH = 12
    #: Werkzeug's hash method for passwords (scrypt; the test suite uses a cheap one, never production).
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105  (a method name, not a password)
    #: Failed sign-ins in a row before the account is locked for LOGIN_LOCK_MINUTES.
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    #: Rate limits on authentication (audit_app/throttle.py), per client address and over all clients, in the
    #: `limits` notation ("10 per minute"; several joined with ";"; empty for none). Sign-in counts every attempt,
    #: the API only failed tokens; each has its own counters under the same limits.
    #: How many proxies in front of the app set X-Forwarded-For (and -Proto, -Host): 1 behind one TLS
    #: proxy. 0 trusts no header (a client could forge its address otherwise). The throttles count
    #: clients by this address, so behind a proxy this must be set.
    PROXY_FIX_X_FOR = 0
    AUTH_RATE_LIMIT_ENABLED = True
    AUTH_RATE_LIMIT_PER_CLIENT = "10 per minute"
    AUTH_RATE_LIMIT_GLOBAL = "100 per minute"
    #: Where the counts are kept. memory:// counts in each process (one process: exact; n worker processes: up to
    #: n times the limit); several workers or servers share one store, e.g. redis://host:6379/0 (needs `redis`).
    AUTH_RATE_LIMIT_STORAGE_URI = "memory://"

    MAX_CONTENT_LENGTH = 32 * 1024 * 1024
    #: Largest evidence file accepted, and the file types accepted (checked by content).
    EVIDENCE_MAX_BYTES = 25 * 1024 * 1024
    EVIDENCE_ALLOWED_EXTENSIONS = [
        "pdf",
        "png",
        "jpg",
        "jpeg",
        "gif",
        "docx",
        "xlsx",
        "pptx",
        "csv",
        "txt",
        "md",
        "json",
    ]
    #: Largest population CSV accepted for sampling.
    POPULATION_MAX_BYTES = 30 * 1024 * 1024
    #: Largest checklist file (or all files of one checklist) accepted, in bytes.
    CHECKLIST_MAX_BYTES = 2 * 1024 * 1024
    CHECKLIST_DIR = str(PROJECT_ROOT / "checklists")
    REPORT_TEMPLATE_DIR = str(PROJECT_ROOT / "report_templates")

    #: Wall-clock time zone of agenda sessions and reminders.
    ORG_TIMEZONE = "Europe/London"
    #: Remind people of a session this many hours ahead, and of an audit's start this many days ahead.
    REMINDER_SESSION_HOURS = 24
    REMINDER_AUDIT_DAYS = 7
    #: How often the scheduler process runs the reminder job, in minutes.
    REMINDER_INTERVAL_MINUTES = 15
    #: Findings (DOMAIN 4.3): remind the people who must act this many days before a due date, and escalate to
    #: administrators and management this many days after it.
    FINDING_REMINDER_DAYS = 7
    FINDING_ESCALATION_DAYS = 30
    #: Documented-information register: remind an entry's owner this many days before its next review.
    DOCINFO_REMINDER_DAYS = 30
    #: Outgoing e-mail; with no MAIL_SERVER, notifications stay in the app only.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_FROM = "aims-audit@localhost"
    MAIL_TIMEOUT = 10
    #: A message the server refuses temporarily (4xx) is tried again on later runs, this many times in all.
    MAIL_MAX_ATTEMPTS = 5
    #: Absolute base URL for links in e-mails, e.g. https://audit.example.org
    BASE_URL = "http://127.0.0.1:5000"

    API_TITLE = "AIMS Audit API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"


def finalise(app: Flask) -> None:
    """Fill in the database URL and secret key when the configuration leaves them out."""
    instance = Path(app.instance_path)
    url = app.config.get("SQLALCHEMY_DATABASE_URI") or app.config.get("DATABASE_URL")
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url or f"sqlite:///{instance / 'audit.sqlite'}")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain PostgreSQL URLs (postgres://, postgresql://)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _instance_secret(path: Path) -> str:
    """Read the generated secret key, creating it (readable by the owner only) on first run."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip()
