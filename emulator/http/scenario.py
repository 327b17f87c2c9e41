"""Control plane: put the feed in a known state and move it — events, the clock, live mode, faults."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from emulator.backend import Backend
from emulator.eventlog import (
    AppendRejectedError,
    EventDraft,
    EventType,
    Group,
    InstantOutOfRangeError,
    LiveSpec,
    Pattern,
    check_instant,
    parse_instant,
)
from emulator.harness import FaultKind, FaultSpec
from emulator.http.admin import BackendDep, WritesDep, clock_of, control_router
from emulator.http.bodies import ChunkedList, documented_body, parse_body, short
from emulator.http.offloop import run_off_loop

OUT_OF_RANGE = "is outside the years 0001-9999 (in Oslo time)"

router = control_router("scenarios")
MAX_APPEND = 100_000


class DraftIn(BaseModel):
    """An event to append, in the API's own words; what is left out is filled in."""

    model_config = ConfigDict(populate_by_name=True)

    type: EventType
    period_id: int | None = Field(
        None,
        alias="periodeId",
        strict=True,
        description="Required for ENDRET/ANNULLERT; new if left out on OPPRETTET.",
    )
    personident: str | None = Field(None, description="A synthetic (Tenor) number; the period's own if left out.")
    hjemmelgruppe: Literal["EOS", "OEVRIGE"] | None = None
    created: str | None = Field(
        None, alias="opprettetDato", description="ISO 8601; the controlled clock's now if left out."
    )
    medlemskapsunntak: dict[str, Any] | None = Field(
        None,
        description="The period's MEDL fields in MEDL's own names (any of them on OPPRETTET, those that change on "
        "ENDRET); what is left out is generated as for the seeded log.",
    )


class AppendIn(BaseModel):
    events: list[DraftIn] = Field(default_factory=list, max_length=MAX_APPEND)
    generate: int = Field(
        0, ge=0, le=MAX_APPEND, strict=True, description="Or this many generated events, stamped now."
    )

    @model_validator(mode="after")
    def one_of(self) -> AppendIn:
        if bool(self.events) == bool(self.generate):
            raise ValueError("give either events or generate")
        return self


@router.post(
    "/events",
    summary="Append explicit or generated events; returns their numbers",
    openapi_extra={"requestBody": documented_body(AppendIn)},
)
async def append_events(backend: BackendDep, writes: WritesDep, request: Request) -> dict[str, Any]:
    """The body is read here and everything else runs on a worker thread, the append last and whole, so that
    a batch of 100,000 never holds up the event loop (the feed, health) while it is parsed, checked and stored."""
    body = await request.body()
    content_type = request.headers.get("content-type")
    async with writes:
        numbers = await run_off_loop(_append, backend, body, content_type)
    return {"first": numbers.start, "last": numbers.stop - 1, "count": len(numbers), "head": backend.history.log.head}


def _append(backend: Backend, body: bytes, content_type: str | None) -> range:
    request = parse_body(AppendIn, body, content_type, ChunkedList("events", DraftIn, MAX_APPEND))
    history = backend.history
    try:
        if request.generate:
            return history.generate(request.generate)
        return history.append_drafts([_draft(event) for event in request.events])
    except (AppendRejectedError, ValueError) as error:
        raise HTTPException(400, short(str(error))) from None


def _draft(event: DraftIn) -> EventDraft:
    try:
        created = parse_instant(event.created) if event.created is not None else None
    except InstantOutOfRangeError:
        raise AppendRejectedError(f"opprettetDato {event.created!r} {OUT_OF_RANGE}") from None
    except ValueError:
        raise AppendRejectedError(f"opprettetDato {event.created!r} is not an ISO 8601 date-time") from None
    return EventDraft(
        type=event.type,
        period_id=event.period_id,
        personident=event.personident,
        group=Group(event.hjemmelgruppe) if event.hjemmelgruppe else None,
        created_ms=created,
        medlemskapsunntak=event.medlemskapsunntak,
    )


class ClockIn(BaseModel):
    action: Literal["freeze", "unfreeze", "advance", "set", "reset"]
    seconds: float | None = Field(None, strict=True, description="For advance (may be negative).")
    now: str | None = Field(None, description="For set: ISO 8601; without an offset it is Oslo time.")


@router.get("/clock", summary="The controlled clock")
async def get_clock(backend: BackendDep) -> dict[str, Any]:
    return clock_of(backend)


@router.post("/clock", summary="Freeze, unfreeze, advance, set or reset the clock (events and tokens follow it)")
async def move_clock(backend: BackendDep, request: ClockIn) -> dict[str, Any]:
    clock = backend.clock
    if request.action == "advance":
        if request.seconds is None:
            raise HTTPException(400, "advance needs seconds")
        try:
            clock.set(check_instant(clock.now_ms() + round(request.seconds * 1000)))
        except (ValueError, OverflowError):
            raise HTTPException(400, "advance would take the clock outside the years 0001-9999") from None
    elif request.action == "set":
        if request.now is None:
            raise HTTPException(400, "set needs now")
        try:
            clock.set(parse_instant(request.now))
        except InstantOutOfRangeError:
            raise HTTPException(400, f"now {request.now!r} {OUT_OF_RANGE}") from None
        except ValueError:
            raise HTTPException(400, f"now {request.now!r} is not an ISO 8601 date-time") from None
    else:
        getattr(clock, request.action)()
    backend.history.save_clock()
    return clock_of(backend)


class LiveIn(BaseModel):
    rate: float = Field(gt=0, le=10_000, strict=True, description="Events per second on average.")
    pattern: Pattern = Pattern.POISSON
    burst_size: int = Field(10, ge=1, le=10_000, strict=True)
    seed: int = Field(0, strict=True)


@router.put("/live", summary="Start (or change) live mode: generated events appended as the clock runs")
async def start_live(backend: BackendDep, request: LiveIn) -> dict[str, Any]:
    spec = LiveSpec(request.rate, request.pattern, request.burst_size, request.seed)
    backend.history.start_live(spec)
    return {"live": spec.as_dict()}


@router.delete("/live", summary="Stop live mode")
async def stop_live(backend: BackendDep) -> dict[str, Any]:
    backend.history.stop_live()
    return {"live": None}


class FaultIn(BaseModel):
    kind: FaultKind
    status: int | None = Field(None, ge=400, le=599, strict=True)
    retry_after_seconds: int | None = Field(None, ge=0, le=86_400, strict=True)
    latency_ms: int = Field(0, ge=0, le=600_000, strict=True)
    jitter_ms: int = Field(0, ge=0, le=600_000, strict=True)
    times: int | None = Field(None, ge=1, strict=True, description="The next N matching requests; null until removed.")
    consumer: str | None = Field(None, description='e.g. "client:my-client" or "key:1"')
    from_number: int | None = Field(None, ge=0, strict=True, description="Only requests for this hendelsesnummer.")
    route: Literal["feed", "medl", "token", "any"] = "feed"
    probability: float = Field(1.0, gt=0, le=1, strict=True)
    seed: int = Field(0, strict=True)


@router.get("/faults", summary="Active faults")
async def list_faults(backend: BackendDep) -> dict[str, Any]:
    return {"faults": backend.harness.faults.list()}


@router.post("/faults", status_code=201, summary="Inject a fault: a status, latency, a dropped connection, a cut page")
async def add_fault(backend: BackendDep, request: FaultIn) -> dict[str, Any]:
    try:
        fault_id = backend.harness.faults.add(FaultSpec(**request.model_dump()))
    except ValueError as error:
        raise HTTPException(400, str(error)) from None
    return {"id": fault_id, "faults": backend.harness.faults.list()}


@router.delete("/faults/{fault_id}", summary="Remove one fault")
async def remove_fault(backend: BackendDep, fault_id: str) -> dict[str, Any]:
    if not backend.harness.faults.remove(fault_id):
        raise HTTPException(404, f"no fault {fault_id}")
    return {"faults": backend.harness.faults.list()}


@router.delete("/faults", summary="Remove every fault")
async def clear_faults(backend: BackendDep) -> dict[str, Any]:
    backend.harness.faults.clear()
    return {"faults": []}
