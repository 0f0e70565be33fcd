"""The signed-in user's notifications: list them, mark one or all as read."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from audit_app.authz import require_role
from audit_app.services.notifications import inbox

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/")
@require_role()
def index() -> str:
    items = inbox.list_for(current_user)
    return render_template("notifications/index.html", items=items, unread=sum(1 for n in items if n.read_at is None))


@bp.post("/read")
@require_role()
def mark_read() -> Response:
    raw = (request.form.get("notification_id") or "").strip()
    if raw and not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        abort(400, description="notification_id must be a notification number.")
    changed = inbox.mark_read(current_user, int(raw) if raw else None)
    if changed:
        flash(f"{changed} notification{'s' if changed != 1 else ''} marked as read.", "success")
    else:
        flash("Nothing to mark as read.", "info")
    return redirect(url_for("notifications.index"))
