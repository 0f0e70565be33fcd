"""Where uploaded files live: one small interface, today a folder under instance/uploads/.

Files are write-once: `put` stores bytes under a new random key and never overwrites. A file written inside
a database transaction belongs to it: if the transaction does not commit (a refusal, an error, a lost race),
the file is removed again, so no failed request leaves an orphan behind; a file the transaction stops
referring to (`replaced`) is removed only once it commits. Another backend (object storage)
implements the same four calls and is chosen by configuration, without touching the rules that use it.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import IO, Protocol

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from audit_app.extensions import db

logger = logging.getLogger(__name__)

#: session.info key: files written in the session's current transaction, removed unless it commits.
_PENDING = "storage.pending"
#: session.info key: files the current transaction no longer refers to, removed once it commits.
_REPLACED = "storage.replaced"


class Storage(Protocol):
    """A write-once store of files in one area (evidence, populations, …)."""

    def put(self, data: bytes) -> str:
        """Store `data` under a new random key and return the key."""

    def open(self, key: str) -> IO[bytes]:
        """The stored bytes for reading (FileNotFoundError if missing)."""

    def exists(self, key: str) -> bool: ...

    def remove(self, key: str) -> None:
        """Delete a file (only for files whose transaction did not commit)."""


class FolderStorage:
    """Files in a folder on the local disk, named by their key."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not key or not all(c in "0123456789abcdef" for c in key):
            raise FileNotFoundError(f"not a storage key: {key!r}")
        return self.root / key

    def put(self, data: bytes) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(20)
        with self._path(key).open("xb") as handle:  # "x": never overwrite
            handle.write(data)
        _track(self, key)
        return key

    def open(self, key: str) -> IO[bytes]:
        return self._path(key).open("rb")

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).is_file()
        except FileNotFoundError:
            return False

    def remove(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def area(name: str) -> Storage:
    """The store for one kind of file (configured per app; a folder in the instance path by default)."""
    return FolderStorage(Path(current_app.instance_path) / "uploads" / name)


def _track(store: Storage, key: str) -> None:
    if db.session().get_transaction() is None:
        db.session.begin()  # the file belongs to a transaction even before any SQL has run in it
    pending: list[tuple[Storage, str]] = db.session.info.setdefault(_PENDING, [])
    pending.append((store, key))


def replaced(store: Storage, key: str) -> None:
    """`key` is no longer referred to (a snapshot frozen again): remove it once this transaction commits."""
    if key:
        if db.session().get_transaction() is None:
            db.session.begin()
        gone: list[tuple[Storage, str]] = db.session.info.setdefault(_REPLACED, [])
        gone.append((store, key))


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    session.info.pop(_PENDING, None)
    for store, key in session.info.pop(_REPLACED, []):
        logger.info("removing %s: replaced by a committed change", key)
        store.remove(key)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    session.info.pop(_REPLACED, None)  # the change that replaced them did not commit: they are still in use
    for store, key in session.info.pop(_PENDING, []):
        logger.info("removing %s: its transaction did not commit", key)
        store.remove(key)
