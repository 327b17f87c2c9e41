"""MEDL's `medlemskapsunntak` API behind the same gateway as the feed: a period by id, or a person's periods.

Both operations run on the request pipeline with MEDL's own scope; the app hands every path under
`/medlemskap/v1/medlemskapsunntak` straight to it, as it does the feed's one path.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

from starlette.routing import Route

from emulator.backend import Backend
from emulator.errors import BadRequestError
from emulator.http.endpoint import Answer, Call
from emulator.http.pipeline import Pipeline
from emulator.maskinporten import MEDL_SCOPE
from emulator.medl import PERSON_HEADER, Lookup, Register, read_lookup

MEDL_PATH = "/medlemskap/v1/medlemskapsunntak"
_ONE_PREFIX = f"{MEDL_PATH}/"
_PERSON_HEADER = PERSON_HEADER.lower().encode("latin-1")
MAX_READ = 4096
MAX_CACHED_REQUEST_BYTES = 512


class MedlEndpoint:
    route = "medl"
    methods = frozenset({"GET"})
    scope = MEDL_SCOPE
    api_base = MEDL_PATH
    echoes_call_id = True

    def __init__(self, register: Register) -> None:
        self._register = register
        # Building MEDL's indexes takes seconds on a large log: the app starts it off the loop, and a look-up
        # that comes first waits for it rather than building them on the loop itself.
        self.warming: asyncio.Future[None] | None = None
        # How each distinct request reads (path, person, query), as the pipeline keeps each query string's.
        self._read: dict[tuple[str, bytes | None, bytes], Lookup | BadRequestError] = {}

    def routes(self, path: str) -> bool:
        return path == MEDL_PATH or (path.startswith(_ONE_PREFIX) and "/" not in path[len(_ONE_PREFIX) :])

    def parse(self, pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
        values: defaultdict[str, list[str]] = defaultdict(list)
        for name, value in pairs:
            values[name].append(value)
        return dict(values)

    async def check(self, call: Call, parsed: dict[str, list[str]]) -> Lookup:
        path = call.scope["path"]
        person = call.raw_headers.get(_PERSON_HEADER)
        key = (path, person, call.scope["query_string"])
        read = self._read.get(key)
        if read is None:
            unntak_id = path[len(_ONE_PREFIX) :] if path != MEDL_PATH else None
            try:
                read = read_lookup(unntak_id, person.decode("latin-1") if person is not None else None, parsed)
            except BadRequestError as error:
                read = error
            if len(path) + len(person or b"") + len(key[2]) <= MAX_CACHED_REQUEST_BYTES:
                if len(self._read) >= MAX_READ:
                    del self._read[next(iter(self._read))]
                self._read[key] = read
        # Spring turns the request down before the service looks anything up.
        if isinstance(read, BadRequestError):
            raise read
        return read

    def state(self) -> None:
        # An answer depends on the path and Nav-Personident too, besides the query string.
        return None

    def fault_subject(self, _checked: Lookup) -> None:
        return None

    async def respond(self, _call: Call, checked: Lookup) -> Answer:
        if self.warming is not None and not self.warming.done():
            await asyncio.shield(self.warming)
        return Answer(200, self._register.answer(checked))

    def start_warming(self) -> None:
        """Build the indexes on a worker thread; called once the event loop runs."""
        self.warming = asyncio.ensure_future(asyncio.to_thread(self._register.warm))


def routes(backend: Backend) -> tuple[list[Route], MedlEndpoint]:
    """Both operations in the route table, so they are listed with the others; `EmulatorApp` calls them directly."""
    endpoint = MedlEndpoint(backend.medl)
    pipeline = Pipeline(backend, endpoint)
    return [Route(MEDL_PATH, pipeline), Route(f"{MEDL_PATH}/{{unntak_id}}", pipeline)], endpoint
