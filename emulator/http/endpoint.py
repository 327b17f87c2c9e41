"""What an endpoint tells the pipeline about itself, and a request and its answer as the pipeline's steps see them."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, TypeVar

from starlette.types import Receive, Scope

from emulator.harness import Delivery

Parsed = TypeVar("Parsed")
Checked = TypeVar("Checked")


@dataclass(slots=True)
class Call:
    """One request as the pipeline's steps see it. Not frozen: one is made per request."""

    scope: Scope
    receive: Receive
    # Raw header names and values, the first of a repeated header counting; decoded only when read.
    raw_headers: dict[bytes, bytes]
    first_values: dict[str, str]
    consumer: str | None = None

    def header(self, name: bytes) -> str | None:
        value = self.raw_headers.get(name)
        return value.decode("latin-1") if value is not None else None


@dataclass(slots=True)
class Answer:
    status: int
    body: bytes
    headers: dict[str, str] | None = None
    # What a feed page delivered, for the consumer view; None for any other answer.
    delivery: Delivery | None = None


class QueryString(NamedTuple):
    first_values: dict[str, str]
    # The endpoint's own reading of the parameters (a feed query, say, or the error that refuses them).
    parsed: Any
    # As the journal may show it: any key, token, assertion or secret masked.
    journal_text: str


class Endpoint(Protocol[Parsed, Checked]):
    @property
    def route(self) -> str:
        """How faults, the journal and the metrics name the endpoint."""

    @property
    def methods(self) -> frozenset[str]: ...

    @property
    def scope(self) -> str | None:
        """The scope API Management wants; None for an endpoint that is not behind the gateway."""

    @property
    def api_base(self) -> str:
        """The API's base path, which API Management's key challenge names."""

    @property
    def echoes_call_id(self) -> bool:
        """Whether the answer carries the request's Nav-Call-Id back, as NAV's REST services do."""

    def routes(self, path: str) -> bool:
        """Whether API Management has an operation at this path (the app hands the endpoint its paths)."""

    def parse(self, pairs: list[tuple[str, str]]) -> Parsed:
        """What the query string's pairs mean to the backend; a pure function of them, kept per query string."""

    async def check(self, call: Call, parsed: Parsed) -> Checked:
        """The backend's own checks, raising the error it answers; may name the consumer (the token endpoint)."""

    def state(self) -> Hashable | None:
        """What the answer to a query depends on besides the query string, changing whenever that answer could;
        None for an endpoint whose answers depend on more of the request (they are never sent again as kept)."""

    def fault_subject(self, checked: Checked) -> int | None:
        """The hendelsesnummer a fault may be scoped to, where the endpoint has one."""

    async def respond(self, call: Call, checked: Checked) -> Answer:
        """The backend's answer."""


def first_values(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each name's first value: how Spring's @RequestParam and the token endpoint read a repeated field."""
    values: dict[str, str] = {}
    for name, value in pairs:
        values.setdefault(name, value)
    return values
