"""The signed-in user's own API tokens."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from audit_app.authz import require_role
from audit_app.errors import ValidationFailed
from audit_app.services import accounts
from audit_app.web.account.forms import TokenForm
from audit_app.web.forms import form_action, render_form

bp = Blueprint("account", __name__, url_prefix="/account")


def _in_summary(form: FlaskForm, exc: ValidationFailed) -> None:
    """The token form shows a refused label as one sentence above the form."""
    form.form_errors.append(str(exc))


@bp.route("/tokens", methods=["GET", "POST"])
@require_role()
def tokens() -> tuple[str, int]:
    form = TokenForm()
    new_token = None
    if done := form_action(
        form, lambda: accounts.create_token(current_user, form.name.data or "", actor=current_user), show=_in_summary
    ):
        _, new_token = done.value
        form = TokenForm(formdata=None)
    tokens = accounts.list_tokens(current_user)
    return render_form("account/tokens.html", form, tokens=tokens, new_token=new_token)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@require_role()
def revoke(token_id: int) -> Response:
    token = accounts.get_own_token(current_user, token_id)
    accounts.revoke_token(token, actor=current_user)
    flash(f"Token {token.name} revoked.", "success")
    return redirect(url_for("account.tokens"))
