"""The fake Maskinporten's HTTP face: metadata and JWKS under the issuer's path, and its token endpoint."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator.backend import Backend
from emulator.errors import OAuthError
from emulator.harness import consumer_name
from emulator.http.endpoint import Answer, Call, first_values
from emulator.http.pipeline import Pipeline
from emulator.maskinporten import AuthorizationServer, TokenRequest

FORM = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 64 * 1024
JSON = "application/json"
# RFC 6749 §5.1: token responses must not be cached.
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def issuer_path(server: AuthorizationServer) -> str:
    return urlsplit(server.issuer.issuer).path or "/"


class TokenEndpoint:
    route = "token"
    methods = frozenset({"POST"})
    # Maskinporten is not behind API Management.
    scope = None
    api_base = ""
    echoes_call_id = False

    def routes(self, _path: str) -> bool:
        # The app hands this endpoint its one path only.
        return True

    def __init__(self, server: AuthorizationServer) -> None:
        self._server = server

    def parse(self, _pairs: list[tuple[str, str]]) -> None:
        return None

    async def check(self, call: Call, _parsed: None) -> TokenRequest:
        content_type = (call.header(b"content-type") or "").split(";")[0].strip().lower()
        if content_type != FORM:
            raise OAuthError("invalid_request", f"The token request must be sent as {FORM}")
        body = await _body(call)
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            raise OAuthError("invalid_request", "The token request is not UTF-8") from None
        request = TokenRequest(first_values(pairs), TokenRequest.basic(call.header(b"authorization")))
        # Who asks, as the request says: enough to scope a fault and name the journal's consumer.
        call.consumer = consumer_name(request.claimed_client_id())
        return request

    def state(self) -> None:
        # Every token is new: nothing is ever sent twice.
        return None

    def fault_subject(self, _checked: TokenRequest) -> None:
        return None

    async def respond(self, _call: Call, checked: TokenRequest) -> Answer:
        issued = self._server.token(checked)
        return Answer(200, orjson.dumps(issued.response()), _NO_STORE)


async def _body(call: Call) -> bytes:
    """The body, read as it arrives, so one sent in chunks without a length stops at the limit, not in memory."""
    declared = call.header(b"content-length") or "0"
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise OAuthError("invalid_request", "The token request is too large")
    body = bytearray()
    while True:
        message = await call.receive()
        if message["type"] != "http.request":
            raise OAuthError("invalid_request", "The token request ended before its body did")
        body += message.get("body", b"")
        if len(body) > MAX_FORM_BYTES:
            raise OAuthError("invalid_request", "The token request is too large")
        if not message.get("more_body", False):
            return bytes(body)


def routes(backend: Backend) -> list[Route]:
    server = backend.authorization
    prefix = issuer_path(server)
    metadata = orjson.dumps(server.metadata())

    async def authorization_server_metadata(_: Request) -> Response:
        return Response(metadata, media_type=JSON)

    async def jwk(_: Request) -> Response:
        return Response(orjson.dumps(server.issuer.jwks()), media_type=JSON)

    return [
        Route(f"{prefix}.well-known/oauth-authorization-server", authorization_server_metadata, methods=["GET"]),
        Route(f"{prefix}.well-known/openid-configuration", authorization_server_metadata, methods=["GET"]),
        Route(f"{prefix}jwk", jwk, methods=["GET"]),
        # Every method: the pipeline answers API Management's 404 for any but POST, and journals it.
        Route(f"{prefix}token", Pipeline(backend, TokenEndpoint(server))),
    ]
