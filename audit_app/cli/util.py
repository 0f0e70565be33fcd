"""Helpers shared by the commands."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import cast

import click
from flask import Flask, current_app
from werkzeug.local import LocalProxy

from audit_app.errors import DomainError, ValidationFailed
from audit_app.extensions import db


def running_app() -> Flask:
    """The application object itself, for what outlives the command's context (a server, the scheduler)."""
    return cast("LocalProxy[Flask]", current_app)._get_current_object()  # Flask types the proxy as the app


def read_password() -> str:
    """Prompt twice on a terminal; otherwise read one line from standard input."""
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    line = sys.stdin.readline()
    if not line:
        raise click.ClickException("No password given on standard input.")
    return line.rstrip("\r\n")


@contextlib.contextmanager
def abort_on_domain_error() -> Iterator[None]:
    """Roll back and exit non-zero with the rule's message."""
    try:
        yield
    except ValidationFailed as exc:
        db.session.rollback()
        details = "; ".join(m for msgs in exc.errors.values() for m in msgs)
        raise click.ClickException(f"{exc} {details}".strip()) from exc
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
