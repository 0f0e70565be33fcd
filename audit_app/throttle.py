"""Rate limits on authentication: sign-in attempts and failed API tokens, per client address and over all clients.

The lock-out (services/accounts.py) protects one account at a time; these limits stop a client, or many, from
guessing across accounts (password spraying) or hammering the API with bad tokens. A spent limit answers 429 with
Retry-After and a message saying how long to wait.

- Sign-in: every submitted attempt is counted *before* its password is checked, per client and over all clients.
  A successful sign-in counts too: counting first is what keeps the limit exact under parallel requests (there is
  nothing to hand back afterwards), and people sign in far less often than the limit allows. Trade-off: while the
  global limit is spent (a distributed attack), nobody can sign in until it recovers; sessions already signed in and
  API tokens keep working.
- API tokens: only failed authentications count (an unknown, revoked or deactivated account's token). A client
  that has spent its limit is refused before its token is even looked up; the global limit only turns further
  failures into 429s, so bad tokens sent from many addresses cannot switch off working integrations (a token is
  random and cannot be guessed, so there is no guessing to stop there).

The client is the request's remote address (for IPv6, its /64 network). Behind a reverse proxy that is the proxy's
address unless the app trusts the proxy's X-Forwarded-For (werkzeug's ProxyFix); without that, every client shares
one budget.

Counters live in a `limits` storage (AUTH_RATE_LIMIT_STORAGE_URI). The default, memory://, counts in each process:
with several worker processes or app servers each one counts on its own, so point it at a shared store such as
redis://host:6379/0 for exact limits. Should the store fail, authentication goes on unthrottled and the failure is
logged: the account lock-out still holds, and nobody is locked out by a broken cache.

This object is an unbound extension: its state lives in `app.extensions`, one per application, so applications in
one process (the test suite's) never share counters.
"""

from __future__ import annotations

import enum
import ipaddress
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from flask import Flask, current_app
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

logger = logging.getLogger(__name__)

EXTENSION = "aims_audit.throttle"
#: First part of every counter's key, so a shared store can serve other applications too.
NAMESPACE = "aims-audit"


class Attempt(enum.StrEnum):
    SIGN_IN = "sign-in"
    API = "api"


class Scope(enum.StrEnum):
    CLIENT = "client"
    EVERYONE = "everyone"


MESSAGES = {
    (Attempt.SIGN_IN, Scope.CLIENT): "Too many sign-in attempts from your network address. Wait {wait} and try again.",
    (Attempt.SIGN_IN, Scope.EVERYONE): (
        "Too many sign-in attempts on this service right now, so signing in is paused for everyone. "
        "Wait {wait} and try again; if this keeps happening, tell an administrator."
    ),
    (Attempt.API, Scope.CLIENT): "Too many failed API token authentications from your address. Retry after {wait}.",
    (Attempt.API, Scope.EVERYONE): (
        "Too many failed API token authentications on this service right now. Retry after {wait}."
    ),
}


def _duration(seconds: int) -> str:
    if seconds < 60:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    minutes = math.ceil(seconds / 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def client_of(address: str | None) -> str:
    """The client an address belongs to: an IPv4 address, or the /64 network of an IPv6 one.

    One IPv6 host usually holds a whole /64 and can pick a new address from it for every request.
    """
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class TooManyAttempts(TooManyRequests):
    """A rate limit is spent: answer 429 with `wait` seconds in Retry-After and the message in `description`."""

    def __init__(self, attempt: Attempt, scope: Scope, wait: int) -> None:
        super().__init__(MESSAGES[(attempt, scope)].format(wait=_duration(wait)), retry_after=wait)
        self.attempt = attempt
        self.scope = scope
        self.wait = wait


@dataclass(frozen=True)
class _State:
    strategy: MovingWindowRateLimiter
    per_client: list[RateLimitItem]
    everyone: list[RateLimitItem]


def _limits(app: Flask, setting: str) -> list[RateLimitItem]:
    value = app.config[setting]
    if not value:
        return []
    try:
        return parse_many(value)
    except ValueError:
        raise ValueError(
            f"{setting} = {value!r} is not a rate limit: write e.g. '10 per minute' (several joined with ';')."
        ) from None


class Throttle:
    """Per-client and global limits on authentication attempts (see the module's description)."""

    def init_app(self, app: Flask) -> None:
        """Read the limits (refusing a malformed one at start-up) and open the counters' store."""
        state = None
        if app.config["AUTH_RATE_LIMIT_ENABLED"]:
            storage = storage_from_string(app.config["AUTH_RATE_LIMIT_STORAGE_URI"], wrap_exceptions=True)
            state = _State(
                MovingWindowRateLimiter(storage),
                _limits(app, "AUTH_RATE_LIMIT_PER_CLIENT"),
                _limits(app, "AUTH_RATE_LIMIT_GLOBAL"),
            )
        app.extensions[EXTENSION] = state

    def count(self, attempt: Attempt, client: str | None) -> None:
        """Count an attempt against the client and against everyone; raise TooManyAttempts if a limit is spent.

        Sign-in counts each attempt before its password is checked; the API counts each failed token.
        """
        self._guarded(lambda state: self._hit(state, attempt, client))

    def check_client(self, attempt: Attempt, client: str | None) -> None:
        """Raise TooManyAttempts if the client has spent its own limit (counts nothing)."""

        def check(state: _State) -> None:
            key = self._key(attempt, Scope.CLIENT, client)
            spent = [item for item in state.per_client if not state.strategy.test(item, *key)]
            if spent:
                self._refuse(state, attempt, Scope.CLIENT, client, spent)

        self._guarded(check)

    def reset(self) -> None:
        """Forget every count of this application (tests start from zero)."""
        state: _State | None = current_app.extensions[EXTENSION]
        if state is not None:
            state.strategy.storage.reset()

    @staticmethod
    def _key(attempt: Attempt, scope: Scope, client: str | None) -> tuple[str, ...]:
        return (NAMESPACE, attempt.value, scope.value, client_of(client) if scope is Scope.CLIENT else "all")

    def _hit(self, state: _State, attempt: Attempt, client: str | None) -> None:
        for scope, items in ((Scope.CLIENT, state.per_client), (Scope.EVERYONE, state.everyone)):
            key = self._key(attempt, scope, client)
            for item in items:
                if not state.strategy.hit(item, *key):
                    self._refuse(state, attempt, scope, client, [item])

    @classmethod
    def _refuse(
        cls, state: _State, attempt: Attempt, scope: Scope, client: str | None, spent: list[RateLimitItem]
    ) -> NoReturn:
        key = cls._key(attempt, scope, client)
        now = time.time()
        # A slot frees just *after* the oldest attempt is a window old: a client that waits this long gets in.
        wait = max(math.floor(state.strategy.get_window_stats(item, *key).reset_time - now) + 1 for item in spent)
        logger.warning("%s attempts throttled (%s limit) for client %s", attempt.value, scope.value, client)
        raise TooManyAttempts(attempt, scope, max(1, wait))

    @staticmethod
    def _guarded(action: Callable[[_State], None]) -> None:
        state: _State | None = current_app.extensions[EXTENSION]
        if state is None:
            return
        try:
            action(state)
        except StorageError:
            logger.exception("the rate-limit store failed; authentication goes on without the throttle")
