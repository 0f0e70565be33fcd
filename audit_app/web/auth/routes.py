"""Sign in, sign out and password change."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from audit_app.authz import public, require_role
from audit_app.errors import ValidationFailed
from audit_app.extensions import db
from audit_app.services import accounts
from audit_app.web.auth.forms import LoginForm, PasswordChangeForm
from audit_app.web.forms import show_errors

bp = Blueprint("auth", __name__, url_prefix="/auth")


def safe_next(target: str | None) -> str:
    """Only allow same-site relative paths; anything else goes to the dashboard."""
    fallback = url_for("main.index")
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data or "", form.password.data or "")
        except accounts.LoginRefused as exc:
            db.session.commit()  # keep the failure count and any lock
            form.form_errors.append(str(exc))
            status = 401
        else:
            db.session.commit()
            login_user(user)
            flash(f"Signed in as {user.name}.", "success")
            return redirect(safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@require_role()
def logout() -> Response:
    logout_user()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@require_role()
def password() -> str | Response:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data or "", form.password.data or "")
        except ValidationFailed as exc:
            db.session.rollback()
            show_errors(form, exc)
            return render_template("auth/password.html", form=form), 400
        db.session.commit()
        login_user(current_user._get_current_object())  # the session id carries the new session version
        flash("Your password has been changed. Other sessions have been signed out.", "success")
        return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form), 400 if form.errors else 200
