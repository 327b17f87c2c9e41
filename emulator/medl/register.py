"""The register's face: MEDL's two operations over the event log, as JSON bytes, and its checks of given fields."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import NamedTuple

import orjson

from emulator.errors import SpringNotFoundError
from emulator.eventlog import EventLog, NewEvent, OsloTime, PeriodIndex
from emulator.medl import parameters
from emulator.medl.derivation import Record, derive
from emulator.medl.history import every_history, history_of
from emulator.medl.overrides import check_planned
from emulator.medl.person_index import PersonIndex
from emulator.medl.wire import record_object

Query = Mapping[str, Sequence[str]]
# Answers kept: a few MB at most (a person's list is a few KB).
MAX_ANSWERS = 4096


class Lookup(NamedTuple):
    """A request as MEDL's Spring backend reads it: one period by id, or a person's periods and the filters."""

    unntak_id: int
    personident: str
    person: parameters.PersonQuery | None
    traces: bool


def read_lookup(unntak_id: str | None, personident: str | None, query: Query) -> Lookup:
    """The path's id (when given) or the `Nav-Personident` header, and the query; BadRequestError naming what
    cannot be read, as Spring answers before the service looks anything up."""
    if unntak_id is not None:
        return Lookup(parameters.unntak_id(unntak_id), "", None, parameters.traces(query))
    ident = parameters.personident(personident)
    person = parameters.person_query(query)
    return Lookup(0, ident, person, person.traces)


class Register:
    """Medlemskapsregisteret as the feed's log implies it: every period the feed has shown, as of its head.

    `periods` is the index the log's appender keeps (pass it to share one index); otherwise one is made.
    """

    def __init__(
        self, log: EventLog, seed: int, periods: PeriodIndex | None = None, oslo: OsloTime | None = None
    ) -> None:
        self._log = log
        self._seed = seed
        self._periods = periods if periods is not None else PeriodIndex(log)
        self._persons = PersonIndex(log)
        self._oslo = oslo or OsloTime()
        self._answers: dict[tuple[Lookup, int, int], bytes] = {}

    @property
    def nbytes(self) -> int:
        """Memory of the register's indexes (the period index included, which the appender shares)."""
        return self._periods.nbytes + self._persons.nbytes

    def warm(self) -> None:
        """Build both indexes now: seconds at ten million events, better spent at start than on a request."""
        self._periods.warm()
        self._persons.warm()

    def one(self, unntak_id: str, query: Query) -> bytes:
        """`GET /medlemskapsunntak/{unntakId}`: BadRequestError for a non-integer id, SpringNotFoundError if unknown."""
        return self.answer(read_lookup(unntak_id, None, query))

    def of_person(self, personident: str | None, query: Query) -> bytes:
        """`GET /medlemskapsunntak` with the `Nav-Personident` header: the person's periods that match the query."""
        return self.answer(read_lookup(None, personident, query))

    def answer(self, lookup: Lookup) -> bytes:
        """The JSON answer to a request already read (`read_lookup`): one period, or the person's that match.

        Kept per request and state of the log, as the feed keeps its pages: the register changes only when the
        log grows (a new head) or is cut back (a truncation).
        """
        log = self._log
        key = (lookup, log.head, log.truncations)
        cached = self._answers.get(key)
        if cached is None:
            cached = self._answer(lookup)
            if len(self._answers) >= MAX_ANSWERS:
                del self._answers[next(iter(self._answers))]
            self._answers[key] = cached
        return cached

    def _answer(self, lookup: Lookup) -> bytes:
        if lookup.person is None:
            record = self.record(lookup.unntak_id)
            if record is None:
                raise SpringNotFoundError(f"Fant ikke medlemskapsunntak med unntakId {lookup.unntak_id}")
            return orjson.dumps(record_object(record, self._oslo, traces=lookup.traces))
        wanted = lookup.person
        chosen = [
            record_object(record, self._oslo, traces=wanted.traces)
            for record in self.records_of(lookup.personident)
            if (wanted.from_day is None or record.til_og_med >= wanted.from_day)
            and (wanted.to_day is None or record.fra_og_med <= wanted.to_day)
            and (wanted.statuses is None or record.status in wanted.statuses)
            and (wanted.medlem is None or record.medlem is wanted.medlem)
            and record.kilde not in wanted.excluded_kilder
        ]
        return orjson.dumps(chosen)

    def record(self, unntak_id: int) -> Record | None:
        """The period with this id as of the log's head, or None."""
        if not 0 < unntak_id < 2**63:
            return None
        history = history_of(self._periods, unntak_id)
        return None if history is None else derive(self._seed, history)

    def records_of(self, personident: str) -> list[Record]:
        """The person's periods (those whose OPPRETTET named them), by unntakId."""
        records = (self.record(period_id) for period_id in self._persons.period_ids(personident))
        return [record for record in records if record is not None]

    def records(self) -> Iterator[Record]:
        """Every period, by unntakId: what the digest covers (read in one pass over the log, not by look-ups)."""
        for history in every_history(self._log, self._periods):
            yield derive(self._seed, history)

    def check(self, planned: Sequence[NewEvent]) -> None:
        """AppendRejectedError naming the event and the rule when a `medlemskapsunntak` given with them breaks one."""
        check_planned(self._periods, self._seed, planned)
