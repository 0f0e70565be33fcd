"""API: sampling."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("api_sampling", __name__, url_prefix="", description="sampling")
