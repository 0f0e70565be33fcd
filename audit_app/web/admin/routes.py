"""Administration: user accounts, checklist import, the activity log and e-mail delivery."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from audit_app.authz import ADMIN_ONLY, require_role
from audit_app.errors import DomainError, NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import Activity, Role, User
from audit_app.services import accounts
from audit_app.services.library import checklists
from audit_app.services.library.checklist_files import ChecklistInvalid
from audit_app.services.notifications import mail
from audit_app.web.admin.forms import ChecklistUploadForm, UserCreateForm, UserEditForm
from audit_app.web.forms import show_errors

bp = Blueprint("admin", __name__, url_prefix="/admin")
ACTIVITY_PAGE = 50


def _user_or_404(user_id: int) -> User:
    try:
        return accounts.get_user(user_id)
    except NotFound:
        abort(404)


@bp.route("/users")
@require_role(*ADMIN_ONLY)
def users() -> str:
    rows = db.session.scalars(
        sa.select(User).options(selectinload(User.org_unit)).order_by(User.active.desc(), User.email)
    )
    return render_template("admin/users.html", users=list(rows))


@bp.route("/users/new", methods=["GET", "POST"])
@require_role(*ADMIN_ONLY)
def new_user() -> str | Response:
    form = UserCreateForm()
    form.set_units()
    if form.validate_on_submit():
        data = accounts.UserData(form.email.data or "", form.name.data or "", Role(form.role.data), form.unit_id())
        try:
            user = accounts.create_user(data, form.password.data or "", actor=current_user)
        except ValidationFailed as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            db.session.commit()
            flash(f"Account {user.email} created. Give the user the initial password by a separate channel.", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_new.html", form=form), 400 if form.errors or form.form_errors else 200


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require_role(*ADMIN_ONLY)
def edit_user(user_id: int) -> str | Response:
    user = _user_or_404(user_id)
    form = UserEditForm(obj=user)
    form.set_units()
    if not form.is_submitted():
        form.role.data = user.role.value
        form.org_unit_id.data = str(user.org_unit_id or "")
    if form.validate_on_submit():
        try:
            accounts.update_user(
                user,
                name=form.name.data or "",
                role=Role(form.role.data),
                org_unit_id=form.unit_id(),
                actor=current_user,
            )
        except ValidationFailed as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            db.session.commit()
            flash(f"Account {user.email} saved.", "success")
            return redirect(url_for("admin.users"))
    history = db.session.scalars(
        sa.select(Activity)
        .options(selectinload(Activity.actor))
        .where(Activity.subject_type == "User", Activity.subject_id == user.id)
        .order_by(Activity.id.desc())
        .limit(20)
    )
    status = 400 if form.errors or form.form_errors else 200
    return render_template("admin/user_edit.html", form=form, user=user, history=list(history)), status


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@require_role(*ADMIN_ONLY)
def set_active(user_id: int) -> Response:
    user = _user_or_404(user_id)
    active = request.form.get("active") == "1"
    try:
        accounts.set_active(user, active, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"Account {user.email} {'reactivated' if active else 'deactivated'}.", "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/checklists/import", methods=["GET", "POST"])
@require_role(*ADMIN_ONLY)
def checklist_import() -> str | Response:
    form = ChecklistUploadForm()
    problems: list[str] = []
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.stream.read(current_app.config["CHECKLIST_MAX_BYTES"] + 1)
        try:
            result = checklists.load_upload(upload.filename or "", data, actor=current_user)
        except ChecklistInvalid as exc:
            db.session.rollback()
            problems = [str(p) for p in exc.problems]
        except DomainError as exc:
            db.session.rollback()
            problems = [str(exc)]
        else:
            db.session.commit()
            flash(f"Checklist {result}.", "success")
            return redirect(url_for("library.version", version_id=result.version.id))
    status = 400 if problems or form.errors else 200
    return render_template("admin/checklist_import.html", form=form, problems=problems), status


@bp.route("/activity")
@require_role(*ADMIN_ONLY)
def activity() -> str:
    page = request.args.get("page", 1, type=int)
    pagination = db.paginate(
        sa.select(Activity).options(selectinload(Activity.actor)).order_by(Activity.id.desc()),
        page=page,
        per_page=ACTIVITY_PAGE,
        error_out=False,
    )
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
    try:
        note = mail.retry(notification_id, actor=current_user)
    except NotFound:
        abort(404)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.email"))
    address = note.user.email
    db.session.commit()
    flash(f"The e-mail to {address} is queued again; the scheduler sends it on its next run.", "success")
    return redirect(url_for("admin.email"))
