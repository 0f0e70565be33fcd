"""Audit sampling pages: the samples blueprint and every view's address.

routes.py sets a sample up (list, new, detail, population, method and size), results.py works it (draw, the results
grid, evaluation, interpretation, sign-off, export), calculator.py is the standalone calculator; pages.py
holds what they share.
"""

from __future__ import annotations

from flask import Blueprint

from audit_app.web.samples import calculator, pages, results, routes

bp = Blueprint("samples", __name__, url_prefix="/audits")
bp.context_processor(pages.template_helpers)

SAMPLE = "/<int:audit_id>/samples/<int:sample_id>"
GET, POST, FORM = ["GET"], ["POST"], ["GET", "POST"]

bp.add_url_rule("/<int:audit_id>/samples", "index", routes.index, methods=GET)
bp.add_url_rule("/<int:audit_id>/samples/new", "new", routes.new, methods=FORM)
bp.add_url_rule(SAMPLE, "detail", routes.detail, methods=GET)
bp.add_url_rule(f"{SAMPLE}/population", "population", routes.population, methods=FORM)
bp.add_url_rule(f"{SAMPLE}/size", "size", routes.size, methods=FORM)
bp.add_url_rule(f"{SAMPLE}/draw", "draw", results.draw, methods=POST)
bp.add_url_rule(f"{SAMPLE}/reperformance", "reperform", results.reperform, methods=POST)
bp.add_url_rule(f"{SAMPLE}/results", "record_results", results.record_results, methods=POST)
bp.add_url_rule(f"{SAMPLE}/evaluate", "evaluate", results.evaluate, methods=POST)
bp.add_url_rule(f"{SAMPLE}/interpretation", "interpret", results.interpret, methods=POST)
bp.add_url_rule(f"{SAMPLE}/sign-off", "sign_off", results.sign_off, methods=POST)
bp.add_url_rule(f"{SAMPLE}/export.csv", "export", results.export, methods=GET)
bp.add_url_rule("/sampling/calculator", "calculator", calculator.calculator, methods=GET)
