"""Helpers shared by the web forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import abort
from flask_wtf import FlaskForm

from audit_app.errors import DomainError, NotAllowed, ValidationFailed
from audit_app.extensions import db

T = TypeVar("T")


def show_errors(form: FlaskForm, exc: ValidationFailed) -> None:
    """Put a service's validation errors next to the matching fields (or on the form)."""
    placed = False
    for name, messages in exc.errors.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, *messages]
            placed = True
    if not placed:
        form.form_errors.append(str(exc))


def optional_id(value: str | int | None) -> int | None:
    """Turn a select's value into an id, with "" or 0 meaning none."""
    if value in (None, "", 0, "0"):
        return None
    return int(value)


def attempt(
    form: FlaskForm, action: Callable[[], T], *, show: Callable[[FlaskForm, ValidationFailed], None] = show_errors
) -> tuple[T | None, int]:
    """Run one service call for a submitted form.

    Returns (result, 200) on success (the caller commits). Otherwise rolls back and returns (None, 400)
    with the errors placed on the form, or (None, 409) when a state rule refused it. NotAllowed is a 403.
    """
    try:
        result = action()
    except NotAllowed:
        db.session.rollback()
        abort(403)
    except ValidationFailed as exc:
        db.session.rollback()
        show(form, exc)
        return None, 400
    except DomainError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return None, 409
    return result, 200
