"""`users create|token|deactivate|activate|password`."""

from __future__ import annotations

import sys

import click

from audit_app.cli.util import abort_on_domain_error, read_password
from audit_app.extensions import db
from audit_app.models import OrgUnit, Role, User
from audit_app.services import accounts


@click.group("users")
def users_group() -> None:
    """Manage user accounts."""


def _user(email: str) -> User:
    user = accounts.find_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with e-mail {email}.")
    return user


@users_group.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Full name shown in the app.")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--unit", "unit_name", default=None, help="Org unit name (required for auditees).")
def create(email: str, name: str, role: str, unit_name: str | None) -> None:
    """Create an account; the password is prompted for, or read from standard input."""
    unit_id = None
    if unit_name:
        unit = db.session.scalar(db.select(OrgUnit).where(OrgUnit.name == unit_name))
        if unit is None:
            raise click.ClickException(f"No org unit named {unit_name!r}.")
        unit_id = unit.id
    password = read_password()
    with abort_on_domain_error():
        user = accounts.create_user(accounts.UserData(email, name, Role(role), unit_id), password, actor=None)
        db.session.commit()
    click.echo(f"Created {user.email} ({user.role.label}).")


@users_group.command("password")
@click.argument("email")
def password(email: str) -> None:
    """Set a new password (prompted, or read from standard input) and unlock the account."""
    user = _user(email)
    with abort_on_domain_error():
        accounts.set_password(user, read_password(), actor=None)
        db.session.commit()
    click.echo(f"Password changed for {user.email}.")


@users_group.command("token")
@click.argument("email")
@click.option("--name", default="command line", show_default=True, help="Label for the token.")
def token(email: str, name: str) -> None:
    """Create an API token and print it once; only its hash is stored."""
    user = _user(email)
    with abort_on_domain_error():
        _, raw = accounts.create_token(user, name, actor=None)
        db.session.commit()
    click.echo(raw)
    if sys.stdout.isatty():
        click.echo("Store it now: it cannot be shown again.", err=True)


@users_group.command("deactivate")
@click.argument("email")
def deactivate(email: str) -> None:
    """Deactivate an account: its sessions and API tokens stop working at once."""
    user = _user(email)
    with abort_on_domain_error():
        accounts.set_active(user, False, actor=None)
        db.session.commit()
    click.echo(f"Deactivated {user.email}.")


@users_group.command("activate")
@click.argument("email")
def activate(email: str) -> None:
    """Reactivate a deactivated account."""
    user = _user(email)
    accounts.set_active(user, True, actor=None)
    db.session.commit()
    click.echo(f"Activated {user.email}.")
