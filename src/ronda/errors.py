"""Domain errors, without HTTP codes.

Services raise these; the web layer maps them to status codes in one place
(`ronda.web.errors`), the CLI prints one clear line and exits non-zero.
"""

from __future__ import annotations


class RondaError(Exception):
    """Base of every error Ronda raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, detail: object | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class NotFound(RondaError):
    code = "not_found"


class Conflict(RondaError):
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class Forbidden(RondaError):
    code = "forbidden"


class Unauthorized(RondaError):
    code = "unauthorized"


class BadInput(RondaError):
    code = "bad_input"


class TooLarge(BadInput):
    code = "too_large"
