"""The readiness dashboard (admins, lead auditors and management; auditees and auditors get 403).

GET shows both verdicts as of a day (`?as_of=YYYY-MM-DD`, blank: today) with every rule, its records and its
blockers, and the panels; POST /snapshots saves the verdicts as of the chosen day and shows the page again.
A day in the future or not a date is refused with the form's error (400), nothing computed from it.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from audit_app.authz import require_role
from audit_app.models import Role
from audit_app.models.base import utcnow
from audit_app.services.readiness import panels, snapshots
from audit_app.services.readiness.asof import AGE_BANDS, AsOf
from audit_app.web.forms import form_action
from audit_app.web.readiness.forms import AsOfForm, SnapshotForm

bp = Blueprint("readiness", __name__, url_prefix="/readiness")

#: Who sees the dashboard: it shows every unit's findings and the whole AIMS.
READERS = (Role.ADMIN, Role.LEAD_AUDITOR, Role.VIEWER)
#: Who may save a snapshot.
SNAPSHOT_TAKERS = (Role.ADMIN, Role.LEAD_AUDITOR)


def _page(day: date, form: AsOfForm, snapshot_form: SnapshotForm | None = None, status: int = 200) -> tuple[str, int]:
    board = panels.build(AsOf(day))
    may_snapshot = current_user.role in SNAPSHOT_TAKERS
    if snapshot_form is None and may_snapshot:
        snapshot_form = SnapshotForm(formdata=None)
        snapshot_form.as_of.data = day
    return (
        render_template(
            "readiness/dashboard.html",
            day=day,
            board=board,
            form=form,
            snapshot_form=snapshot_form if may_snapshot else None,
            trend=snapshots.trend(),
            blocker_count=snapshots.blocker_count,
            heat_columns=panels.HEAT_COLUMNS,
            age_bands=[label for label, _ in AGE_BANDS],
        ),
        status,
    )


def _today() -> date:
    return utcnow().date()


@bp.route("/")
@require_role(*READERS)
def dashboard() -> tuple[str, int]:
    today = _today()
    if not request.args.get("as_of"):
        form = AsOfForm(formdata=None)
        form.as_of.data = today
        return _page(today, form)
    form = AsOfForm(request.args)
    if not form.validate() or form.as_of.data is None:
        form.as_of.errors = ["Give the day as YYYY-MM-DD."]
        return _page(today, form, status=400)
    if form.as_of.data > today:
        form.as_of.errors = [snapshots.FUTURE]
        return _page(today, form, status=400)
    return _page(form.as_of.data, form)


@bp.route("/snapshots", methods=["POST"])
@require_role(*SNAPSHOT_TAKERS)
def save_snapshot() -> Response | tuple[str, int]:
    form = SnapshotForm()
    done = form_action(form, lambda: snapshots.save(form.as_of.data, actor=current_user, note=form.note.data or ""))
    if done is None:
        day = form.as_of.data if form.as_of.data and form.as_of.data <= _today() else _today()
        as_of = AsOfForm(formdata=None)
        as_of.as_of.data = day
        return _page(day, as_of, form, 400)
    flash("Snapshot saved.", "success")
    return redirect(url_for("readiness.dashboard", as_of=done.value.as_of.isoformat()))
