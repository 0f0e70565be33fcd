"""Sign in, sign out and password change."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from audit_app.authz import public, require_role
from audit_app.extensions import db, throttle
from audit_app.services import accounts
from audit_app.throttle import Attempt, TooManyAttempts
from audit_app.web.auth.forms import LoginForm, PasswordChangeForm
from audit_app.web.forms import form_action, render_form

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
def login() -> Response | tuple[str, int] | tuple[str, int, dict[str, str]]:
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            throttle.count(Attempt.SIGN_IN, request.remote_addr)  # before the password is checked
            user = accounts.authenticate(form.email.data or "", form.password.data or "")
        except TooManyAttempts as exc:
            form.form_errors.append(exc.description or "")
            return render_template("auth/login.html", form=form), 429, {"Retry-After": str(exc.wait)}
        except accounts.LoginRefused as exc:
            # special: a refused sign-in answers 401, which the pipeline rolls back; keep the failure count and lock
            db.session.commit()
            form.form_errors.append(str(exc))
            return render_template("auth/login.html", form=form), 401
        login_user(user)
        flash(f"Signed in as {user.name}.", "success")
        return redirect(safe_next(request.args.get("next")))
    return render_form("auth/login.html", form)


@bp.route("/logout", methods=["POST"])
@require_role()
def logout() -> Response:
    # Everywhere: a session is a signed cookie, and only a new session version makes every copy of it stale.
    accounts.sign_out(current_user._get_current_object())
    logout_user()
    flash("You have signed out, in this browser and everywhere else you were signed in.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@require_role()
def password() -> Response | tuple[str, int]:
    form = PasswordChangeForm()
    if form_action(
        form,
        lambda: accounts.change_password(current_user, form.current_password.data or "", form.password.data or ""),
    ):
        login_user(current_user._get_current_object())  # the session id carries the new session version
        flash("Your password has been changed. Other sessions have been signed out.", "success")
        return redirect(url_for("main.index"))
    return render_form("auth/password.html", form)
