"""API Management's checks in front of the backend, in the gateway's order; each raises a GatewayError."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a request presents to the gateway."""

    subscription_key: str | None
    authorization: str | None

    @classmethod
    def from_request(
        cls, headers: Mapping[str, str], first_query_value: Callable[[str], str | None]
    ) -> Credentials:
        # The header wins over the `subscription-key` query parameter, as in API Management.
        key = headers.get("ocp-apim-subscription-key")
        if key is None:
            key = first_query_value("subscription-key")
        return cls(subscription_key=key, authorization=headers.get("authorization"))


Check = Callable[[Credentials], None]


class Gateway:
    """Runs its checks in order; the first that fails decides the answer."""

    def __init__(self, checks: Sequence[Check] = ()) -> None:
        self._checks = tuple(checks)

    def admit(self, credentials: Credentials) -> None:
        for check in self._checks:
            check(credentials)
