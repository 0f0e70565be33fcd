"""AIMS Audit: internal audit programmes and certification readiness for ISO/IEC 42001."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: defaults, then instance/config.py, then AUDIT_* variables, then overrides.

    The instance folder is `instance/` beside the package unless INSTANCE_PATH (in `overrides`) or
    the AUDIT_INSTANCE_PATH variable names another, absolute, path.
    """
    overrides = dict(overrides or {})
    instance_path = overrides.pop("INSTANCE_PATH", None) or os.environ.get("AUDIT_INSTANCE_PATH")
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    app.config.from_object("audit_app.config.DefaultConfig")
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env(prefix="AUDIT")
    if overrides:
        app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from audit_app import api, authz, cli, config, extensions, pipeline, security, web

    config.finalise(app)
    extensions.init_app(app)
    authz.init_app(app)
    security.init_app(app)
    pipeline.init_app(app)  # before any blueprint: route ids are bounded
    api.init_app(app)
    web.init_app(app)
    cli.init_app(app)
    pipeline.complete(app)  # last: errors mapped once, every view (the API's too) in the request transaction
    proxies = int(app.config["PROXY_FIX_X_FOR"])
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    return app
