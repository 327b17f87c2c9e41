"""The dashboard: a static page at `/` (no build step, nothing fetched from elsewhere) and its helper endpoints.

The page itself and its two assets need no admin token (a browser cannot send one for `<script src>`); what
they show comes from the control plane, and the three helpers here sit behind the control plane's own check.
A period's history carries MEDL's record of it too, as MEDL's own API answers it (with its sporingsinformasjon).
"""

from __future__ import annotations

import asyncio
import functools
from importlib import resources
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
import orjson
from fastapi import HTTPException, Path, Request
from starlette.requests import Request as StarletteRequest
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from emulator.errors import SpringNotFoundError
from emulator.eventlog import EVENT_TYPES, GROUPS, EventType, InvalidIdentityError, TimestampStyle, validate_synthetic
from emulator.http.admin import CONTROL_PREFIX, BackendDep, control_router
from emulator.http.feed import FEED_PATH
from emulator.http.medl import MEDL_PATH
from emulator.medl import Register, read_lookup

DASHBOARD_PREFIX = f"{CONTROL_PREFIX}/dashboard"
MAX_PERIOD_EVENTS = 1000
INT64_MAX = 2**63 - 1
_JSON = "application/json"

# Everything the page loads comes from this origin; nothing inline, nothing framed, no forms posted anywhere.
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
_ASSET_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
_ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}


@functools.cache
def asset(name: str) -> bytes:
    """A file of the page, shipped inside the package (`emulator/dashboard/`)."""
    return resources.files("emulator").joinpath("dashboard", name).read_bytes()


async def page(_: StarletteRequest) -> Response:
    return Response(asset("index.html"), media_type=_ASSETS["index.html"], headers=_PAGE_HEADERS)


def _asset_route(name: str) -> Route:
    async def serve(_: StarletteRequest) -> Response:
        return Response(asset(name), media_type=_ASSETS[name], headers=_ASSET_HEADERS)

    return Route(f"{DASHBOARD_PREFIX}/{name}", serve, methods=["GET"], name=f"dashboard:{name}")


router = control_router("dashboard")


@router.get("/dashboard/config", summary="What the dashboard needs to call the APIs: the first subscription key, paths")
async def config(backend: BackendDep) -> dict[str, Any]:
    keys = backend.settings.accepted_subscription_keys
    return {
        "subscription_key": keys[0] if keys else None,
        "feed_path": FEED_PATH,
        "medl_path": MEDL_PATH,
    }


@router.get("/dashboard/summary", summary="The log at a glance: size, head, counts by hjemmelgruppe and by type")
async def summary(request: Request, backend: BackendDep) -> dict[str, Any]:
    log = backend.history.log
    # The group column grows last, so every other column holds at least `head` rows.
    head = log.head
    appended = log.kind.values[backend.history.seeded_head : head]
    types = _seeded_type_counts(request, backend.history.seeded_head) + _type_counts(appended)
    created = log.created_ms.values
    style = TimestampStyle.OFFSET
    return {
        "head": head,
        "events": head,
        "seeded_head": backend.history.seeded_head,
        "appended": head - backend.history.seeded_head,
        "groups": {group.value: log.count(group) for group in GROUPS},
        "types": {event_type.value: int(types[event_type.code]) for event_type in EVENT_TYPES},
        # Every period begins with OPPRETTET, and ANNULLERT is a period's last event.
        "periods": int(types[EventType.OPPRETTET.code]),
        "annulled": int(types[EventType.ANNULLERT.code]),
        "first_created": backend.history.oslo.format_one(int(created[0]), style) if head else None,
        "last_created": backend.history.oslo.format_one(int(created[head - 1]), style) if head else None,
    }


def _type_counts(kinds: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
    return np.bincount(kinds, minlength=len(EVENT_TYPES)).astype(np.int64)


def _seeded_type_counts(request: Request, seeded_head: int) -> npt.NDArray[np.int64]:
    """The seeded rows never change (a reset cuts back to them), so they are counted once per app."""
    state = request.app.state
    counts: npt.NDArray[np.int64] | None = getattr(state, "dashboard_seeded_types", None)
    if counts is None:
        backend = state.backend
        counts = _type_counts(backend.history.log.kind.values[:seeded_head])
        state.dashboard_seeded_types = counts
    return counts


@router.get(
    "/dashboard/periods/{period_id}",
    summary=(
        "One period's history in the API's wire form, with its person checked as a synthetic identity and "
        "MEDL's record of it (`medlemskapsunntak`, as `GET /medlemskap/v1/medlemskapsunntak/{unntakId}"
        "?inkluderSporingsinfo=true` answers it)"
    ),
)
async def period_history(
    backend: BackendDep, period_id: Annotated[int, Path(ge=0, le=INT64_MAX, description="periodeId")]
) -> Response:
    log = backend.history.log
    head = log.head
    rows = np.flatnonzero(log.period_id.values[:head] == period_id).astype(np.int64, copy=False)
    if len(rows) == 0:
        raise HTTPException(404, f"no period {period_id} in the log")
    shown = rows[:MAX_PERIOD_EVENTS]
    last = int(rows[-1])
    ident = log.idents.values[log.person.values[last]].decode("ascii")
    last_type = EVENT_TYPES[int(log.kind.values[last])]
    body = {
        "periodeId": period_id,
        "personident": ident,
        "identity": identity_of(ident),
        "hjemmelgruppe": GROUPS[int(log.group.values[last])].value,
        "state": last_type.value,
        "annulled": last_type is EventType.ANNULLERT,
        "count": len(rows),
        "shown": len(shown),
        "truncated": len(rows) > len(shown),
        "hendelser": [orjson.Fragment(text) for text in backend.pages.event_texts(shown)],
        "medlemskapsunntak": orjson.Fragment(await _medl_record(backend.medl, period_id)),
    }
    return Response(orjson.dumps(body), media_type=_JSON)


async def _medl_record(register: Register, period_id: int) -> bytes:
    """MEDL's answer for the period, through the same code path as its API; `null` when MEDL has no such id."""
    lookup = read_lookup(str(period_id), None, {"inkluderSporingsinfo": ["true"]})
    try:
        # Off the loop: before MEDL's indexes are warm, the first look-up builds them (seconds on a large log).
        return await asyncio.to_thread(register.answer, lookup)
    except SpringNotFoundError:
        return b"null"


def identity_of(ident: str) -> dict[str, Any]:
    """What the identity is: a synthetic (Tenor) fødselsnummer or D-nummer and its birth date, or why not."""
    try:
        identity = validate_synthetic(ident)
    except InvalidIdentityError as error:
        return {"synthetic": False, "reason": str(error)}
    return {"synthetic": True, "kind": identity.kind.value, "birth_date": identity.birth_date.isoformat()}


routes: list[BaseRoute] = [
    Route("/", page, methods=["GET"], name="dashboard"),
    *(_asset_route(name) for name in ("app.js", "style.css")),
    *router.routes,
]
