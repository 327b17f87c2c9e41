"""The control plane under /_emulator: what NAV cannot offer a tester (FastAPI, with generated docs)."""

from __future__ import annotations

import asyncio
import hmac
import time
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from pydantic import BaseModel, Field, field_validator

from emulator import __version__
from emulator.backend import Backend
from emulator.eventlog import TimestampStyle
from emulator.http.offloop import run_off_loop
from emulator.maskinporten import API_SCOPE, DEFAULT_ORGANISATION, client_from_dict
from emulator.medl import medl_digest

CONTROL_PREFIX = "/_emulator"
STATUS_DIGEST_BUDGET = 100_000
# 100,000 explicit events with every field, as compact JSON, take about 14 MB; a body past this limit is a 413
# before any of it is read (Content-Length) or as soon as it grows past it (chunked).
MAX_BODY_BYTES = 32 * 1024 * 1024


def backend_of(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


def writes_of(request: Request) -> asyncio.Lock:
    """Held while the log is written (an append, a live tick, a reset), so writes take turns."""
    writes: asyncio.Lock = request.app.state.writes
    return writes


def admin_token_check(request: Request) -> None:
    """With EMULATOR_ADMIN_TOKEN set, the control plane wants `Authorization: Bearer <that token>`."""
    expected = backend_of(request).settings.admin_token
    if expected is None:
        return
    # The scheme is case-insensitive (RFC 9110 §11.1); the token is compared in constant time.
    scheme, _, presented = request.headers.get("authorization", "").strip().partition(" ")
    presented = presented.strip()
    # Settings refuse an empty admin token; an empty presented one is refused here too, whatever they allow.
    if scheme.lower() != "bearer" or not presented or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise HTTPException(401, "the control plane wants Authorization: Bearer <EMULATOR_ADMIN_TOKEN>")


def control_router(tag: str) -> APIRouter:
    return APIRouter(
        prefix=CONTROL_PREFIX, tags=[tag], dependencies=[Depends(admin_token_check)], max_body_size=MAX_BODY_BYTES
    )


BackendDep = Annotated[Backend, Depends(backend_of)]
WritesDep = Annotated[asyncio.Lock, Depends(writes_of)]
router = control_router("state and tokens")


class MintRequest(BaseModel):
    """A token signed by this emulator's key, shaped like Maskinporten's, for testing 401 and 403 handling."""

    scope: str = Field(API_SCOPE, description="Space-separated scopes; leave out the API's scope for a 403.")
    lifetime_seconds: int | None = Field(
        None, ge=-31_536_000, le=31_536_000, strict=True, description="Negative for a token that has already expired."
    )
    client_id: str = Field("trygdehendelser-test-client", min_length=1)
    organisation_number: str = Field(DEFAULT_ORGANISATION, pattern=r"^\d{9}$")
    audience: str = "unspecified"
    claims: dict[str, Any] = Field(
        default_factory=dict, description='Claims to add or override, e.g. {"iss": "https://elsewhere/"}.'
    )
    omit_claims: list[str] = Field(default_factory=list, description='Claims to leave out, e.g. ["iat"].')

    @field_validator("claims")
    @classmethod
    def _issuer_is_a_string(cls, claims: dict[str, Any]) -> dict[str, Any]:
        if "iss" in claims and not isinstance(claims["iss"], str):
            # PyJWT refuses to sign such a token; say so instead of failing.
            raise ValueError(
                "claims.iss must be a string (the signer takes no other); for a token without an issuer, "
                "use omit_claims (--omit iss)"
            )
        return claims


class TokenResponse(BaseModel):
    access_token: str
    token_type: str
    expires_in: int
    scope: str


class ClientRegistration(BaseModel):
    """A client as in the clients file; public keys only."""

    client_id: str = Field(min_length=1)
    organisation_number: str = Field(DEFAULT_ORGANISATION, pattern=r"^\d{9}$")
    scopes: list[str] = Field(default_factory=lambda: [API_SCOPE])
    jwks: list[dict[str, Any]] | dict[str, Any] = Field(default_factory=list, description="JWKs, or a whole JWK set.")
    public_keys_pem: list[str] | dict[str, str] = Field(
        default_factory=list,
        description="PEM public keys: a list (kid: each key's RFC 7638 thumbprint) or an object of kid to PEM.",
    )
    certificates: list[str] = Field(
        default_factory=list, description="Certificates for x5c assertions: PEM, or base64 DER as in x5c."
    )
    client_secret: str | None = None


@router.post("/tokens", response_model=TokenResponse, summary="Mint an access token")
async def mint_token(backend: BackendDep, request: Annotated[MintRequest, Body()]) -> dict[str, Any]:
    issued = backend.authorization.issuer.issue(
        client_id=request.client_id,
        organisation_number=request.organisation_number,
        scope=request.scope,
        client_amr="private_key_jwt",
        audience=request.audience,
        lifetime_seconds=request.lifetime_seconds,
        extra_claims=request.claims,
        omit=request.omit_claims,
    )
    return issued.response()


@router.post("/clients", status_code=201, summary="Register a client (as if it were in the clients file)")
async def register_client(backend: BackendDep, registration: ClientRegistration) -> dict[str, str]:
    try:
        client = client_from_dict(registration.model_dump())
    except ValueError as error:
        raise HTTPException(400, str(error)) from None
    backend.authorization.clients.register(client)
    return {"client_id": client.client_id}


@router.get("/status", summary="Seed, size, head, digest, clock, uptime, faults, live mode, settings")
async def status(backend: BackendDep) -> dict[str, Any]:
    return status_of(backend)


@router.post("/reset", summary="Back to the seeded state: events, faults, journal, consumers, clock")
async def reset(backend: BackendDep, writes: WritesDep) -> dict[str, Any]:
    async with writes:
        backend.reset()
    return status_of(backend)


@router.get(
    "/digest",
    summary="The log's digest, sha256 over its canonical JSON (slow the first time on a large log); with medl=true "
    "also MEDL's, over every period's record (minutes at ten million events)",
)
async def digest(backend: BackendDep, writes: WritesDep, medl: bool = False) -> dict[str, Any]:
    # Hashing runs on a worker thread while no write does: the feed and health go on meanwhile.
    async with writes:
        log_digest = await run_off_loop(backend.history.digest.hexdigest)
        answer: dict[str, Any] = {"digest": log_digest, "events": len(backend.history.log)}
        if medl:
            answer["medl_digest"] = await run_off_loop(medl_digest, backend.medl, backend.history.oslo)
    return answer


def status_of(backend: Backend) -> dict[str, Any]:
    now_ms = backend.clock.now_ms()
    digest = backend.history.digest
    settings = backend.settings.model_dump(mode="json", exclude={"admin_token", "subscription_keys"})
    settings["subscription_keys"] = f"{len(backend.settings.accepted_subscription_keys)} configured"
    settings["admin_token"] = "set" if backend.settings.admin_token else None
    return {
        "version": __version__,
        "log": backend.history.seeded.description,
        "seed": backend.history.seeded.seed,
        "events": len(backend.history.log),
        "head": backend.history.log.head,
        "seeded_head": backend.history.seeded_head,
        "appended": backend.history.log.head - backend.history.seeded_head,
        # Hashing a large log takes seconds (about 3 s a million events): status, which dashboards poll, only
        # brings the digest up to date when little is left to hash; /_emulator/digest always does.
        "digest": digest.hexdigest() if digest.pending() <= STATUS_DIGEST_BUDGET else None,
        "clock": clock_of(backend),
        "uptime_seconds": round(time.monotonic() - backend.started_monotonic, 3),
        "ready_seconds": round(backend.ready_seconds, 3),
        "live": backend.history.live_status(),
        "faults": backend.harness.faults.list(),
        "journal": {
            "size": len(backend.harness.journal),
            "capacity": backend.harness.journal.capacity,
            "evicted": backend.harness.journal.evicted,
        },
        "consumers": len(backend.harness.consumers.views(backend.history.log.head)),
        "persistent": backend.history.store is not None,
        "settings": settings,
        "now_utc": datetime.fromtimestamp(now_ms / 1000, tz=UTC).isoformat(timespec="milliseconds"),
    }


def clock_of(backend: Backend) -> dict[str, Any]:
    now_ms = backend.clock.now_ms()
    return {
        "now": backend.history.oslo.format_one(now_ms, TimestampStyle.OFFSET),
        "now_ms": now_ms,
        "frozen": backend.clock.frozen,
    }
