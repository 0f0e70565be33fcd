"""Audit planning: team, auditee representatives, agenda sessions and meetings."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("planning", __name__, url_prefix="/audits")
