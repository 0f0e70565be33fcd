"""Audit sampling: population, size, seeded selection, results and evaluation."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("samples", __name__, url_prefix="/audits")
