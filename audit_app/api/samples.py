"""API: samples."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("api_samples", __name__, url_prefix="", description="samples")
