"""Fieldwork: the working checklist, results per item, evidence entries and files."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("fieldwork", __name__, url_prefix="/audits")
