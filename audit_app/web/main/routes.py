"""The dashboard."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from audit_app.authz import require_role
from audit_app.services import dashboard
from audit_app.services.findings import portal

bp = Blueprint("main", __name__)


@bp.route("/")
@require_role()
def index() -> str:
    return render_template("main/index.html", summary=dashboard.summary(current_user), portal=portal.home(current_user))
