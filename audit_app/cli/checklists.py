"""`checklists validate PATH` and `checklists import PATH`."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click

from audit_app.cli.util import abort_on_domain_error
from audit_app.extensions import db
from audit_app.services.library import checklists
from audit_app.services.library.checklist_files import ChecklistInvalid


@click.group("checklists")
def checklists_group() -> None:
    """Validate and import checklist files."""


def _report(exc: ChecklistInvalid) -> NoReturn:
    """Name every problem on standard error, then exit non-zero."""
    for problem in exc.problems:
        click.echo(f"error: {problem}", err=True)
    raise click.ClickException(f"{len(exc.problems)} problem(s); nothing was loaded.") from exc


@checklists_group.command("validate")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def validate(path: Path) -> None:
    """Check a checklist file or directory and name every error with its file and item."""
    try:
        parsed = checklists.validate_path(path)
    except ChecklistInvalid as exc:
        _report(exc)
    header = parsed.header
    click.echo(
        f"OK: {header['code']} version {header['version']}, {len(parsed.items)} items, sha256 {parsed.content_hash}"
    )


@checklists_group.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def import_(path: Path) -> None:
    """Validate and load a checklist; all or nothing, and safe to repeat."""
    with abort_on_domain_error():
        try:
            result = checklists.load_path(path, actor=None)
        except ChecklistInvalid as exc:  # every problem on its own line, not the one-line summary of other refusals
            db.session.rollback()
            _report(exc)
        db.session.commit()
    click.echo(f"Checklist {result}")
