"""Credentials for tests: the subscription key and a token signed by the running emulator's key."""

from __future__ import annotations

from starlette.types import ASGIApp

from emulator.backend import Backend
from emulator.maskinporten import API_SCOPE

TEST_CLIENT_ID = "trygdehendelser-test-client"


def api_headers(app: ASGIApp, *, scope: str = API_SCOPE, lifetime_seconds: int = 86_400) -> dict[str, str]:
    """`Ocp-Apim-Subscription-Key` and `Authorization: Bearer ...` that the emulator behind `app` accepts."""
    backend: Backend = app.state.backend  # type: ignore[attr-defined]
    token = backend.authorization.issuer.issue(
        client_id=TEST_CLIENT_ID,
        organisation_number="310000019",
        scope=scope,
        client_amr="private_key_jwt",
        lifetime_seconds=lifetime_seconds,
    )
    key = backend.settings.accepted_subscription_keys[0]
    return {"Ocp-Apim-Subscription-Key": key, "Authorization": f"Bearer {token.access_token}"}
