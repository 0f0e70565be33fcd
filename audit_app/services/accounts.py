"""Accounts: creation, sign-in with throttling, passwords, roles, deactivation and API tokens."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from audit_app.errors import DomainError, NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import Activity, ApiToken, OrgUnit, Role, User, hash_token, utcnow
from audit_app.services import activity, paging
from audit_app.services.text import clean

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TOKEN_PREFIX = "aims_"  # noqa: S105  (a visible prefix, not a secret)


class LoginRefused(DomainError):
    """Sign-in failed; the message is deliberately the same for unknown and wrong passwords."""


#: The same answer for an unknown e-mail, a wrong password and a deactivated account (no account enumeration).
WRONG_CREDENTIALS = "Wrong e-mail or password, or the account is deactivated."


class AccountLocked(LoginRefused):
    """Too many failures in a row; the account is locked for a while."""


@dataclass(frozen=True)
class UserData:
    email: str
    name: str
    role: Role
    org_unit_id: int | None = None


def normalise_email(email: str) -> str:
    value = clean(email, field="email", max_length=254, required=True).lower()
    if not EMAIL_RE.match(value):
        raise ValidationFailed("Enter a valid e-mail address.", {"email": ["Enter a valid e-mail address."]})
    return value


def _hash_method() -> str:
    return str(current_app.config["PASSWORD_HASH_METHOD"])


@lru_cache(maxsize=4)
def _decoy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_hex(16), method=method)


def _spend_a_password_check(password: str) -> None:
    """Refuse an unknown, deactivated or locked account as slowly as a wrong password, so timing tells nothing."""
    check_password_hash(_decoy_hash(_hash_method()), password or "")


def check_password_rules(password: str, *, email: str = "", name: str = "") -> None:
    """Refuse passwords that are short, blank-padded or equal to the account's own names."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    problems = []
    if len(password) < minimum:
        problems.append(f"Use at least {minimum} characters.")
    if len(password) > 256:
        problems.append("Use at most 256 characters.")
    if password.strip() != password:
        problems.append("Do not start or end the password with spaces.")
    lowered = password.lower()
    if lowered and lowered in {email.lower(), name.lower(), email.split("@")[0].lower()}:
        problems.append("Do not use your e-mail address or name as the password.")
    if len(set(password)) < 4:
        problems.append("Use more than three different characters.")
    if problems:
        raise ValidationFailed("The password does not meet the rules.", {"password": problems})


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"User {user_id} does not exist.")
    return user


def users_page(request: paging.PageRequest, *, active_first: bool = False, clamp: bool = False) -> paging.Page[User]:
    """One page of the accounts, by e-mail (active ones first on the admin page), with each one's unit."""
    order = (User.active.desc(), User.email, User.id) if active_first else (User.email, User.id)
    stmt = sa.select(User).options(*paging.shown_with(User.org_unit)).order_by(*order)
    return paging.paginate(stmt, request, clamp=clamp)


def history(user: User, *, limit: int = 20) -> list[Activity]:
    """The latest entries of the activity trail about an account, newest first."""
    return list(
        db.session.scalars(
            sa.select(Activity)
            .options(selectinload(Activity.actor))
            .where(Activity.subject_type == "User", Activity.subject_id == user.id)
            .order_by(Activity.id.desc())
            .limit(limit)
        )
    )


def find_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def _check_unit(role: Role, org_unit_id: int | None) -> None:
    if org_unit_id is not None and db.session.get(OrgUnit, org_unit_id) is None:
        raise ValidationFailed("Unknown org unit.", {"org_unit_id": ["Choose an existing org unit."]})
    if role is Role.AUDITEE and org_unit_id is None:
        raise ValidationFailed(
            "An auditee must belong to an org unit.", {"org_unit_id": ["Auditees belong to an org unit: choose one."]}
        )


def create_user(data: UserData, password: str, *, actor: User | None) -> User:
    """Create an account after checking e-mail, name, role, unit and password rules."""
    email = normalise_email(data.email)
    name = clean(data.name, field="name", max_length=120, required=True)
    if find_by_email(email) is not None:
        raise ValidationFailed(
            "An account with this e-mail already exists.", {"email": ["An account with this e-mail already exists."]}
        )
    _check_unit(data.role, data.org_unit_id)
    check_password_rules(password, email=email, name=name)
    user = User(email=email, name=name, role=data.role, org_unit_id=data.org_unit_id)
    user.set_password(password, _hash_method())
    db.session.add(user)
    activity.record(actor, "user.created", user, email=email, role=data.role.value)
    return user


def update_user(user: User, *, name: str, role: Role, org_unit_id: int | None, actor: User) -> User:
    """Change an account's name, role and org unit; an admin cannot demote themself."""
    name = clean(name, field="name", max_length=120, required=True)
    if user.id == actor.id and role is not Role.ADMIN:
        raise ValidationFailed(
            "You cannot remove your own administrator role.",
            {"role": ["Ask another administrator to change your role."]},
        )
    _check_unit(role, org_unit_id)
    changes = {}
    for field, value in (("name", name), ("role", role), ("org_unit_id", org_unit_id)):
        old = getattr(user, field)
        if old != value:
            changes[field] = [str(old) if old is not None else None, str(value) if value is not None else None]
            setattr(user, field, value)
    if "role" in changes:
        user.session_version += 1  # a role change takes effect at the next sign-in
    if changes:
        activity.record(actor, "user.updated", user, changes=changes)
    return user


def set_active(user: User, active: bool, *, actor: User | None) -> User:
    """Deactivate (sessions and tokens stop working) or reactivate an account."""
    if actor is not None and user.id == actor.id and not active:
        raise DomainError("You cannot deactivate your own account.")
    if user.active == active:
        return user
    user.active = active
    user.session_version += 1
    user.failed_logins = 0
    user.locked_until = None
    activity.record(actor, "user.activated" if active else "user.deactivated", user)
    return user


def authenticate(email: str, password: str) -> User:
    """Check credentials, count failures and lock the account after too many in a row.

    The attempt is counted *before* the password is checked, in one UPDATE that only matches an active, unlocked
    account. That UPDATE holds the row (PostgreSQL) or the database's write lock (SQLite) until the request ends,
    so parallel attempts on one account queue up and each sees the count the previous one left: at most
    LOGIN_MAX_FAILURES wrong passwords are ever checked before the lock holds. The caller commits, refusals too.
    """
    now = utcnow()
    claimed = db.session.execute(
        sa.update(User)
        .where(
            User.email == (email or "").strip().lower(),
            User.active.is_(True),
            sa.or_(User.locked_until.is_(None), User.locked_until <= now),
        )
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.id, User.failed_logins)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if claimed is None:
        _spend_a_password_check(password)
        raise _refusal(email, now)
    user = db.session.get_one(User, claimed.id, populate_existing=True)
    if not user.check_password(password or ""):
        if claimed.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
            user.failed_logins = 0
            activity.record(None, "user.locked", user)
        raise LoginRefused(WRONG_CREDENTIALS)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user


def _refusal(email: str, now: datetime) -> LoginRefused:
    """Why no attempt could be counted: no such active account, or it is locked (its password is not checked)."""
    user = find_by_email(email or "")
    if user is not None and user.active and user.locked_until is not None and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        return AccountLocked(
            f"Too many failed sign-in attempts. The account is locked; try again in {minutes} minutes "
            "or ask an administrator."
        )
    return LoginRefused(WRONG_CREDENTIALS)


def sign_out(user: User) -> None:
    """End every session of the account: the browser's cookie, and any copy of it, stops working.

    Sessions are signed cookies, so the server cannot forget one of them; bumping the session version (as a
    password change or deactivation does) refuses them all. API tokens are separate credentials and keep working.
    """
    user.session_version = User.session_version + 1  # in SQL: two sign-outs at once both count


def change_password(user: User, current: str, new: str) -> None:
    """Replace the password after checking the current one; other sessions end."""
    if not user.check_password(current or ""):
        raise ValidationFailed(
            "The current password is wrong.", {"current_password": ["This is not your current password."]}
        )
    if current == new:
        raise ValidationFailed(
            "Choose a new password.", {"password": ["The new password must differ from the current one."]}
        )
    check_password_rules(new, email=user.email, name=user.name)
    user.set_password(new, _hash_method())
    user.session_version += 1
    activity.record(user, "user.password_changed", user)


def set_password(user: User, new: str, *, actor: User | None) -> None:
    """Set a password from the command line or by an administrator."""
    check_password_rules(new, email=user.email, name=user.name)
    user.set_password(new, _hash_method())
    user.session_version += 1
    user.failed_logins = 0
    user.locked_until = None
    activity.record(actor, "user.password_set", user)


def user_for_session(session_id: str) -> User | None:
    """Load the session's user if the account is active and the session is current."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def create_token(user: User, name: str, *, actor: User | None) -> tuple[ApiToken, str]:
    """Create an API token; the raw value is returned once and only its hash is kept."""
    name = clean(name, field="name", max_length=80, required=True)
    if not user.active:
        raise DomainError("Deactivated accounts cannot get API tokens.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=hash_token(raw), prefix=raw[: len(TOKEN_PREFIX) + 6])
    db.session.add(token)
    activity.record(actor, "token.created", token, user_id=user.id, name=name)
    return token, raw


def list_tokens(user: User) -> list[ApiToken]:
    """The user's API tokens, newest first (revoked ones included)."""
    return list(db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def get_own_token(user: User, token_id: int) -> ApiToken:
    """One of the user's own tokens; another user's token is not found (nobody manages someone else's)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(f"API token {token_id} does not exist.")
    return token


def revoke_token(token: ApiToken, *, actor: User | None) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        activity.record(actor, "token.revoked", token, user_id=token.user_id)


def active_token(raw: str) -> ApiToken | None:
    """Resolve a bearer token, or None if unknown, revoked or its account is deactivated."""
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None or token.is_revoked or not token.user.active:
        return None
    return token
