"""API Management's checks in front of the backend, in the gateway's order; each raises a GatewayError.

Routing (404) comes first and is the router's; then the subscription key; then the bearer token and its
scope. The bodies are the gateway's `{"statusCode", "message"}`, the challenges RFC 6750's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from emulator.errors import GatewayError
from emulator.ratelimit import RateLimiter, rate_limit_message
from emulator.tokens import API_SCOPE, VERIFIED_CACHE_SIZE, Claims, InvalidTokenError, TokenVerifier, granted_scopes

MISSING_KEY = (
    "Access denied due to missing subscription key. "
    "Make sure to include subscription key when making requests to an API."
)
INVALID_KEY = (
    "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."
)
UNAUTHORIZED = "Unauthorized. Access token is missing or invalid."


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a request presents to the gateway, and the realm its challenges name."""

    subscription_key: str | None
    authorization: str | None
    realm: str

    @classmethod
    def from_request(
        cls, headers: Mapping[str, str], first_query_value: Callable[[str], str | None], realm: str
    ) -> Credentials:
        # The header wins over the `subscription-key` query parameter, as in API Management.
        key = headers.get("ocp-apim-subscription-key")
        if key is None:
            key = first_query_value("subscription-key")
        return cls(subscription_key=key, authorization=headers.get("authorization"), realm=realm)


@dataclass(frozen=True, slots=True)
class Admission:
    """Who got through: the subscription key and the token's client."""

    subscription_key: str | None = None
    client_id: str | None = None


class Gateway:
    """Subscription key, then token, then scope; the first check that fails decides the answer."""

    def __init__(
        self,
        subscription_keys: Iterable[str],
        verifier: TokenVerifier,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self._subscription_keys = list(dict.fromkeys(subscription_keys))
        self._verifier = verifier
        self.rate_limiter = rate_limiter
        self._grants: dict[str, tuple[bool, str | None]] = {}

    def key_label(self, key: str | None) -> int:
        """A key's place in the accepted list (1, 2, ...): how journals and metrics name it, never by itself."""
        return self._subscription_keys.index(key) + 1 if key in self._subscription_keys else 0

    def reset(self) -> None:
        if self.rate_limiter is not None:
            self.rate_limiter.reset()

    def admit(self, credentials: Credentials) -> Admission:
        self._check_subscription_key(credentials)
        if self.rate_limiter is not None:
            assert credentials.subscription_key is not None
            wait = self.rate_limiter.check(credentials.subscription_key)
            if wait is not None:
                raise GatewayError(429, rate_limit_message(wait), {"Retry-After": str(wait)})
        claims = self._verified_claims(credentials)
        # A token's claims never change: what it grants is worked out once per token (the header holds it).
        header = credentials.authorization or ""
        grant = self._grants.get(header)
        if grant is None:
            client_id = claims.get("client_id", claims.get("azp", claims.get("sub")))
            grant = (API_SCOPE in granted_scopes(claims), client_id if isinstance(client_id, str) else None)
            if len(self._grants) >= VERIFIED_CACHE_SIZE:
                del self._grants[next(iter(self._grants))]
            self._grants[header] = grant
        if not grant[0]:
            raise GatewayError(
                403,
                f"Forbidden. The access token does not grant the scope {API_SCOPE}.",
                {"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{API_SCOPE}"'},
            )
        return Admission(credentials.subscription_key, grant[1])

    def _check_subscription_key(self, credentials: Credentials) -> None:
        key = credentials.subscription_key
        if key and key in self._subscription_keys:
            return
        challenge = {
            "WWW-Authenticate": (
                f'AzureApiManagementKey realm="{_header_safe(credentials.realm)}",'
                'name="Ocp-Apim-Subscription-Key",type="header"'
            )
        }
        raise GatewayError(401, INVALID_KEY if key else MISSING_KEY, challenge)

    def _verified_claims(self, credentials: Credentials) -> Claims:
        if credentials.authorization is None:
            raise GatewayError(
                401, UNAUTHORIZED, {"WWW-Authenticate": f'Bearer realm="{_header_safe(credentials.realm)}"'}
            )
        scheme, _, token = credentials.authorization.strip().partition(" ")
        token = token.strip()
        try:
            if scheme.lower() != "bearer" or not token or " " in token:
                raise InvalidTokenError("the Authorization header must be 'Bearer <token>'")
            return self._verifier.verify(token)
        except InvalidTokenError as error:
            reason = str(error)
            challenge = f'Bearer error="invalid_token", error_description="{_header_safe(reason)}"'
            raise GatewayError(
                401,
                f"{UNAUTHORIZED} {reason[:1].upper()}{reason[1:]}.",
                {"WWW-Authenticate": challenge},
            ) from None


def _header_safe(text: str) -> str:
    """Printable ASCII without double quotes, since the text comes partly from the token."""
    return "".join(char if " " <= char <= "~" and char not in '"\\' else "?" for char in text)[:200]


def parse_subscription_keys(text: str) -> Sequence[str]:
    return [key.strip() for key in text.split(",") if key.strip()]
