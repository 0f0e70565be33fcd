"""Helpers shared by the web forms."""

from __future__ import annotations

from flask_wtf import FlaskForm

from audit_app.errors import ValidationFailed


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
