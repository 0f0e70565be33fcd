"""Administration: user accounts, checklist import, the activity log and e-mail delivery."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from audit_app.authz import ADMIN_ONLY, require_role
from audit_app.errors import Conflict, ValidationFailed
from audit_app.models import Role
from audit_app.services import accounts, paging
from audit_app.services import activity as trail
from audit_app.services.library import checklists
from audit_app.services.library.checklist_files import ChecklistInvalid
from audit_app.services.notifications import mail
from audit_app.web.admin.forms import ChecklistUploadForm, UserCreateForm, UserEditForm
from audit_app.web.forms import form_action, refusal_of, render_form

bp = Blueprint("admin", __name__, url_prefix="/admin")
ACTIVITY_PAGE = 50


@bp.route("/users")
@require_role(*ADMIN_ONLY)
def users() -> str:
    listing = accounts.users_page(paging.PageRequest.from_args(request.args), active_first=True, clamp=True)
    return render_template("admin/users.html", listing=listing)


@bp.route("/users/new", methods=["GET", "POST"])
@require_role(*ADMIN_ONLY)
def new_user() -> Response | tuple[str, int]:
    form = UserCreateForm()
    form.set_units()
    if done := form_action(
        form, lambda: accounts.create_user(form.to_data(), form.password.data or "", actor=current_user)
    ):
        flash(
            f"Account {done.value.email} created. Give the user the initial password by a separate channel.", "success"
        )
        return redirect(url_for("admin.users"))
    return render_form("admin/user_new.html", form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require_role(*ADMIN_ONLY)
def edit_user(user_id: int) -> Response | tuple[str, int]:
    user = accounts.get_user(user_id)
    form = UserEditForm(obj=user)
    form.set_units()
    if not form.is_submitted():
        form.role.data = user.role.value
        form.org_unit_id.data = str(user.org_unit_id or "")
    if form_action(
        form,
        lambda: accounts.update_user(
            user, name=form.name.data or "", role=Role(form.role.data), org_unit_id=form.unit_id(), actor=current_user
        ),
    ):
        flash(f"Account {user.email} saved.", "success")
        return redirect(url_for("admin.users"))
    return render_form("admin/user_edit.html", form, user=user, history=accounts.history(user))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@require_role(*ADMIN_ONLY)
def set_active(user_id: int) -> Response:
    user = accounts.get_user(user_id)
    active = request.form.get("active") == "1"
    if refused := refusal_of(lambda: accounts.set_active(user, active, actor=current_user)):
        flash(refused, "error")
    else:
        flash(f"Account {user.email} {'reactivated' if active else 'deactivated'}.", "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/checklists/import", methods=["GET", "POST"])
@require_role(*ADMIN_ONLY)
def checklist_import() -> Response | tuple[str, int]:
    form = ChecklistUploadForm()
    problems: list[str] = []
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.stream.read(current_app.config["CHECKLIST_MAX_BYTES"] + 1)
        try:  # special: the page lists every problem of a refused checklist (ChecklistInvalid.problems)
            result = checklists.load_upload(upload.filename or "", data, actor=current_user)
        except (ValidationFailed, Conflict) as exc:
            problems = [str(p) for p in exc.problems] if isinstance(exc, ChecklistInvalid) else [str(exc)]
        else:
            flash(f"Checklist {result}.", "success")
            return redirect(url_for("library.version", version_id=result.version.id))
    status = 400 if problems or form.errors else 200
    return render_template("admin/checklist_import.html", form=form, problems=problems), status


@bp.route("/activity")
@require_role(*ADMIN_ONLY)
def activity() -> str:
    asked = paging.PageRequest.from_args(request.args, size_param=None)  # a page number any database can offset
    pagination = trail.trail_page(asked.number, ACTIVITY_PAGE)
    return render_template("admin/activity.html", pagination=pagination)


@bp.route("/email")
@require_role(*ADMIN_ONLY)
def email() -> str:
    return render_template(
        "admin/email.html",
        report=mail.delivery_report(),
        listed=mail.LISTED,
        configured=bool(current_app.config.get("MAIL_SERVER")),
        max_attempts=current_app.config["MAIL_MAX_ATTEMPTS"],
    )


@bp.post("/email/<int:notification_id>/retry")
@require_role(*ADMIN_ONLY)
def retry_email(notification_id: int) -> Response:
    note = mail.get_notification(notification_id)
    if refused := refusal_of(lambda: mail.retry(note, actor=current_user)):
        flash(refused, "error")
    else:
        flash(f"The e-mail to {note.user.email} is queued again; the scheduler sends it on its next run.", "success")
    return redirect(url_for("admin.email"))
