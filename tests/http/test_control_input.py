"""The control plane's protection and its answers to bad input: a 4xx JSON, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.eventlog.digest import log_digest
from emulator.http import admin
from emulator.http.app import create_app
from emulator.settings import Settings
from emulator.testing import InProcessClient, api_headers
from tests.http.control import INT64_MAX, SEEDED, Emulator, Json, Make, ident


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"action": "set", "now": "0001-01-01T00:00:00"}, "now '0001-01-01T00:00:00' is outside the years 0001-9999"),
        ({"action": "set", "now": "i morgen"}, "now 'i morgen' is not an ISO 8601 date-time"),
    ],
    ids=["out-of-range", "not-a-date"],
)
def test_a_clock_set_to_an_unusable_instant_says_which_way_it_is_unusable(
    emulator: Emulator, body: Json, message: str
) -> None:
    response = emulator.call("POST", "/_emulator/clock", body)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(message)


def test_an_opprettetdato_out_of_range_is_named_as_such(emulator: Emulator) -> None:
    event = {"type": "OPPRETTET", "personident": ident(), "opprettetDato": "9999-12-31T23:59:59+00:00"}
    response = emulator.call("POST", "/_emulator/events", {"events": [event]})
    assert response.status_code == 400
    assert "is outside the years 0001-9999" in response.json()["detail"]


def test_an_admin_token_protects_the_control_plane_but_not_the_api(make: Make) -> None:
    emulator = make(admin_token="kontroll-hemmelighet")
    refusals: list[dict[str, str]] = [
        {},
        {"Authorization": "Bearer feil"},
        {"Authorization": "kontroll-hemmelighet"},
        {"Authorization": "Basic kontroll-hemmelighet"},
        {"Authorization": "Bearer kontroll-hemmelighet-og-mer"},
    ]
    for headers in refusals:
        refused = emulator.http.get("/_emulator/status", headers=headers)
        assert refused.status_code == 401, headers
        assert refused.headers["content-type"] == "application/json"
        assert "kontroll-hemmelighet" not in refused.text
    # The API's own bearer token is not the admin token.
    assert emulator.http.get("/_emulator/status").status_code == 401
    assert emulator.http.post("/_emulator/reset").status_code == 401
    assert emulator.http.post("/_emulator/faults", json={"kind": "drop"}).status_code == 401
    admin = {"Authorization": "Bearer kontroll-hemmelighet"}
    assert emulator.http.get("/_emulator/status", headers=admin).status_code == 200
    # The scheme is case-insensitive, as in any Authorization header.
    assert emulator.http.get("/_emulator/status", headers={"Authorization": "bearer kontroll-hemmelighet"}).is_success
    assert emulator.http.get("/_emulator/faults", headers=admin).json() == {"faults": []}

    assert emulator.feed().status_code == 200
    token = emulator.http.post(
        "/maskinporten/token",
        data={"grant_type": "client_credentials", "client_id": "trygdehendelser-demo", "client_secret": "demo-secret"},
    )
    assert token.status_code == 200
    assert emulator.http.get("/internal/isalive").status_code == 200


def test_a_period_id_at_the_int64_limit_does_not_break_later_appends(emulator: Emulator) -> None:
    """Whether or not the largest int64 periodeId is taken, what follows must never be a 500."""
    requests: list[Json] = [
        {"events": [{"type": "OPPRETTET", "personident": ident(), "periodeId": INT64_MAX}]},
        {"events": [{"type": "OPPRETTET", "personident": ident(2)}]},
        {"generate": 3},
    ]
    for body in requests:
        try:
            response = emulator.call("POST", "/_emulator/events", body)
        except Exception as error:  # in-process, an unhandled error surfaces here instead of as a 500
            pytest.fail(f"{body} gave a 500: {type(error).__name__}: {error}")
        assert response.status_code < 500, response.text
    assert emulator.status()["head"] >= SEEDED + 3
    emulator.clock("freeze")
    emulator.ok("PUT", "/_emulator/live", {"rate": 10, "pattern": "steady"})
    emulator.clock("advance", seconds=1)
    assert emulator.backend.history.tick_live() == 10


def _bad(name: str, method: str, path: str, body: Any = None) -> Any:
    return pytest.param(method, f"/_emulator{path}", body, id=name)


BAD_INPUT = [
    _bad("tokens-lifetime-not-a-number", "POST", "/tokens", {"lifetime_seconds": "long"}),
    _bad("tokens-lifetime-too-long", "POST", "/tokens", {"lifetime_seconds": 10**9}),
    _bad("tokens-organisation-not-9-digits", "POST", "/tokens", {"organisation_number": "123"}),
    _bad("tokens-empty-client-id", "POST", "/tokens", {"client_id": ""}),
    _bad("tokens-not-json", "POST", "/tokens", b"{"),
    _bad("clients-empty", "POST", "/clients", {}),
    _bad("clients-empty-client-id", "POST", "/clients", {"client_id": ""}),
    _bad("clients-organisation-not-9-digits", "POST", "/clients", {"client_id": "c", "organisation_number": "12"}),
    _bad("clients-jwk-without-kid", "POST", "/clients", {"client_id": "c", "jwks": [{"kty": "RSA"}]}),
    _bad("clients-jwk-set-of-numbers", "POST", "/clients", {"client_id": "c", "jwks": {"keys": [5]}}),
    _bad("clients-jwk-set-keys-not-a-list", "POST", "/clients", {"client_id": "c", "jwks": {"keys": "k"}}),
    _bad("clients-certificate-not-base64-der", "POST", "/clients", {"client_id": "c", "certificates": ["not a cert"]}),
    _bad("events-neither", "POST", "/events", {}),
    _bad("events-both-empty", "POST", "/events", {"events": [], "generate": 0}),
    _bad("events-both", "POST", "/events", {"events": [{"type": "ENDRET", "periodeId": 1}], "generate": 1}),
    _bad("events-generate-negative", "POST", "/events", {"generate": -1}),
    _bad("events-generate-too-many", "POST", "/events", {"generate": 100_001}),
    _bad("events-unknown-type", "POST", "/events", {"events": [{"type": "CREATED"}]}),
    _bad("events-opprettet-without-person", "POST", "/events", {"events": [{"type": "OPPRETTET"}]}),
    _bad(
        "events-personident-not-11-digits", "POST", "/events", {"events": [{"type": "OPPRETTET", "personident": "1"}]}
    ),
    _bad("events-endret-without-period", "POST", "/events", {"events": [{"type": "ENDRET"}]}),
    _bad(
        "events-hjemmelgruppe-alle",
        "POST",
        "/events",
        {"events": [{"type": "OPPRETTET", "personident": ident(), "hjemmelgruppe": "ALLE"}]},
    ),
    _bad(
        "events-opprettetdato-not-a-date",
        "POST",
        "/events",
        {"events": [{"type": "OPPRETTET", "personident": ident(), "opprettetDato": "i går"}]},
    ),
    _bad(
        "events-negative-period",
        "POST",
        "/events",
        {"events": [{"type": "OPPRETTET", "personident": ident(), "periodeId": -5}]},
    ),
    _bad(
        "events-period-beyond-int64",
        "POST",
        "/events",
        {"events": [{"type": "OPPRETTET", "personident": ident(), "periodeId": 2**63}]},
    ),
    _bad(
        "events-opprettetdato-beyond-year-9999-in-oslo",
        "POST",
        "/events",
        {"events": [{"type": "OPPRETTET", "personident": ident(), "opprettetDato": "9999-12-31T23:59:59+00:00"}]},
    ),
    _bad("events-a-list", "POST", "/events", [1, 2]),
    _bad("events-not-json", "POST", "/events", b"[1,"),
    _bad("clock-empty", "POST", "/clock", {}),
    _bad("clock-unknown-action", "POST", "/clock", {"action": "warp"}),
    _bad("clock-advance-without-seconds", "POST", "/clock", {"action": "advance"}),
    _bad("clock-advance-seconds-not-a-number", "POST", "/clock", {"action": "advance", "seconds": "ten"}),
    _bad("clock-advance-beyond-any-date", "POST", "/clock", {"action": "advance", "seconds": 1e300}),
    _bad("clock-advance-before-year-1", "POST", "/clock", {"action": "advance", "seconds": -1e12}),
    _bad("clock-set-without-now", "POST", "/clock", {"action": "set"}),
    _bad("clock-set-not-a-date", "POST", "/clock", {"action": "set", "now": "snart"}),
    _bad("clock-set-beyond-year-9999-in-oslo", "POST", "/clock", {"action": "set", "now": "9999-12-31T23:59:59+00:00"}),
    _bad("live-empty", "PUT", "/live", {}),
    _bad("live-rate-zero", "PUT", "/live", {"rate": 0}),
    _bad("live-rate-too-high", "PUT", "/live", {"rate": 10_001}),
    _bad("live-rate-not-a-number", "PUT", "/live", {"rate": "fast"}),
    _bad("live-unknown-pattern", "PUT", "/live", {"rate": 1, "pattern": "sometimes"}),
    _bad("live-burst-size-zero", "PUT", "/live", {"rate": 1, "burst_size": 0}),
    _bad("faults-empty", "POST", "/faults", {}),
    _bad("faults-unknown-kind", "POST", "/faults", {"kind": "explode"}),
    _bad("faults-status-without-status", "POST", "/faults", {"kind": "status"}),
    _bad("faults-status-200", "POST", "/faults", {"kind": "status", "status": 200}),
    _bad("faults-retry-after-on-500", "POST", "/faults", {"kind": "status", "status": 500, "retry_after_seconds": 5}),
    _bad("faults-latency-without-delay", "POST", "/faults", {"kind": "latency"}),
    _bad("faults-times-zero", "POST", "/faults", {"kind": "drop", "times": 0}),
    _bad("faults-probability-zero", "POST", "/faults", {"kind": "drop", "probability": 0}),
    _bad("faults-probability-above-one", "POST", "/faults", {"kind": "drop", "probability": 1.5}),
    _bad("faults-unknown-route", "POST", "/faults", {"kind": "drop", "route": "admin"}),
    _bad("faults-from-number-on-token", "POST", "/faults", {"kind": "drop", "route": "token", "from_number": 1}),
    _bad("faults-empty-consumer", "POST", "/faults", {"kind": "drop", "consumer": ""}),
    _bad("faults-remove-unknown", "DELETE", "/faults/f999"),
    _bad("journal-limit-zero", "GET", "/journal?limit=0"),
    _bad("journal-limit-too-high", "GET", "/journal?limit=10001"),
    _bad("journal-limit-not-a-number", "GET", "/journal?limit=many"),
    _bad("journal-since-not-a-date", "GET", "/journal?since=yesterday"),
    _bad("journal-until-month-13", "GET", "/journal?until=2024-13-01"),
    _bad("journal-after-not-a-number", "GET", "/journal?after=x"),
    _bad("wait-up-to-not-a-number", "GET", "/consumers/key:1/wait?up_to=abc"),
    _bad("wait-up-to-negative", "GET", "/consumers/key:1/wait?up_to=-1"),
    _bad("wait-up-to-superscript-two", "GET", "/consumers/key:1/wait?up_to=%C2%B2"),
    _bad("wait-up-to-thousands-of-digits", "GET", "/consumers/key:1/wait?up_to=" + "9" * 5_000),
    _bad("wait-timeout-zero", "GET", "/consumers/key:1/wait?timeout=0"),
    _bad("wait-timeout-too-long", "GET", "/consumers/key:1/wait?timeout=301"),
    _bad("wait-timeout-not-a-number", "GET", "/consumers/key:1/wait?timeout=soon"),
    # A number of the wrong JSON type is a mistake in the test that sent it, not something to guess at.
    _bad("events-generate-true", "POST", "/events", {"generate": True}),
    _bad("events-generate-a-string", "POST", "/events", {"generate": "5"}),
    _bad("events-period-a-string", "POST", "/events", {"events": [{"type": "ENDRET", "periodeId": "2000002"}]}),
    _bad("clock-advance-seconds-true", "POST", "/clock", {"action": "advance", "seconds": True}),
    _bad("live-rate-true", "PUT", "/live", {"rate": True}),
    _bad("live-burst-size-a-string", "PUT", "/live", {"rate": 1, "burst_size": "5"}),
    _bad("faults-status-a-string", "POST", "/faults", {"kind": "status", "status": "500"}),
    _bad("faults-times-true", "POST", "/faults", {"kind": "drop", "times": True}),
    _bad("faults-latency-a-float", "POST", "/faults", {"kind": "latency", "latency_ms": 1.5}),
    _bad("faults-probability-a-string", "POST", "/faults", {"kind": "drop", "probability": "0.5"}),
    _bad("tokens-lifetime-true", "POST", "/tokens", {"lifetime_seconds": True}),
    # Python's JSON reader takes these; the answer must still be a 4xx that JSON can carry.
    _bad("events-generate-nan", "POST", "/events", b'{"generate": NaN}'),
    _bad("events-generate-beyond-any-float", "POST", "/events", b'{"generate": 1e400}'),
    _bad("live-rate-nan", "PUT", "/live", b'{"rate": NaN}'),
    _bad("live-rate-infinite", "PUT", "/live", b'{"rate": Infinity}'),
    _bad("faults-probability-nan", "POST", "/faults", b'{"kind": "drop", "probability": NaN}'),
    _bad("faults-latency-infinite", "POST", "/faults", b'{"kind": "latency", "latency_ms": -Infinity}'),
    _bad("tokens-lifetime-beyond-any-float", "POST", "/tokens", b'{"lifetime_seconds": 1e400}'),
    _bad("clock-advance-nan", "POST", "/clock", b'{"action": "advance", "seconds": NaN}'),
    _bad("unknown-path", "GET", "/nothing-here"),
    _bad("unknown-method", "DELETE", "/status"),
]


@pytest.fixture(scope="module")
def shared(signing_key_file: Path) -> Iterator[Emulator]:
    app = create_app(Settings(events=SEEDED, signing_key_file=signing_key_file))
    with InProcessClient(app, headers=api_headers(app)) as http:
        yield Emulator(app, http)


@pytest.mark.parametrize(("method", "path", "body"), BAD_INPUT)
def test_bad_input_on_every_admin_endpoint_is_a_4xx_json_never_a_500(
    shared: Emulator, method: str, path: str, body: Any
) -> None:
    shared.backend.reset()
    options: dict[str, Any] = {}
    if isinstance(body, bytes):
        options = {"content": body, "headers": {"content-type": "application/json"}}
    elif body is not None:
        options = {"json": body}
    try:
        response = shared.http.request(method, path, **options)
    except Exception as error:  # in-process, an unhandled error surfaces here instead of as a 500
        pytest.fail(f"a 500: {type(error).__name__}: {error}")
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/json"
    assert isinstance(response.json(), dict)
    # A refused request changes nothing that would break the next one.
    assert shared.http.get("/_emulator/status").status_code == 200
    assert shared.feed(SEEDED).status_code == 200


def test_status_leaves_a_large_unhashed_log_to_the_digest_endpoint(make: Make, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(admin, "STATUS_DIGEST_BUDGET", SEEDED - 1)
    emulator = make()
    assert emulator.ok("GET", "/_emulator/status")["digest"] is None
    digest = emulator.ok("GET", "/_emulator/digest")["digest"]
    assert digest == log_digest(emulator.app.state.backend.history.log)
    # Once hashed, status keeps it current: only what is new needs hashing.
    assert emulator.ok("GET", "/_emulator/status")["digest"] == digest


def test_the_journal_gives_the_last_requests_newest_first_and_pages_forward_after_a_sequence(
    emulator: Emulator,
) -> None:
    for number in range(1, 26):
        emulator.feed(number, antallHendelser=1)
    newest = emulator.ok("GET", "/_emulator/journal?limit=20")["entries"]
    assert [entry["query"] for entry in newest[:2]] == [
        "hendelsesnummer=25&antallHendelser=1",
        "hendelsesnummer=24&antallHendelser=1",
    ]
    assert len(newest) == 20
    following = emulator.ok("GET", f"/_emulator/journal?after={newest[-1]['sequence']}&limit=2")["entries"]
    assert [entry["sequence"] for entry in following] == [newest[-1]["sequence"] + 1, newest[-1]["sequence"] + 2]
    oldest = emulator.ok("GET", "/_emulator/journal?limit=2&order=oldest")["entries"]
    assert [entry["sequence"] for entry in oldest] == [1, 2]
