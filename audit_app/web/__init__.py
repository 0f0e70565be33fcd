"""The HTML user interface: blueprints, navigation and error pages."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from audit_app.extensions import db
from audit_app.services.notifications import inbox
from audit_app.web.nav import nav_for


def api_error(exc: HTTPException) -> Any:
    """Answer an API error as JSON with a message a person can act on."""
    data = getattr(exc, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    message = data.get("message") or exc.description
    if exc.code in (400, 422) and errors and not data.get("message"):
        flat = [
            f"{name}: {'; '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}"
            for location in errors.values()
            if isinstance(location, dict)
            for name, msgs in location.items()
        ]
        flat += [str(msg) for location in errors.values() if isinstance(location, list) for msg in location]
        message = "Invalid input. " + " ".join(flat)
    body: dict[str, Any] = {"code": exc.code, "status": exc.name, "message": message}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = exc.code or 500
    if exc.code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="aims-audit"'
    return response


def init_app(app: Flask) -> None:
    from audit_app.web.account.routes import bp as account_bp
    from audit_app.web.admin.routes import bp as admin_bp
    from audit_app.web.audits.routes import bp as audits_bp
    from audit_app.web.auth.routes import bp as auth_bp
    from audit_app.web.fieldwork.routes import bp as fieldwork_bp
    from audit_app.web.library.routes import bp as library_bp
    from audit_app.web.main.routes import bp as main_bp
    from audit_app.web.notifications.routes import bp as notifications_bp
    from audit_app.web.org.routes import bp as org_bp
    from audit_app.web.planning.routes import bp as planning_bp
    from audit_app.web.programmes.routes import bp as programmes_bp
    from audit_app.web.samples import calculator, results  # noqa: F401  (views on the samples blueprint)
    from audit_app.web.samples.routes import bp as samples_bp

    blueprints = (
        auth_bp,
        main_bp,
        account_bp,
        admin_bp,
        library_bp,
        org_bp,
        programmes_bp,
        audits_bp,
        planning_bp,
        notifications_bp,
        fieldwork_bp,
        samples_bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)

    @app.context_processor
    def _layout() -> dict[str, Any]:
        user = current_user if current_user and current_user.is_authenticated else None
        unread = inbox.unread_count(user) if user else 0
        return {"nav_items": nav_for(user.role) if user else [], "app_name": "AIMS Audit", "unread_count": unread}

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        if request.path.startswith("/api/"):
            return api_error(exc)
        template = f"errors/{exc.code}.html" if exc.code in (403, 404) else "errors/generic.html"
        return render_template(template, error=exc), exc.code

    @app.errorhandler(Exception)
    def _server_error(exc: Exception) -> Any:
        if isinstance(exc, HTTPException):
            return _http_error(exc)
        app.logger.exception("unhandled error on %s", request.path)
        db.session.rollback()
        if request.path.startswith("/api/"):
            return jsonify(
                code=500,
                status="Internal Server Error",
                message="Something went wrong on our side; the error has been logged.",
            ), 500
        return render_template("errors/500.html"), 500
