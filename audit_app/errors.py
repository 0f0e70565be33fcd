"""Domain errors raised by services; the web and API layers turn them into responses."""


class DomainError(Exception):
    """A rule of the domain refused the request; the message is safe to show to the user."""


class NotAllowed(DomainError):
    """The actor may not do this to this record."""


class NotFound(DomainError):
    """The record does not exist (or is not visible to the actor)."""


class ValidationFailed(DomainError):
    """Input broke a rule; `errors` maps field names to messages."""

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


class Conflict(DomainError):
    """The change clashes with the current state of the record."""
