"""`scheduler`: the one process that runs background jobs (never the web workers)."""

from __future__ import annotations

import click

from audit_app.cli.util import running_app
from audit_app.extensions import db
from audit_app.services import scheduling
from audit_app.services.notifications import docinfo_reminders, finding_reminders, mail, reminders, review_reminders


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run the reminder job once now and exit (for cron or checks).")
def scheduler_command(once: bool) -> None:
    """Run the job scheduler: session and audit reminders, in-app and by e-mail when configured."""
    app = running_app()
    if once:
        created = reminders.run_reminders(app.config)
        created += finding_reminders.run_finding_reminders(app.config)
        created += docinfo_reminders.run_docinfo_reminders(app.config)
        created += review_reminders.run_review_reminders(app.config)
        db.session.commit()
        sent = mail.send_pending_email(app.config)
        click.echo(f"{created} new notification(s), {sent} e-mail(s) sent.")
        return
    scheduler = scheduling.build_scheduler(app)
    click.echo(
        f"Scheduler running: reminders every {app.config['REMINDER_INTERVAL_MINUTES']} minutes. Press Ctrl+C to stop."
    )
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)
