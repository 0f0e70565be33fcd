"""Loading and authorizing for the fieldwork pages (working checklist, evidence, samples)."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from audit_app.errors import Conflict, NotAllowed, NotFound
from audit_app.models import Audit
from audit_app.services import access
from audit_app.services.access import Need


def viewable_audit(audit_id: int) -> Audit:
    """The audit, if the signed-in user may see its working papers (404 unknown or invisible, 403 not the team)."""
    try:
        audit = access.load_audit(current_user, audit_id)
        access.ensure(current_user, audit, Need.WORKING_PAPERS)
    except NotFound:
        abort(404)
    except NotAllowed:
        abort(403)
    return audit


def work_refusal(audit: Audit) -> Conflict | None:
    """Before reading input: 403 unless an auditing team member; the Conflict if not now (not in fieldwork)."""
    try:
        access.ensure(current_user, audit, Need.WORK)
    except NotAllowed:
        abort(403)
    except Conflict as exc:
        return exc
    return None


def read_only_reason(audit: Audit) -> str | None:
    """Why the signed-in user sees the page read-only, or None if they may record."""
    try:
        access.ensure(current_user, audit, Need.WORK)
    except (NotAllowed, Conflict) as exc:
        return str(exc)
    return None
