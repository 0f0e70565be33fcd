"""`init` (migrate and load the clause library) and `demo` (load the demo organisation)."""

from __future__ import annotations

import shutil
from pathlib import Path

import click
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import upgrade
from werkzeug.serving import run_simple

from audit_app import demo
from audit_app.cli.util import running_app
from audit_app.demo import docinfo as demo_docinfo
from audit_app.demo import planning
from audit_app.demo import soa as demo_soa
from audit_app.extensions import db, migrate
from audit_app.models import ROLE_LABELS, utcnow
from audit_app.services.docinfo import prefill as docinfo_prefill
from audit_app.services.library import checklists
from audit_app.services.notifications import reminders


def _revisions() -> tuple[str | None, str | None]:
    """The database's current revision and the code's head revision."""
    head = ScriptDirectory.from_config(migrate.get_config()).get_current_head()
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, head


def _backup_sqlite() -> None:
    """Copy the SQLite file aside before migrating: SQLite DDL is not transactional."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database:
        return
    path = Path(url.database)
    if path.exists() and path.stat().st_size > 0:
        backups = Path(current_app.instance_path) / "backups"
        backups.mkdir(exist_ok=True)
        target = backups / f"{path.stem}-{utcnow():%Y%m%dT%H%M%S}.sqlite"
        shutil.copy2(path, target)
        click.echo(f"Backed up the database to {target}")


def run_init() -> None:
    current, head = _revisions()
    if current != head:
        if current is not None:  # an existing database: keep a copy in case the upgrade fails
            _backup_sqlite()
        upgrade()
    for result in checklists.load_built_in():
        click.echo(f"Checklist {result}")
    db.session.flush()
    if added := docinfo_prefill.prefill():
        click.echo(f"Documented-information register: {added} expected entries added")
    db.session.commit()


@click.command("init")
def init_command() -> None:
    """Migrate the database to the latest schema and load or refresh the clause library."""
    run_init()
    click.echo("Database ready.")


@click.command("demo")
@click.option("--serve", is_flag=True, help="Then start a local web server on --port.")
@click.option("--port", default=5000, show_default=True, help="Port for --serve.")
def demo_command(serve: bool, port: int) -> None:
    """Load the demo organisation and one user per role, then print where to sign in."""
    run_init()
    credentials = Path(current_app.instance_path) / "demo_credentials.txt"
    logins = demo.load_demo(credentials)
    db.session.commit()
    today = reminders.local_now(current_app.config["ORG_TIMEZONE"]).date()
    if planning.load_demo_programme(today) is not None:
        db.session.commit()
    if demo_docinfo.load_demo_register(today):
        db.session.commit()
    if demo_soa.load_demo_soa(today):
        db.session.commit()
    url = f"http://127.0.0.1:{port}/auth/login"
    click.echo(f"\nDemo organisation: {demo.ORG_NAME}\nSign in at {url}\n")
    for login in logins:
        click.echo(f"  {ROLE_LABELS[login.role]:<24} {login.email:<36} {login.password}")
    click.echo(f"\n(These credentials are kept in {credentials}.)")
    if serve:
        # Plain http on localhost: a Secure cookie would never be sent back.
        current_app.config["SESSION_COOKIE_SECURE"] = False
        current_app.config["REMEMBER_COOKIE_SECURE"] = False
        click.echo(f"Serving on {url} (press Ctrl+C to stop).")
        run_simple("127.0.0.1", port, running_app(), threaded=True)
