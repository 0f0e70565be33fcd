"""The signed-in user's own API tokens."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from audit_app.authz import require_role
from audit_app.errors import DomainError
from audit_app.extensions import db
from audit_app.models import ApiToken
from audit_app.services import accounts
from audit_app.web.account.forms import TokenForm

bp = Blueprint("account", __name__, url_prefix="/account")


def _own_tokens() -> list[ApiToken]:
    return list(
        db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc()))
    )


@bp.route("/tokens", methods=["GET", "POST"])
@require_role()
def tokens() -> str | Response:
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        try:
            _, new_token = accounts.create_token(current_user, form.name.data or "", actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            form = TokenForm(formdata=None)
    status = 400 if form.errors or form.form_errors else 200
    return render_template("account/tokens.html", form=form, tokens=_own_tokens(), new_token=new_token), status


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@require_role()
def revoke(token_id: int) -> Response:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:  # only your own tokens
        abort(404)
    accounts.revoke_token(token, actor=current_user)
    db.session.commit()
    flash(f"Token {token.name} revoked.", "success")
    return redirect(url_for("account.tokens"))
