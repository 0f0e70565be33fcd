"""JSON API under /api/v1: bearer tokens, marshmallow schemas, OpenAPI 3 from the same schemas.

The API is its own face of the request pipeline: it authenticates its requests (api/auth.py) and answers
every error as JSON (api/errors.py); routes call a service and return what the schema dumps.
"""

from __future__ import annotations

from flask import Flask, Response, request

from audit_app import authz
from audit_app.api import auth, errors
from audit_app.api.openapi import AuditApi, ErrorResponses
from audit_app.extensions import csrf

api = AuditApi()


def init_app(app: Flask) -> None:
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": "AIMS Audit: ISO/IEC 42001 internal audit programmes. "
                "Authenticate with `Authorization: Bearer <token>` (create one with "
                "`flask --app wsgi users token EMAIL` or on the API tokens page)."
            },
            "security": [{"bearerAuth": []}],
        },
    )
    api.init_app(app, spec_kwargs={"extra_plugins": [ErrorResponses(app)]})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})

    from audit_app.api import (
        auditors,
        audits,
        capa,
        checklists,
        docinfo,
        fieldwork,
        findings,
        me,
        org,
        planning,
        programmes,
        readiness,
        reports,
        reviews,
        samples,
        sampling,
        soa,
        users,
    )

    names = set()
    modules = (me, users, org, checklists, programmes, audits, planning, auditors, fieldwork, samples, sampling)
    for module in (*modules, findings, capa, reports, docinfo, reviews, readiness, soa):
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp, url_prefix=f"/api/v1{module.blp.url_prefix or ''}")
        authz.authenticates_itself(module.blp.name)
        names.add(module.blp.name)
    names.add("api-docs")
    blueprints = frozenset(names)
    errors.init_app(app, blueprints)

    @app.before_request
    def _authenticate() -> Response | None:
        return auth.authenticate_bearer() if request.blueprint in blueprints else None
