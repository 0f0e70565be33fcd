"""Running a form's service call: refusals land on the form, everything else goes to the request pipeline.

A route that handles a submitted form reads:

    if (done := form_action(form, lambda: service.do(..., actor=current_user))):
        flash(...)
        return redirect(...)
    return render_form("feature/page.html", form, ...)

`form_action` rolls back and puts a ValidationFailed next to the fields (400) and any other refusal of the
domain (a Conflict: a frozen section, the wrong stage) in the form's error summary (409). NotAllowed and
NotFound are not the form's business: they go on to the pipeline (403 and 404 pages). The pipeline commits
when the route answers with success.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import render_template
from flask_wtf import FlaskForm

from audit_app.errors import DomainError, NotAllowed, NotFound, ValidationFailed
from audit_app.extensions import db

T = TypeVar("T")

#: Where form_action keeps the status of a refused submission on the form.
_STATUS = "_refused_status"


@dataclass(frozen=True)
class Done(Generic[T]):
    """A successful form action and what the service returned (always truthy)."""

    value: T

    def __bool__(self) -> bool:
        return True


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


def show_all_errors(form: FlaskForm, exc: ValidationFailed) -> None:
    """Like show_errors, and messages for keys that are not fields of the form go to the error summary."""
    show_errors(form, exc)
    for name, messages in exc.errors.items():
        if not hasattr(getattr(form, name, None), "errors"):
            form.form_errors.extend(m for m in messages if m not in form.form_errors)


def refused(
    form: FlaskForm, exc: DomainError, *, show: Callable[[FlaskForm, ValidationFailed], None] = show_errors
) -> None:
    """Roll back and show a domain refusal on the form (400 for input, 409 for the record's state)."""
    if isinstance(exc, NotAllowed | NotFound):
        raise exc
    db.session.rollback()
    if isinstance(exc, ValidationFailed):
        show(form, exc)
        setattr(form, _STATUS, 400)
    else:
        form.form_errors.append(str(exc))
        setattr(form, _STATUS, 409)


def form_action(
    form: FlaskForm,
    action: Callable[[], T],
    *,
    validate: bool = True,
    show: Callable[[FlaskForm, ValidationFailed], None] = show_errors,
) -> Done[T] | None:
    """Run `action` if the form was submitted and is valid; Done(result), or None with the refusal on the form."""
    if validate and not form.validate_on_submit():
        return None
    try:
        return Done(action())
    except DomainError as exc:
        refused(form, exc, show=show)
        return None


def form_status(form: FlaskForm) -> int:
    """200 for a fresh form; 400 or 409 after a refused submission."""
    status: int | None = getattr(form, _STATUS, None)
    if status is not None:
        return status
    return 400 if form.is_submitted() and (form.errors or form.form_errors) else 200


def render_form(template: str, form: FlaskForm, **context: Any) -> tuple[str, int]:
    """The page around a form, with the status its last submission earned."""
    return render_template(template, form=form, **context), form_status(form)


def refusal_of(action: Callable[[], object]) -> str | None:
    """Run a button's service call; the refusal sentence (after a rollback) or None when it went through.

    For buttons whose page shows a refusal as a message instead of a separate page. NotAllowed and NotFound
    still go to the pipeline.
    """
    try:
        action()
    except (NotAllowed, NotFound):
        raise
    except DomainError as exc:
        db.session.rollback()
        return str(exc)
    return None


def optional_id(value: str | int | None) -> int | None:
    """Turn a select's value into an id, with "" or 0 meaning none."""
    if value in (None, "", 0, "0"):
        return None
    return int(value)
