"""NAV's API, GET /helse/v1/trygdehendelser/hendelser: the hot path, as a bare ASGI endpoint on the pipeline.

FastAPI's middleware and routing cost more per request than building a page from cached text, so the app
hands this one path straight to its pipeline (see `app.EmulatorApp`); everything else goes through FastAPI.
"""

from __future__ import annotations

from starlette.routing import Route

from emulator.backend import Backend
from emulator.errors import BadRequestError
from emulator.harness import Delivery
from emulator.http.endpoint import Answer, Call, first_values
from emulator.http.pipeline import Pipeline
from emulator.maskinporten import API_SCOPE
from emulator.nav import FeedQuery, parse_query

FEED_PATH = "/helse/v1/trygdehendelser/hendelser"
API_BASE = "/helse/v1/trygdehendelser"


class FeedEndpoint:
    route = "feed"
    methods = frozenset({"GET"})
    scope = API_SCOPE
    api_base = API_BASE
    echoes_call_id = False

    def routes(self, _path: str) -> bool:
        # The app hands this endpoint its one path only.
        return True

    def __init__(self, backend: Backend) -> None:
        self._pages = backend.pages
        # The page for a query changes with the pages' state only; asked on every request, so no wrapper.
        self.state = backend.pages.state

    def parse(self, pairs: list[tuple[str, str]]) -> FeedQuery | BadRequestError:
        try:
            return parse_query(first_values(pairs).get)
        except BadRequestError as error:
            return error

    async def check(self, _call: Call, parsed: FeedQuery | BadRequestError) -> FeedQuery:
        if isinstance(parsed, BadRequestError):
            raise parsed
        return parsed

    def fault_subject(self, checked: FeedQuery) -> int:
        return checked.from_number

    async def respond(self, _call: Call, checked: FeedQuery) -> Answer:
        page = self._pages.read(checked)
        return Answer(200, page.body, None, Delivery(checked.from_number, checked.size, page.numbers))


def routes(backend: Backend) -> list[Route]:
    """The feed in the route table too, so it is listed with the others; `EmulatorApp` calls it directly."""
    return [Route(FEED_PATH, Pipeline(backend, FeedEndpoint(backend)), methods=["GET"])]
