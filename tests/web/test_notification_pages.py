"""Notification pages: each user sees and marks only their own notifications."""

from __future__ import annotations

import itertools

import sqlalchemy as sa
from flask import Flask

from audit_app.extensions import db
from audit_app.models import Notification, Role

_seq = itertools.count(1)


def notify(app: Flask, user_id: int, subject: str, link: str = "/audits/1/agenda") -> int:
    with app.app_context():
        note = Notification(
            user_id=user_id,
            kind="session_reminder",
            subject=subject,
            body=f"Body of {subject}.",
            link=link,
            dedupe_key=f"test:{next(_seq)}",
        )
        db.session.add(note)
        db.session.commit()
        return note.id


def read_state(app: Flask) -> dict[str, bool]:
    """subject -> read?"""
    with app.app_context():
        return {n.subject: n.read_at is not None for n in db.session.scalars(sa.select(Notification))}


def test_list_shows_only_own_notifications_with_unread_in_words(client, app, make_user, login):
    me, other = make_user(Role.AUDITOR), make_user(Role.AUDITEE)
    notify(app, me, "Interview tomorrow at 09:00", link="/audits/7/agenda")
    notify(app, other, "Someone else's reminder")
    login(me)
    response = client.get("/notifications/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<a href="/audits/7/agenda">Interview tomorrow at 09:00</a>' in page
    assert "Body of Interview tomorrow at 09:00." in page
    assert "● Unread" in page
    assert "1 unread of 1." in page
    assert "Someone else" not in page
    assert "Mark all as read" in page
    assert "Mark as read" in page


def test_mark_one_then_all_as_read(client, app, make_user, login):
    me = make_user(Role.VIEWER)
    first = notify(app, me, "First")
    notify(app, me, "Second")
    notify(app, me, "Third")
    login(me)
    response = client.post("/notifications/read", data={"notification_id": str(first)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/notifications/")
    assert read_state(app) == {"First": True, "Second": False, "Third": False}
    page = client.get("/notifications/").get_data(as_text=True)
    assert "1 notification marked as read." in page
    assert "2 unread of 3." in page
    first_row = page.split(">First</a>")[0].rsplit("<tr>", 1)[1]
    assert "Read</span>" in first_row
    assert "Unread" not in first_row

    assert client.post("/notifications/read", data={}).status_code == 302
    assert read_state(app) == {"First": True, "Second": True, "Third": True}
    page = client.get("/notifications/").get_data(as_text=True)
    assert "2 notifications marked as read." in page
    assert "Unread" not in page
    assert "Mark all as read" not in page


def test_cannot_mark_another_users_notification(client, app, make_user, login):
    me, other = make_user(Role.AUDITOR), make_user(Role.LEAD_AUDITOR)
    mine = notify(app, me, "Mine")
    theirs = notify(app, other, "Theirs")
    login(me)
    assert client.post("/notifications/read", data={"notification_id": str(theirs)}).status_code == 302
    assert read_state(app) == {"Mine": False, "Theirs": False}
    assert "Nothing to mark as read." in client.get("/notifications/").get_data(as_text=True)

    for bad in ("abc", "-1", "²", "9" * 40):
        assert client.post("/notifications/read", data={"notification_id": bad}).status_code == 400, bad
    assert client.post("/notifications/read").status_code == 302  # all of mine, none of theirs
    assert read_state(app) == {"Mine": True, "Theirs": False}
    assert mine != theirs
