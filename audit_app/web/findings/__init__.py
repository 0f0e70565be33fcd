"""Findings and corrective action pages: the findings blueprint and every view's address.

routes.py drafts, reviews and issues findings (auditors and the lead auditor); capa.py is the auditee's answer and
the corrective-action loop (disputes, plan, actions, implementation, verification); dues.py holds due dates and
extension requests; register.py is the CAPA register with its exports. The finding page
(templates/findings/detail.html) includes one partial per area.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("findings", __name__)

GET, POST, FORM = ["GET"], ["POST"], ["GET", "POST"]
FINDING = "/findings/<int:finding_id>"

# Each module adds its own rules to `bp` when imported (keep the imports last).
from audit_app.web.findings import capa, dues, register, routes  # noqa: E402, F401
