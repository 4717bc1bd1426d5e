"""Domain errors. REST, MCP, CLI and UI translate these at their edge.

DomainError
├── ValidationFailed      bad input (per-field errors)          → 422
├── NotFound              no such object in this company         → 404
├── InvalidState          not allowed in the object's status     → 409
├── Conflict              stale version / duplicate              → 409 / 412
├── Gone                  existed, but is no longer kept          → 410
├── PermissionDenied      the actor lacks a permission           → 403
├── TooLarge              a file or body over its size limit     → 413
├── UnsupportedType       a file or body of a type not taken     → 415
├── AuthenticationFailed  bad credentials                        → 401
└── RateLimited           too many attempts                      → 429
"""

from __future__ import annotations

__all__ = [
    "AuthenticationFailed",
    "Conflict",
    "DomainError",
    "Gone",
    "InvalidState",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "TooLarge",
    "UnsupportedType",
    "ValidationFailed",
]


class DomainError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class ValidationFailed(DomainError):
    code = "validation_failed"
    status = 422

    def __init__(
        self, message: str, *, errors: dict[str, str] | None = None, code: str | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.errors = errors or {}


class NotFound(DomainError):
    code = "not_found"
    status = 404


class InvalidState(DomainError):
    code = "invalid_state"
    status = 409


class Conflict(DomainError):
    code = "conflict"
    status = 409


class Gone(DomainError):
    code = "gone"
    status = 410


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403

    def __init__(self, message: str, *, required: tuple[str, ...] = (), code: str | None = None):
        super().__init__(message, code=code)
        self.required = required


class TooLarge(DomainError):
    code = "payload_too_large"
    status = 413


class UnsupportedType(DomainError):
    code = "unsupported_media_type"
    status = 415


class AuthenticationFailed(DomainError):
    code = "authentication_failed"
    status = 401


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
