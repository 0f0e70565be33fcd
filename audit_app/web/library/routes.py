"""The clause library: browse checklist versions, search, and one page per item."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from audit_app.authz import require_role
from audit_app.services.library import checklists

bp = Blueprint("library", __name__, url_prefix="/library")


@bp.route("/")
@require_role()
def index() -> str:
    query = (request.args.get("q") or "").strip()[:200]
    results = checklists.search(query) if query else []
    return render_template("library/index.html", versions=checklists.list_versions(), query=query, results=results)


@bp.route("/<int:version_id>/")
@require_role()
def version(version_id: int) -> str:
    version = checklists.get_version(version_id)
    return render_template("library/version.html", version=version, items=checklists.version_items(version))


@bp.route("/<int:version_id>/items/<string:ref>")
@require_role()
def item(version_id: int, ref: str) -> str:
    version = checklists.get_version(version_id)
    item = checklists.get_item(version, ref)
    items = {i.ref: i for i in checklists.version_items(version)}
    children = [i for i in items.values() if i.parent_ref == item.ref]
    related = [items[r] for r in item.related if r in items]
    parent = items.get(item.parent_ref) if item.parent_ref else None
    return render_template(
        "library/item.html", version=version, item=item, children=children, related=related, parent=parent
    )
