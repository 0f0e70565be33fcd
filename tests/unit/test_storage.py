"""File storage: write-once, and a file whose transaction does not commit is removed again."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from audit_app.extensions import db
from audit_app.models import OrgUnit, UnitKind
from audit_app.services import storage


def _files(app: Flask, area: str) -> list[str]:
    root = Path(app.instance_path) / "uploads" / area
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def test_a_committed_file_stays_and_reads_back(app: Flask) -> None:
    with app.app_context():
        store = storage.area("evidence")
        db.session.add(OrgUnit(name="Unit", kind=UnitKind.DEPARTMENT))
        key = store.put(b"minutes of the opening meeting")
        db.session.commit()
        with store.open(key) as handle:
            assert handle.read() == b"minutes of the opening meeting"
    assert _files(app, "evidence") == [key]


@pytest.mark.parametrize("ending", ["rollback", "close"])
def test_a_file_whose_transaction_does_not_commit_is_removed(app: Flask, ending: str) -> None:
    with app.app_context():
        db.session.add(OrgUnit(name="Unit", kind=UnitKind.DEPARTMENT))
        db.session.flush()
        key = storage.area("populations").put(b"id\nA\nB\n")
        assert storage.area("populations").exists(key)
        if ending == "rollback":
            db.session.rollback()
        else:
            db.session.remove()  # what the end of a request does with an uncommitted session
    assert _files(app, "populations") == []
    with app.app_context():
        assert not storage.area("populations").exists(key)


def test_files_are_never_overwritten_and_keys_are_checked(app: Flask) -> None:
    with app.app_context():
        store = storage.area("evidence")
        db.session.add(OrgUnit(name="Unit", kind=UnitKind.DEPARTMENT))
        first, second = store.put(b"one"), store.put(b"one")
        db.session.commit()
        assert first != second
        for bad in ("../secret_key", "", "ABC", first + "/x"):
            with pytest.raises(FileNotFoundError):
                store.open(bad)
            assert not store.exists(bad)


def test_a_replaced_file_goes_only_when_its_replacement_commits(app: Flask) -> None:
    with app.app_context():
        store = storage.area("populations")
        db.session.add(OrgUnit(name="Unit", kind=UnitKind.DEPARTMENT))
        old = store.put(b"first population")
        db.session.commit()
        new = store.put(b"second population")
        storage.replaced(store, old)
        db.session.rollback()  # the change was refused: the old file is still the one in use
        assert store.exists(old)
        assert not store.exists(new)
        db.session.add(OrgUnit(name="Other", kind=UnitKind.DEPARTMENT))
        newer = store.put(b"second population")
        storage.replaced(store, old)
        db.session.commit()
    assert _files(app, "populations") == [newer]
