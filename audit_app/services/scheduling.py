"""The scheduler process: APScheduler 3 with a database job store, never inside web workers."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from audit_app.extensions import db
from audit_app.services.notifications import docinfo_reminders, finding_reminders, mail, reminders, review_reminders

logger = logging.getLogger(__name__)

#: Table APScheduler keeps its jobs in (outside our models; migrations ignore it).
JOB_TABLE = "scheduler_job"
_app: Flask | None = None


def in_app_context(job: Callable[[], object]) -> Callable[[], None]:
    """Run a job inside the bound app's context, committing on success and rolling back on error."""

    @functools.wraps(job)
    def runner() -> None:
        if _app is None:
            raise RuntimeError("scheduler jobs need scheduling.bind(app) first")
        with _app.app_context():
            try:
                job()
                db.session.commit()
            except Exception:
                db.session.rollback()
                logger.exception("scheduled job %s failed", job.__name__)
                raise

    return runner


def _reminders() -> None:
    assert _app is not None  # noqa: S101  (set by bind)
    created = reminders.run_reminders(_app.config)
    created += finding_reminders.run_finding_reminders(_app.config)
    created += docinfo_reminders.run_docinfo_reminders(_app.config)
    created += review_reminders.run_review_reminders(_app.config)
    db.session.commit()
    sent = mail.send_pending_email(_app.config)
    logger.info("reminders: %d new notifications, %d e-mails sent", created, sent)


#: The job callables, referenced by name from the job store so jobs survive restarts.
reminder_job = in_app_context(_reminders)


def bind(app: Flask) -> None:
    global _app
    _app = app


def build_scheduler(app: Flask) -> BlockingScheduler:
    """A scheduler whose jobs live in the app database, so schedules survive restarts."""
    bind(app)
    store = SQLAlchemyJobStore(url=app.config["SQLALCHEMY_DATABASE_URI"], tablename=JOB_TABLE)
    scheduler = BlockingScheduler(timezone=app.config["ORG_TIMEZONE"], jobstores={"default": store})
    scheduler.add_job(
        "audit_app.services.scheduling:reminder_job",
        "interval",
        minutes=app.config["REMINDER_INTERVAL_MINUTES"],
        id="reminders",
        name="Session and audit reminders",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=3600,
    )
    return scheduler
