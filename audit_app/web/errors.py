"""The web face of the request pipeline: every error answered with a page.

403 and 404 have their own pages (an auditee never learns whether an audit they may not see exists);
a refusal of the domain (400 input, 409 the record's state) shows the message on a "nothing was changed"
page, under the audit's heading when the address names an audit the user may see; anything else gets the
generic or the 500 page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from audit_app import pipeline
from audit_app.errors import DomainError
from audit_app.services import access


@dataclass(frozen=True)
class NotFoundPage:
    """What the 404 page shows for a domain NotFound (the page reads `error.description`)."""

    description: str


def _back() -> str:
    """Where the refused request came from, if it was this site; else the audit's overview or the dashboard."""
    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if referrer and parts.netloc == request.host and parts.path.startswith("/") and parts.path != request.path:
        return parts.path + (f"?{parts.query}" if parts.query else "")
    audit_id = (request.view_args or {}).get("audit_id")
    if audit_id is not None:
        return url_for("audits.detail", audit_id=audit_id)
    return url_for("main.index")


def _audit_in_address() -> Any:
    audit_id = (request.view_args or {}).get("audit_id")
    if audit_id is None or not current_user.is_authenticated:
        return None
    return access.find_visible_audit(current_user, audit_id)


def render(exc: Exception, status: int) -> ResponseReturnValue:
    """The page for an error; `status` is what the pipeline decided."""
    if status == 403:
        return render_template("errors/403.html"), 403
    if status == 404:  # a domain NotFound says what is missing ("The stored file is missing; …")
        error = exc if isinstance(exc, HTTPException) else NotFoundPage(str(exc))
        return render_template("errors/404.html", error=error), 404
    if isinstance(exc, DomainError):
        details = [m for msgs in getattr(exc, "errors", {}).values() for m in msgs if m != str(exc)]
        page = render_template(
            "errors/refused.html",
            message=str(exc),
            details=details,
            audit=_audit_in_address(),
            back=_back(),
            reading=request.method in ("GET", "HEAD"),
        )
        return page, status
    if isinstance(exc, HTTPException):
        response = exc.get_response()
        page = render_template("errors/generic.html", error=exc)
        return page, status, {k: v for k, v in response.headers.items() if k == "Allow"}
    return render_template("errors/500.html"), 500


def init_app(app: Flask) -> None:
    pipeline.add_face(app, pipeline.Face("web", lambda: True, render), default=True)
