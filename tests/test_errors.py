"""The one renderer of the upstream envelopes: API Management's, Spring Boot's, OAuth 2.0's, the control plane's."""

from __future__ import annotations

import orjson
import pytest

from emulator.errors import BadRequestError, EmulatorError, GatewayError, NotFoundError, OAuthError, error_body

_PATH = "/helse/v1/trygdehendelser/hendelser"
_NOW_MS = 1_741_091_696_789  # 2025-03-04T12:34:56.789Z


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            BadRequestError("hentTrygdehendelser.hendelsesnummer: must be greater than or equal to 0"),
            b'{"timestamp":"2025-03-04T12:34:56.789+00:00","status":400,"error":"Bad Request",'
            b'"message":"hentTrygdehendelser.hendelsesnummer: must be greater than or equal to 0",'
            b'"path":"/helse/v1/trygdehendelser/hendelser"}',
        ),
        (
            BadRequestError('For input string: "1.5"'),
            b'{"timestamp":"2025-03-04T12:34:56.789+00:00","status":400,"error":"Bad Request",'
            b'"message":"For input string: \\"1.5\\"","path":"/helse/v1/trygdehendelser/hendelser"}',
        ),
        (NotFoundError(), b'{"statusCode":404,"message":"Resource not found"}'),
        (
            GatewayError(
                401,
                "Access denied due to missing subscription key. "
                "Make sure to include subscription key when making requests to an API.",
            ),
            b'{"statusCode":401,"message":"Access denied due to missing subscription key. '
            b'Make sure to include subscription key when making requests to an API."}',
        ),
        (
            GatewayError(429, "Rate limit is exceeded. Try again in 7 seconds.", {"Retry-After": "7"}),
            b'{"statusCode":429,"message":"Rate limit is exceeded. Try again in 7 seconds."}',
        ),
        (
            OAuthError("invalid_grant", "Invalid assertion. Client authentication failed."),
            b'{"error":"invalid_grant","error_description":"Invalid assertion. Client authentication failed."}',
        ),
        (
            OAuthError("invalid_client", "Ukjent klient: ø", status=401),
            b'{"error":"invalid_client","error_description":"Ukjent klient: \xc3\xb8"}',
        ),
    ],
    ids=[
        "spring-range",
        "spring-quotes-escaped",
        "gateway-not-found",
        "gateway-missing-key",
        "gateway-rate-limit",
        "oauth",
        "oauth-utf8",
    ],
)
def test_error_envelopes_have_exact_bytes(error: EmulatorError, expected: bytes) -> None:
    assert error_body(error, path=_PATH, now_ms=_NOW_MS) == expected


def test_the_spring_envelope_uses_the_request_path_and_time() -> None:
    body = error_body(BadRequestError("x"), path="/elsewhere", now_ms=1_577_836_800_000)
    assert orjson.loads(body) == {
        "timestamp": "2020-01-01T00:00:00.000+00:00",
        "status": 400,
        "error": "Bad Request",
        "message": "x",
        "path": "/elsewhere",
    }
