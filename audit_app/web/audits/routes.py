"""Audits: list, my audits, calendar, overview, details, scope, criteria and life cycle."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("audits", __name__, url_prefix="/audits")
