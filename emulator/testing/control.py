"""A typed client of a running emulator's control plane (/_emulator) and feed, for tests.

control = EmulatorControl("http://127.0.0.1:8080")
control.reset()
control.generate(5)
page = control.read(from_number=control.status()["seeded_head"] + 1)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Literal
from urllib.parse import quote

import httpx

# Kept as literals so that importing this module costs httpx only; tests pin them to the emulator's own.
DEFAULT_SUBSCRIPTION_KEY = "local-subscription-key"
API_SCOPE = "nav:helse/v1/trygdehendelser"
MEDL_SCOPE = "nav:medlemskap/v1/medlemskapsunntak"
TEST_CLIENT_ID = "trygdehendelser-test-client"
FEED_PATH = "/helse/v1/trygdehendelser/hendelser"
MEDL_PATH = "/medlemskap/v1/medlemskapsunntak"
CONTROL = "/_emulator"

ClockAction = Literal["freeze", "unfreeze", "advance", "set", "reset"]
Group = Literal["ALLE", "EOS", "OEVRIGE"]


class EmulatorControlError(RuntimeError):
    """The emulator refused a control-plane call, or the feed did not answer 200; carries status and body."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.body = response.text
        super().__init__(f"{response.request.method} {response.request.url.path}: {response.status_code} {self.body}")


class EmulatorControl:
    """The control plane of the emulator at `base_url`, with the credentials its feed accepts.

    Tokens come from `POST /_emulator/tokens`, signed by the emulator's own key, for the client
    `client_id`; the feed therefore sees this helper as the consumer `self.consumer`.
    """

    def __init__(
        self,
        base_url: str,
        *,
        issuer: str | None = None,
        subscription_key: str = DEFAULT_SUBSCRIPTION_KEY,
        admin_token: str | None = None,
        client_id: str = TEST_CLIENT_ID,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.issuer = issuer or f"{self.base_url}/maskinporten/"
        self.subscription_key = subscription_key
        self.client_id = client_id
        headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)

    @property
    def feed_url(self) -> str:
        """The API's URL: `{base_url}/helse/v1/trygdehendelser/hendelser`."""
        return f"{self.base_url}{FEED_PATH}"

    @property
    def medl_url(self) -> str:
        """MEDL's `medlemskapsunntak` API: `{base_url}/medlemskap/v1/medlemskapsunntak` (add `/{unntakId}`)."""
        return f"{self.base_url}{MEDL_PATH}"

    @property
    def medl_scope(self) -> str:
        """The scope MEDL's gateway wants: `nav:medlemskap/v1/medlemskapsunntak` (the feed's is `API_SCOPE`)."""
        return MEDL_SCOPE

    @property
    def token_url(self) -> str:
        """The fake Maskinporten's token endpoint: `{issuer}token`."""
        return f"{self.issuer}token"

    @property
    def consumer(self) -> str:
        """The consumer name the emulator gives this helper's requests (journal, consumers, wait_for)."""
        return f"client:{self.client_id}"

    # Credentials

    def token(
        self,
        scope: str = API_SCOPE,
        *,
        lifetime_seconds: int | None = None,
        claims: Mapping[str, Any] | None = None,
        omit_claims: Sequence[str] = (),
        client_id: str | None = None,
    ) -> str:
        """An access token signed by the emulator (valid for the API unless the options say otherwise)."""
        body: dict[str, Any] = {
            "scope": scope,
            "lifetime_seconds": lifetime_seconds,
            "client_id": client_id or self.client_id,
            "claims": dict(claims or {}),
            "omit_claims": list(omit_claims),
        }
        token: str = self._call("POST", "/tokens", json=body)["access_token"]
        return token

    def register_client(
        self,
        client_id: str,
        *,
        scopes: Sequence[str] = (API_SCOPE,),
        organisation_number: str | None = None,
        public_keys_pem: Sequence[str] | Mapping[str, str] = (),
        certificates: Sequence[str] = (),
        jwks: Sequence[Mapping[str, Any]] = (),
        client_secret: str | None = None,
    ) -> dict[str, Any]:
        """Register a client until the next reset, as if it were in the clients file (public keys only).

        `public_keys_pem` takes PEM public keys: a list (each key's kid is then its RFC 7638 thumbprint) or
        `{kid: PEM}`; `certificates` PEM or base64 DER certificates, for assertions that send them in `x5c`.
        """
        body: dict[str, Any] = {
            "client_id": client_id,
            "scopes": list(scopes),
            "public_keys_pem": dict(public_keys_pem) if isinstance(public_keys_pem, Mapping) else list(public_keys_pem),
            "certificates": list(certificates),
            "jwks": [dict(jwk) for jwk in jwks],
            "client_secret": client_secret,
        }
        if organisation_number is not None:
            body["organisation_number"] = organisation_number
        return self._call("POST", "/clients", json=body)

    def headers(self, **token_options: Any) -> dict[str, str]:
        """`Ocp-Apim-Subscription-Key` and `Authorization: Bearer` with a fresh token (see token() for options).

        Fresh on every call, so the token follows the emulator's clock even after a test has moved it.
        """
        return {
            "Ocp-Apim-Subscription-Key": self.subscription_key,
            "Authorization": f"Bearer {self.token(**token_options)}",
        }

    # State

    def status(self) -> dict[str, Any]:
        """Seed, size, head, seeded_head, appended, digest, clock, faults, live mode, settings."""
        return self._call("GET", "/status")

    def reset(self) -> dict[str, Any]:
        """Back to the seeded state: events, faults, journal, consumers, clock, live mode; returns the status."""
        return self._call("POST", "/reset")

    def append(self, events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Append events in the API's words (`{"type": "ENDRET", "periodeId": 2000002}`; the rest is filled in).

        Returns `{"first", "last", "count", "head"}`.
        """
        return self._call("POST", "/events", json={"events": [dict(event) for event in events]})

    def generate(self, count: int) -> dict[str, Any]:
        """Append `count` generated events stamped with the emulator's now; `{"first", "last", "count", "head"}`."""
        return self._call("POST", "/events", json={"generate": count})

    # The clock

    def clock(self, action: ClockAction, seconds: float | None = None, now: str | None = None) -> dict[str, Any]:
        """Move the controlled clock (`advance` wants seconds, `set` an ISO 8601 `now`); returns the clock."""
        return self._call("POST", "/clock", json={"action": action, "seconds": seconds, "now": now})

    def freeze(self) -> dict[str, Any]:
        return self.clock("freeze")

    def advance(self, seconds: float) -> dict[str, Any]:
        return self.clock("advance", seconds=seconds)

    # Live mode and faults

    def live(self, rate: float, pattern: str = "poisson", **options: Any) -> dict[str, Any]:
        """Start live mode: `rate` generated events per second as the clock runs (options: burst_size, seed)."""
        return self._call("PUT", "/live", json={"rate": rate, "pattern": pattern, **options})

    def stop_live(self) -> None:
        self._call("DELETE", "/live")

    def fault(self, **spec: Any) -> str:
        """Inject a fault (`kind`, `status`, `times`, `latency_ms`, `consumer`, `route`, …); returns its id."""
        fault_id: str = self._call("POST", "/faults", json=spec)["id"]
        return fault_id

    def remove_fault(self, fault_id: str) -> None:
        self._call("DELETE", f"/faults/{fault_id}")

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    # What consumers did

    def journal(self, **filters: Any) -> list[dict[str, Any]]:
        """Recorded requests: the newest first, or with `after` the next ones oldest first; filters: consumer,
        since, until, after, limit, order ("newest" or "oldest")."""
        params = {name: value for name, value in filters.items() if value is not None}
        entries: list[dict[str, Any]] = self._call("GET", "/journal", params=params)["entries"]
        return entries

    def consumers(self) -> list[dict[str, Any]]:
        """Each consumer's progress: last_requested, highest_delivered, caught_up_to, lag, requests by status."""
        views: list[dict[str, Any]] = self._call("GET", "/consumers")["consumers"]
        return views

    def wait_for(self, consumer: str, up_to: int | str = "head", timeout: float = 30) -> dict[str, Any]:
        """Block until `consumer` has read up to event `up_to` (or the head as it is now); no polling.

        Raises AssertionError, with the consumer's view, if it has not within `timeout` seconds.
        """
        response = self._http.get(
            f"{CONTROL}/consumers/{quote(consumer, safe='')}/wait",
            params={"up_to": str(up_to), "timeout": timeout},
            timeout=timeout + 30,
        )
        if response.status_code == httpx.codes.REQUEST_TIMEOUT:
            body = response.json()
            raise AssertionError(
                f"{consumer} did not read up to {body['target']} within {timeout:g} s; it is at {body['consumer']}"
            )
        if response.status_code != httpx.codes.OK:
            raise EmulatorControlError(response)
        result: dict[str, Any] = response.json()
        return result

    # The feed

    def read(self, from_number: int = 1, size: int = 100, group: Group = "ALLE") -> dict[str, Any]:
        """One page of the feed, asked with valid credentials; raises EmulatorControlError unless 200."""
        response = self._http.get(
            FEED_PATH,
            params={"hendelsesnummer": from_number, "antallHendelser": size, "hjemmelgruppe": group},
            headers=self.headers(),
        )
        if response.status_code != httpx.codes.OK:
            raise EmulatorControlError(response)
        page: dict[str, Any] = response.json()
        return page

    def lookup(self, unntak_id: int, *, traces: bool = False) -> dict[str, Any]:
        """MEDL's record of one period (the feed's `periodeId`), asked with a MEDL token; EmulatorControlError
        unless 200."""
        response = self._http.get(
            f"{MEDL_PATH}/{unntak_id}",
            params={"inkluderSporingsinfo": str(traces).lower()},
            headers=self.headers(scope=MEDL_SCOPE),
        )
        if response.status_code != httpx.codes.OK:
            raise EmulatorControlError(response)
        record: dict[str, Any] = response.json()
        return record

    def lookup_person(self, personident: str, **query: Any) -> list[dict[str, Any]]:
        """MEDL's periods of one person (query: fraOgMed, tilOgMed, statuser, type, ekskluderKilder,
        inkluderSporingsinfo); EmulatorControlError unless 200."""
        response = self._http.get(
            MEDL_PATH, params=query, headers={**self.headers(scope=MEDL_SCOPE), "Nav-Personident": personident}
        )
        if response.status_code != httpx.codes.OK:
            raise EmulatorControlError(response)
        records: list[dict[str, Any]] = response.json()
        return records

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> EmulatorControl:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"EmulatorControl({self.base_url!r})"

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self._http.request(method, f"{CONTROL}{path}", **kwargs)
        if not response.is_success:
            raise EmulatorControlError(response)
        body: dict[str, Any] = response.json()
        return body
