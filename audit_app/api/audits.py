"""API: audits (filled in by the planning issue)."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("api_audits", __name__, url_prefix="", description="audits")
