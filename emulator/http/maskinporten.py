"""The fake Maskinporten's HTTP face: metadata, JWKS and the token endpoint under the issuer's path."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl, urlsplit

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from emulator.backend import Backend
from emulator.errors import OAuthError
from emulator.harness.faults import Decision, FaultKind
from emulator.maskinporten.authorization import AuthorizationServer, TokenRequest

FORM = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 64 * 1024


def issuer_path(server: AuthorizationServer) -> str:
    return urlsplit(server.issuer.issuer).path or "/"


def routes(server: AuthorizationServer) -> list[Route]:
    prefix = issuer_path(server)
    metadata = orjson.dumps(server.metadata())

    async def authorization_server_metadata(_: Request) -> Response:
        return Response(metadata, media_type="application/json")

    async def jwk(request: Request) -> Response:
        return _json(_backend(request).authorization.issuer.jwks())

    async def token(request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != FORM:
            raise OAuthError("invalid_request", f"The token request must be sent as {FORM}")
        declared = request.headers.get("content-length", "0")
        if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
            raise OAuthError("invalid_request", "The token request is too large")
        # Read as it arrives, so a body sent in chunks without a length stops at the limit, not in memory.
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                raise OAuthError("invalid_request", "The token request is too large")
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            raise OAuthError("invalid_request", "The token request is not UTF-8") from None
        form: dict[str, str] = {}
        for name, value in pairs:
            form.setdefault(name, value)
        request_data = TokenRequest(form, TokenRequest.basic(request.headers.get("authorization")))
        backend = _backend(request)
        fault = await _fault(backend, request, request_data)
        if fault is not None and fault.body is not None:
            return Response(fault.body, status_code=fault.status or 500, headers=fault.headers, media_type=JSON)
        issued = backend.authorization.token(request_data)
        # RFC 6749 §5.1: token responses must not be cached.
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        answer = orjson.dumps(issued.response())
        if fault is not None and fault.kind is FaultKind.TRUNCATE:
            return Response(answer[: len(answer) // 2], media_type=JSON, headers=headers)
        if fault is not None and fault.kind is FaultKind.DROP:
            return _DroppedResponse(answer, media_type=JSON, headers=headers)
        return Response(answer, media_type=JSON, headers=headers)

    return [
        Route(f"{prefix}.well-known/oauth-authorization-server", authorization_server_metadata, methods=["GET"]),
        Route(f"{prefix}.well-known/openid-configuration", authorization_server_metadata, methods=["GET"]),
        Route(f"{prefix}jwk", jwk, methods=["GET"]),
        Route(f"{prefix}token", token, methods=["POST"]),
    ]


JSON = "application/json"


async def _fault(backend: Backend, request: Request, token_request: TokenRequest) -> Decision | None:
    """The injected fault this token request meets, if any, after its delay; the journal notes it and who asked."""
    client_id = token_request.claimed_client_id()
    consumer = f"client:{client_id}" if client_id else None
    request.state.consumer = consumer
    if not backend.faults:
        return None
    fault = backend.faults.decide(route="token", consumer=consumer, from_number=None)
    if fault is None:
        return None
    request.state.fault = fault.fault_id
    if fault.delay_ms:
        await asyncio.sleep(fault.delay_ms / 1000)
    return fault


class _DroppedResponse(Response):
    """Announces the whole body, sends half and stops: the server closes the connection mid-body."""

    async def __call__(self, _scope: Scope, _receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": bytes(self.body)[: len(self.body) // 2], "more_body": True})


def _backend(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


def _json(content: object, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(content), media_type="application/json", headers=headers)
