"""Domain errors that carry what the upstream error envelope needs; one handler renders them all.

Three envelopes exist upstream: Azure API Management's `{"statusCode", "message"}` (routing, subscription
keys, tokens, rate limits), Spring Boot's `{"timestamp", "status", "error", "message", "path"}` (the
backend rejecting parameters) and OAuth 2.0's `{"error", "error_description"}` (the token server); the
emulator's own control plane answers `{"detail": ...}` as FastAPI does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from http import HTTPStatus

import orjson


class Envelope(StrEnum):
    GATEWAY = "gateway"
    SPRING = "spring"
    OAUTH = "oauth"
    CONTROL = "control"


class EmulatorError(Exception):
    """An answer other than 200, as the real service would give it."""

    envelope: Envelope = Envelope.GATEWAY

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class GatewayError(EmulatorError):
    """Rejected by API Management before the backend sees the request."""


class NotFoundError(GatewayError):
    def __init__(self) -> None:
        super().__init__(404, "Resource not found")


class BadRequestError(EmulatorError):
    """Rejected by the Spring backend: a parameter is missing or cannot be converted or validated."""

    envelope = Envelope.SPRING

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


class SpringNotFoundError(EmulatorError):
    """The Spring backend has no such resource (an unknown id): a 404 in Spring's envelope, not the gateway's."""

    envelope = Envelope.SPRING

    def __init__(self, message: str) -> None:
        super().__init__(404, message)


class OAuthError(EmulatorError):
    """Rejected by the token server; `error` is the OAuth 2.0 error code."""

    envelope = Envelope.OAUTH

    def __init__(self, error: str, description: str, status: int = 400, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, description, headers)
        self.error = error


class ControlError(EmulatorError):
    """The control plane refuses a request; rendered like FastAPI's own errors, `{"detail": ...}`."""

    envelope = Envelope.CONTROL


def error_answer(error: EmulatorError, *, path: str, now_ms: int) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of the envelope the upstream component that rejects the request answers with."""
    return error.status, error.headers, error_body(error, path=path, now_ms=now_ms)


def error_body(error: EmulatorError, *, path: str, now_ms: int) -> bytes:
    if error.envelope is Envelope.SPRING:
        timestamp = datetime.fromtimestamp(now_ms / 1000, tz=UTC).isoformat(timespec="milliseconds")
        return orjson.dumps(
            {
                "timestamp": timestamp,
                "status": error.status,
                "error": HTTPStatus(error.status).phrase,
                "message": error.message,
                "path": path,
            }
        )
    if error.envelope is Envelope.CONTROL:
        return orjson.dumps({"detail": error.message})
    if isinstance(error, OAuthError):
        return orjson.dumps({"error": error.error, "error_description": error.message})
    return orjson.dumps({"statusCode": error.status, "message": error.message})
