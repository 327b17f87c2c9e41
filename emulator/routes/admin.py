"""The control plane under /_emulator: what NAV cannot offer a tester (FastAPI, with generated docs)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from emulator.backend import Backend
from emulator.clients import DEFAULT_ORGANISATION, client_from_dict
from emulator.tokens import API_SCOPE

router = APIRouter(prefix="/_emulator", tags=["control plane"])


def backend_of(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


BackendDep = Annotated[Backend, Depends(backend_of)]


class MintRequest(BaseModel):
    """A token signed by this emulator's key, shaped like Maskinporten's, for testing 401 and 403 handling."""

    scope: str = Field(API_SCOPE, description="Space-separated scopes; leave out the API's scope for a 403.")
    lifetime_seconds: int | None = Field(
        None, ge=-31_536_000, le=31_536_000, description="Negative for a token that has already expired."
    )
    client_id: str = Field("trygdehendelser-test-client", min_length=1)
    organisation_number: str = Field(DEFAULT_ORGANISATION, pattern=r"^\d{9}$")
    audience: str = "unspecified"
    claims: dict[str, Any] = Field(
        default_factory=dict, description='Claims to add or override, e.g. {"iss": "https://elsewhere/"}.'
    )
    omit_claims: list[str] = Field(default_factory=list, description='Claims to leave out, e.g. ["iat"].')


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
    jwks: list[dict[str, Any]] = Field(default_factory=list)
    certificates: list[str] = Field(default_factory=list, description="Base64 DER certificates (as in x5c).")
    client_secret: str | None = None


@router.post("/tokens", response_model=TokenResponse, summary="Mint an access token")
def mint_token(backend: BackendDep, request: Annotated[MintRequest, Body()]) -> dict[str, Any]:
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
def register_client(backend: BackendDep, registration: ClientRegistration) -> dict[str, str]:
    try:
        client = client_from_dict(registration.model_dump())
    except ValueError as error:
        raise HTTPException(400, str(error)) from None
    backend.authorization.clients.register(client)
    return {"client_id": client.client_id}
