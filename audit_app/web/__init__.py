"""The HTML user interface: blueprints, navigation, and the web face of the request pipeline (errors.py)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_login import current_user

from audit_app.services.notifications import inbox
from audit_app.web import errors
from audit_app.web.nav import nav_for


def init_app(app: Flask) -> None:
    from audit_app.web.account.routes import bp as account_bp
    from audit_app.web.admin import templates_routes  # noqa: F401  (its routes join the admin blueprint)
    from audit_app.web.admin.routes import bp as admin_bp
    from audit_app.web.auditors.routes import bp as auditors_bp
    from audit_app.web.audits.routes import bp as audits_bp
    from audit_app.web.auth.routes import bp as auth_bp
    from audit_app.web.docinfo.routes import bp as docinfo_bp
    from audit_app.web.fieldwork.routes import bp as fieldwork_bp
    from audit_app.web.findings import bp as findings_bp
    from audit_app.web.library.routes import bp as library_bp
    from audit_app.web.main.routes import bp as main_bp
    from audit_app.web.notifications.routes import bp as notifications_bp
    from audit_app.web.org.routes import bp as org_bp
    from audit_app.web.planning.routes import bp as planning_bp
    from audit_app.web.programmes.routes import bp as programmes_bp
    from audit_app.web.readiness.routes import bp as readiness_bp
    from audit_app.web.reports.routes import bp as reports_bp
    from audit_app.web.reviews.routes import bp as reviews_bp
    from audit_app.web.samples import bp as samples_bp
    from audit_app.web.soa.routes import bp as soa_bp

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
        auditors_bp,
        notifications_bp,
        fieldwork_bp,
        samples_bp,
        findings_bp,
        reports_bp,
        soa_bp,
        docinfo_bp,
        readiness_bp,
        reviews_bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)

    @app.context_processor
    def _layout() -> dict[str, Any]:
        user = current_user if current_user and current_user.is_authenticated else None
        unread = inbox.unread_count(user) if user else 0
        return {"nav_items": nav_for(user.role) if user else [], "app_name": "AIMS Audit", "unread_count": unread}

    errors.init_app(app)
