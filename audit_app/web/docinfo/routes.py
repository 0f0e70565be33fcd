"""The documented-information register: the list with statuses (today or as of a day), an entry with its
history, editing (admins and lead auditors everything; an entry's owner its location, version and approval),
the organisation's own entries and retiring. Auditees have no access."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from audit_app.authz import require_role
from audit_app.models import DocumentedInfo
from audit_app.services.access import PLANNERS
from audit_app.services.docinfo import entries, prefill, register
from audit_app.services.docinfo.entries import OWNER_ROLES, READERS
from audit_app.services.docinfo.status import current_status
from audit_app.services.notifications.reminders import local_now
from audit_app.web.docinfo.forms import EntryForm, FilterForm, RetireForm
from audit_app.web.forms import form_action, render_form

bp = Blueprint("docinfo", __name__, url_prefix="/documents-register")


def _today() -> date:
    return local_now(current_app.config["ORG_TIMEZONE"]).date()


@bp.route("/")
@require_role(*READERS)
def index() -> tuple[str, int]:
    prefill.ensure_prefilled()  # a database initialised before the register existed: filled once (committed)
    form = FilterForm(request.args)
    form.set_choices()
    form.validate()
    today = _today()
    day = form.chosen_day(today)
    shown = register.view(today, as_of=day, status=form.chosen_status(), clause=form.chosen_clause())
    status = 400 if form.errors else 200
    return render_template("docinfo/index.html", form=form, shown=shown, today=today), status


@bp.route("/<int:entry_id>")
@require_role(*READERS)
def entry(entry_id: int) -> str:
    found = entries.get_entry(entry_id, current_user)
    retire = RetireForm(revision=str(found.revision))
    return render_template(
        "docinfo/entry.html",
        entry=found,
        status=current_status(found, _today()),
        history=entries.entry_history(found),
        editable=entries.editable_fields(current_user, found),
        retire_form=retire,
    )


@bp.route("/new", methods=["GET", "POST"])
@require_role(*PLANNERS)
def new() -> Response | tuple[str, int]:
    form = EntryForm()
    form.setup(None, entries.ALL_FIELDS)
    today = _today()
    if done := form_action(form, lambda: entries.create_entry(form.to_data(), current_user, today=today)):
        flash(f"Register entry “{done.value.title}” added.", "success")
        return redirect(url_for("docinfo.entry", entry_id=done.value.id))
    return render_form("docinfo/edit.html", form, entry=None)


@bp.route("/<int:entry_id>/edit", methods=["GET", "POST"])
@require_role(*OWNER_ROLES)
def edit(entry_id: int) -> Response | tuple[str, int]:
    """Admins and lead auditors change every field; the entry's owner its location, version and approval."""
    found = entries.get_entry(entry_id, current_user)
    editable = entries.editable_fields(current_user, found)
    if not editable:
        abort(409 if found.retired_at is not None else 403)
    form = EntryForm(obj=found)
    form.setup(found, editable)
    today = _today()

    def action() -> DocumentedInfo:
        entries.update_entry(found, form.to_data(), current_user, revision=form.read_revision(), today=today)
        return found

    if done := form_action(form, action):
        flash(f"Register entry “{done.value.title}” saved.", "success")
        return redirect(url_for("docinfo.entry", entry_id=done.value.id))
    return render_form("docinfo/edit.html", form, entry=found)


@bp.route("/<int:entry_id>/retire", methods=["POST"])
@require_role(*PLANNERS)
def retire(entry_id: int) -> Response | tuple[str, int]:
    found = entries.get_entry(entry_id, current_user)
    form = RetireForm()
    revision = int(form.revision.data) if (form.revision.data or "").isdigit() else None
    if form_action(form, lambda: entries.retire_entry(found, current_user, form.reason.data or "", revision=revision)):
        flash(f"Register entry “{found.title}” retired.", "success")
        return redirect(url_for("docinfo.index"))
    return render_form(
        "docinfo/entry.html",
        form,
        entry=found,
        status=current_status(found, _today()),
        history=entries.entry_history(found),
        editable=entries.editable_fields(current_user, found),
        retire_form=form,
    )
