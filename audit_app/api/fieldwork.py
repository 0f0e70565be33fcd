"""API: fieldwork."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("api_fieldwork", __name__, url_prefix="", description="fieldwork")
