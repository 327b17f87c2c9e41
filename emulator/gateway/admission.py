"""API Management's checks in front of the backend, in the gateway's order; each raises a GatewayError.

Routing (404) comes first and is the router's; then the subscription key; then the bearer token and its
scope. The bodies are the gateway's `{"statusCode", "message"}`, the challenges RFC 6750's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from emulator.errors import GatewayError
from emulator.gateway.ratelimit import RateLimiter, rate_limit_message
from emulator.maskinporten import InvalidTokenError, TokenVerifier, Validity, granted_scopes

MISSING_KEY = (
    "Access denied due to missing subscription key. "
    "Make sure to include subscription key when making requests to an API."
)
INVALID_KEY = (
    "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."
)
UNAUTHORIZED = "Unauthorized. Access token is missing or invalid."
# Distinct Authorization headers whose token is known good; keyed by the whole header, so an entry proves
# nothing about any other token.
GRANT_CACHE_SIZE = 4096


# Not frozen: this is made for every request, and a frozen dataclass costs a microsecond more to build.
@dataclass(slots=True)
class Credentials:
    """What a request presents to the gateway, and the realm its challenges name."""

    subscription_key: str | None
    authorization: str | None
    realm: str

    @classmethod
    def from_request(
        cls, key_header: str | None, query: Mapping[str, str], authorization: str | None, realm: str
    ) -> Credentials:
        # The header wins over the `subscription-key` query parameter, as in API Management.
        key = key_header if key_header is not None else query.get("subscription-key")
        return cls(key, authorization, realm)


class Admission(NamedTuple):
    """Who got through: the subscription key's place in the accepted list (1, 2, ...) and the token's client,
    with the token's times, which decide whether the same credentials get through again later."""

    key_label: int
    client_id: str | None = None
    validity: Validity | None = None


class _Grant(NamedTuple):
    """What a verified token grants, worked out once per token: its claims never change, only the time does."""

    validity: Validity
    scopes: frozenset[str]
    client_id: str | None


class Gateway:
    """Subscription key, then token, then scope; the first check that fails decides the answer."""

    def __init__(
        self,
        subscription_keys: Iterable[str],
        verifier: TokenVerifier,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        # Each accepted key and its place in the list (1, 2, ...), which is how journals and metrics name it.
        self._key_labels = {key: label for label, key in enumerate(dict.fromkeys(subscription_keys), start=1)}
        self._verifier = verifier
        self.rate_limiter = rate_limiter
        self._grants: dict[str, _Grant] = {}

    def reset(self) -> None:
        if self.rate_limiter is not None:
            self.rate_limiter.reset()

    def admit(self, credentials: Credentials, scope: str) -> Admission:
        """Admit a request to an API that wants `scope`, or raise the GatewayError API Management answers."""
        key = credentials.subscription_key
        label = self._key_labels.get(key) if key else None
        if key is None or label is None:
            raise _key_refusal(credentials)
        if self.rate_limiter is not None:
            wait = self.rate_limiter.check(key)
            if wait is not None:
                raise GatewayError(429, rate_limit_message(wait), {"Retry-After": str(wait)})
        header = credentials.authorization
        if header is None:
            raise GatewayError(
                401, UNAUTHORIZED, {"WWW-Authenticate": f'Bearer realm="{_header_safe(credentials.realm)}"'}
            )
        try:
            grant = self._grants.get(header)
            if grant is None:
                grant = self._grant(header)
            self._verifier.check_times(grant.validity)
        except InvalidTokenError as error:
            raise _invalid_token(error) from None
        if scope not in grant.scopes:
            raise GatewayError(
                403,
                f"Forbidden. The access token does not grant the scope {scope}.",
                {"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'},
            )
        return Admission(label, grant.client_id, grant.validity)

    def readmission(self, admission: Admission) -> tuple[float, float] | None:
        """When the credentials `admit` let through get through again for the same scope: at the instants
        `[start, until)` on the controlled clock, in milliseconds; None if every request must be admitted afresh.

        Keys and a token's signature and claims never change; only its times, and a rate limit, which counts
        every request, can turn the same credentials away.
        """
        if self.rate_limiter is not None or admission.validity is None:
            return None
        return self._verifier.window(admission.validity)

    def _grant(self, header: str) -> _Grant:
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or " " in token:
            raise InvalidTokenError("the Authorization header must be 'Bearer <token>'")
        claims, validity = self._verifier.verified(token)
        client_id = claims.get("client_id", claims.get("azp", claims.get("sub")))
        grant = _Grant(validity, frozenset(granted_scopes(claims)), client_id if isinstance(client_id, str) else None)
        if len(self._grants) >= GRANT_CACHE_SIZE:
            del self._grants[next(iter(self._grants))]
        self._grants[header] = grant
        return grant


def _key_refusal(credentials: Credentials) -> GatewayError:
    challenge = {
        "WWW-Authenticate": (
            f'AzureApiManagementKey realm="{_header_safe(credentials.realm)}",'
            'name="Ocp-Apim-Subscription-Key",type="header"'
        )
    }
    return GatewayError(401, INVALID_KEY if credentials.subscription_key else MISSING_KEY, challenge)


def _invalid_token(error: InvalidTokenError) -> GatewayError:
    reason = str(error)
    challenge = f'Bearer error="invalid_token", error_description="{_header_safe(reason)}"'
    return GatewayError(401, f"{UNAUTHORIZED} {reason[:1].upper()}{reason[1:]}.", {"WWW-Authenticate": challenge})


def _header_safe(text: str) -> str:
    """Printable ASCII without double quotes, since the text comes partly from the token."""
    return "".join(char if " " <= char <= "~" and char not in '"\\' else "?" for char in text)[:200]
