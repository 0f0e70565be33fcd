"""Domain errors raised by services; the request pipeline turns them into responses in one place.

Every error a rule raises derives from DomainError, so the web and API faces map them without knowing the
feature: NotAllowed → 403, NotFound → 404, ValidationFailed → 400 on a page (422 on the API), Conflict → 409.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the request; the message is safe to show to the user."""

    @property
    def details(self) -> dict[str, object]:
        """Facts a client acts on beyond the message (the API adds them to its error body)."""
        return {}


class NotAllowed(DomainError):
    """The actor may not do this to this record."""


class NotFound(DomainError):
    """The record does not exist (or is not visible to the actor)."""


class ValidationFailed(DomainError):
    """Input broke a rule; `errors` maps field names to messages."""

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}

    @classmethod
    def on(cls, field: str, message: str) -> ValidationFailed:
        """A refusal of one field: the message is both the summary and the field's error."""
        return cls(message, {field: [message]})


class Conflict(DomainError):
    """The change clashes with the current state of the record."""


class InvalidTransition(Conflict):
    """The move is not in the record's transition table from its current state, or a gate is not met."""


class ChangedMeanwhile(Conflict):
    """Another request changed the same record first; nothing of this one was kept."""

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message or "Someone else changed this at the same moment, so nothing was saved. Reload and try again."
        )
