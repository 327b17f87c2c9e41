"""A small, real consumer of NAV's Helse Trygdehendelser feed, written the way a production reader would be.

It authenticates as Maskinporten wants (the JWT-bearer grant, an assertion signed with the client's own RSA
key), reads the feed from where it left off (`hendelsesnummer = last + 1`, 100 at a time, both groups), looks
each event's period up in MEDL (`GET /medlemskap/v1/medlemskapsunntak/{periodeId}`, the feed says only *that*
a period changed, MEDL says *how*), appends every event as one JSON line to an output file, keeps MEDL's latest
record of every period in a SQLite table, and then saves its cursor, atomically, after every batch.

Failures it expects and rides out, never moving the cursor past an event it has not written:

- 429 and 503: waits as long as `Retry-After` says (else exponential back-off with jitter, capped);
- other 5xx, a dropped connection, a timeout, a page that is not valid JSON (cut short): retries with back-off;
- 401 (the token expired in flight): fetches a new token and retries once;
- an empty page: nothing new yet, so it waits `--poll-interval` seconds and asks again;
- MEDL's 429/5xx, dropped connections and cut answers the same way, keeping the page it has read;
- a 404 from MEDL for a period the feed announced is a bug on NAV's side: it stops, loudly, before the cursor
  moves past that event.

The state file holds the cursor and how many bytes of the output file belong to it, so after a crash between
writing events and saving the cursor the extra lines are cut off on restart: each event lands exactly once.
The periods table is committed before the cursor is saved; a batch read again only looks its periods up again
and overwrites them with answers at least as new, so the table is never older than the cursor.

    python examples/consumer.py --base-url http://127.0.0.1:8080 \\
        --issuer http://127.0.0.1:8080/maskinporten/ --client-id my-client --key-file my-key.pem \\
        --state-file cursor.json --out events.jsonl --periods periods.sqlite --until 10000

Only the standard library (sqlite3 included), httpx and PyJWT (with its `crypto` extra, for RS256).
"""

from __future__ import annotations

import argparse
import contextlib
import email.utils
import json
import logging
import os
import random
import signal
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, BinaryIO

import httpx
import jwt

FEED_PATH = "/helse/v1/trygdehendelser/hendelser"
SCOPE = "nav:helse/v1/trygdehendelser"
MEDL_PATH = "/medlemskap/v1/medlemskapsunntak"
MEDL_SCOPE = "nav:medlemskap/v1/medlemskapsunntak"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
PAGE_SIZE = 100
ASSERTION_LIFETIME_SECONDS = 60
DEFAULT_SUBSCRIPTION_KEY = "local-subscription-key"

log = logging.getLogger("trygdehendelser-consumer")


class FatalError(Exception):
    """Something retrying will not fix: a refused grant, a 400/403/404, a state file that does not fit."""


class TransientError(Exception):
    """Worth another try after a pause; `retry_after` is the server's own advice, when it gave one."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


# ------------------------------------------------------------------------------------------------ tokens


@dataclass
class TokenSource:
    """Maskinporten's JWT-bearer grant for one scope; the token is kept and replaced shortly before it expires."""

    http: httpx.Client
    issuer: str
    client_id: str
    private_key: str
    key_id: str
    scope: str = SCOPE
    fetched: int = 0
    _token: str | None = None
    _refresh_at: float = 0.0
    # Look-ups run on several threads: one of them fetches a new token, the others wait for it.
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def token(self) -> str:
        with self._lock:
            if self._token is None or time.monotonic() >= self._refresh_at:
                self._fetch()
            assert self._token is not None
            return self._token

    def invalidate(self) -> None:
        self._token = None

    def assertion(self) -> str:
        now = int(time.time())
        claims = {
            "aud": self.issuer,
            "iss": self.client_id,
            "scope": self.scope,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_SECONDS,
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.key_id})

    def _fetch(self) -> None:
        started = time.monotonic()
        try:
            response = self.http.post(
                f"{self.issuer}token", data={"grant_type": JWT_BEARER, "assertion": self.assertion()}
            )
        except httpx.TransportError as error:
            raise TransientError(f"token endpoint: {type(error).__name__}") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(f"token endpoint: {response.status_code}", retry_after_of(response))
        if response.status_code != 200:
            raise FatalError(f"the token endpoint refused the grant: {response.status_code} {response.text}")
        try:
            body = response.json()
            token = body["access_token"]
            expires_in = float(body["expires_in"])
        except (ValueError, KeyError, TypeError):
            raise TransientError("token endpoint: not a token response") from None
        # Renew with a quarter of the lifetime (at most 30 s) to spare, so no request goes out with a stale one.
        margin = min(30.0, expires_in / 4)
        self._token, self._refresh_at = str(token), started + expires_in - margin
        self.fetched += 1
        log.info("new access token for %s (expires in %.0f s)", self.scope, expires_in)


# ------------------------------------------------------------------------------------------------ state


@dataclass(frozen=True)
class State:
    """The last event number written, and the output file's length once it was written."""

    last: int = 0
    output_bytes: int = 0


def load_state(path: Path) -> State | None:
    try:
        data = json.loads(path.read_text("utf-8"))
        return State(int(data["hendelsesnummer"]), int(data["output_bytes"]))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as error:
        raise FatalError(f"{path} is not a state file this consumer wrote ({error})") from None


def save_state(path: Path, state: State) -> None:
    """Write to a temporary file beside it, fsync, then rename over the old one: never half a state file."""
    payload = json.dumps({"hendelsesnummer": state.last, "output_bytes": state.output_bytes}).encode()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    with contextlib.suppress(OSError):  # the rename itself is durable once the directory is synced
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def open_output(path: Path, state: State | None) -> BinaryIO:
    """The output file, cut back to what the saved cursor covers (lines of a batch whose cursor was lost)."""
    size = path.stat().st_size if path.exists() else 0
    expected = state.output_bytes if state else 0
    if size < expected:
        raise FatalError(f"{path} holds {size} bytes, but the state file says {expected} were written")
    if state is None and size:
        raise FatalError(f"{path} already holds events but there is no state file; move one of them away")
    stream = path.open("r+b" if path.exists() else "w+b")
    if size > expected:
        log.warning("dropping %d bytes of %s written after the last saved cursor", size - expected, path)
        stream.truncate(expected)
    stream.seek(expected)
    return stream


class PeriodStore:
    """MEDL's latest record of every period seen, one row per `unntakId`, in a SQLite file of the consumer's own.

    A table rather than a JSON file: it is upserted a batch at a time, where a file would be rewritten whole
    after every batch (hundreds of megabytes for a million periods).
    """

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path)
        # WAL lets a reader (a report, a test) look at the table while the consumer writes to it.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS periods (unntak_id INTEGER PRIMARY KEY, ident TEXT NOT NULL,"
            " status TEXT NOT NULL, versjon INTEGER, hendelsesnummer INTEGER NOT NULL, record TEXT NOT NULL)"
        )
        self._db.commit()

    def save(self, looked_up: list[tuple[int, dict[str, Any]]]) -> None:
        """Store each record with the number of the last event that made this consumer look it up."""
        rows = [
            (
                record["unntakId"],
                record["ident"],
                record["status"],
                (record.get("sporingsinformasjon") or {}).get("versjon"),
                number,
                json.dumps(record, ensure_ascii=False, separators=(",", ":")),
            )
            for number, record in looked_up
        ]
        with self._db:  # one transaction: the whole batch or none of it
            self._db.executemany(
                "INSERT INTO periods VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (unntak_id) DO UPDATE SET"
                " ident = excluded.ident, status = excluded.status, versjon = excluded.versjon,"
                " hendelsesnummer = excluded.hendelsesnummer, record = excluded.record",
                rows,
            )

    def close(self) -> None:
        self._db.close()


# ------------------------------------------------------------------------------------------------ reading


def retry_after_of(response: httpx.Response) -> float | None:
    """`Retry-After` in seconds, given as a number or as an HTTP date; None when absent or unreadable."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def parse_page(response: httpx.Response, after: int) -> list[dict[str, Any]]:
    """The page's events, checked: valid JSON, the documented shape, numbers ascending past the cursor."""
    try:
        body = json.loads(response.content)
    except ValueError:
        raise TransientError("invalid JSON (a page cut short?)") from None
    events = body.get("hendelser") if isinstance(body, dict) else None
    if not isinstance(events, list) or body.get("antallHendelser") != len(events):
        raise TransientError("not a page of hendelser")
    previous = after
    for event in events:
        number = event.get("hendelsesnummer") if isinstance(event, dict) else None
        if not isinstance(number, int) or number <= previous:
            raise TransientError(f"event numbers out of order after {previous}: {number!r}")
        previous = number
    return events


def parse_record(response: httpx.Response, event: dict[str, Any]) -> dict[str, Any]:
    """MEDL's answer for the event's period, checked: valid JSON, the period asked for, the event's person."""
    try:
        record = json.loads(response.content)
    except ValueError:
        raise TransientError("medl invalid JSON (an answer cut short?)") from None
    if not isinstance(record, dict) or not isinstance(record.get("status"), str):
        raise TransientError("medl not a medlemskapsunntak")
    content = event["innhold"]
    if record.get("unntakId") != content["periodeId"] or record.get("ident") != content["personident"]:
        # Named by numbers only: a fødselsnummer does not belong in a log.
        raise FatalError(
            f"BUG: MEDL's answer for periodeId {content['periodeId']} (event {event['hendelsesnummer']}) is about"
            f" another period or person (unntakId {record.get('unntakId')!r})"
        )
    return record


@dataclass
class Options:
    base_url: str
    subscription_key: str
    consumer_id: str
    until: int | None
    deadline: float | None
    poll_interval: float
    backoff_base: float
    backoff_cap: float
    # MEDL look-ups in flight at once: a page's periods are independent of each other.
    lookups: int = 8


@dataclass
class Consumer:
    http: httpx.Client
    tokens: TokenSource
    # Two tokens, one per API, rather than one carrying both scopes: each API is sent a token that opens only
    # itself, so a token that leaks from one side (a log, a proxy) cannot be used on the other. The cost is one
    # more token request per token lifetime, nothing next to a look-up per event.
    medl_tokens: TokenSource
    options: Options
    state_file: Path
    output: BinaryIO
    periods: PeriodStore
    state: State
    stop: threading.Event = field(default_factory=threading.Event)
    stats: Counter[str] = field(default_factory=Counter)
    _failures: int = 0
    _random: random.Random = field(default_factory=random.Random)
    # The page read and the records looked up so far: a failed look-up is retried without reading the page again.
    _page: list[dict[str, Any]] | None = None
    _records: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Where look-ups run in parallel; without one, one after the other.
    pool: ThreadPoolExecutor | None = None
    _stats_lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> str:
        """Read until `--until`, the deadline or a signal; returns which of them ended it."""
        while True:
            if self.options.until is not None and self.state.last >= self.options.until:
                return "until"
            if self.stop.is_set():
                return "stopped"
            if self._remaining() <= 0:
                return "max-seconds"
            try:
                if self._page is None:
                    self._page = self._next_page()
                events = self._page
                self._look_up(events)
            except TransientError as error:
                self._back_off(error)
                continue
            self._failures = 0
            self._page = None
            if events:
                self._write(events)
            else:
                self.stats["empty_polls"] += 1
                self._pause(self.options.poll_interval)

    def _next_page(self) -> list[dict[str, Any]]:
        params: dict[str, str | int] = {
            "hendelsesnummer": self.state.last + 1,
            "antallHendelser": PAGE_SIZE,
            "hjemmelgruppe": "ALLE",
        }
        for attempt in (1, 2):
            # The subscription key is the API gateway's: it goes with feed requests only, never to Maskinporten.
            headers = {
                "Ocp-Apim-Subscription-Key": self.options.subscription_key,
                "Authorization": f"Bearer {self.tokens.token()}",
            }
            self.stats["requests"] += 1
            try:
                response = self.http.get(FEED_PATH, params=params, headers=headers, timeout=self._timeout())
            except httpx.TransportError as error:
                raise TransientError(f"connection: {type(error).__name__}") from None
            status = response.status_code
            if status == 401 and attempt == 1:
                self.stats["status_401"] += 1
                log.info("401 from the feed; fetching a new token")
                self.tokens.invalidate()
                continue
            if status in (429, 503):
                raise TransientError(f"status {status}", retry_after_of(response))
            if status >= 500:
                raise TransientError(f"status {status}")
            if status != 200:
                raise FatalError(f"the feed answered {status}: {response.text}")
            return parse_page(response, self.state.last)
        raise FatalError("the feed refused a freshly fetched token (401 twice)")

    def _look_up(self, events: list[dict[str, Any]]) -> None:
        """MEDL's record of every period on the page, once each: asked after the page was read, so it is at
        least as new as the page's last event about that period. Several at once; what was fetched is kept if
        another look-up fails, so a retry asks only for what is missing."""
        wanted: dict[int, dict[str, Any]] = {}
        for event in events:
            period = int(event["innhold"]["periodeId"])
            if period not in self._records:
                wanted.setdefault(period, event)
        if self.pool is None or self.options.lookups == 1 or len(wanted) == 1:
            for period, event in wanted.items():
                self._records[period] = self._medl_record(event)
            return
        running: dict[Future[dict[str, Any]], int] = {
            self.pool.submit(self._medl_record, event): period for period, event in wanted.items()
        }
        failure: Exception | None = None
        for done in as_completed(running):
            if done.cancelled():
                continue
            try:
                self._records[running[done]] = done.result()
            except (FatalError, TransientError) as error:
                # A fatal answer outranks a passing one; look-ups not yet begun are left for the retry.
                failure = failure if isinstance(failure, FatalError) else error
                for waiting in running:
                    waiting.cancel()
        if failure is not None:
            raise failure

    def _count(self, name: str) -> None:
        with self._stats_lock:
            self.stats[name] += 1

    def _medl_record(self, event: dict[str, Any]) -> dict[str, Any]:
        period = event["innhold"]["periodeId"]
        for attempt in (1, 2):
            # A fresh Nav-Call-Id per call, so one look-up can be found in MEDL's logs; Nav-Consumer-Id says who.
            call_id = str(uuid.uuid4())
            headers = {
                "Ocp-Apim-Subscription-Key": self.options.subscription_key,
                "Authorization": f"Bearer {self.medl_tokens.token()}",
                "Nav-Call-Id": call_id,
                "Nav-Consumer-Id": self.options.consumer_id,
            }
            self._count("medl_requests")
            try:
                response = self.http.get(
                    f"{MEDL_PATH}/{period}",
                    params={"inkluderSporingsinfo": "true"},
                    headers=headers,
                    timeout=self._timeout(),
                )
            except httpx.TransportError as error:
                raise TransientError(f"medl connection: {type(error).__name__}") from None
            status = response.status_code
            if status == 401 and attempt == 1:
                self._count("medl_status_401")
                log.info("401 from MEDL; fetching a new token")
                self.medl_tokens.invalidate()
                continue
            if status in (429, 503):
                raise TransientError(f"medl status {status}", retry_after_of(response))
            if status >= 500:
                raise TransientError(f"medl status {status}")
            if status == 404:
                # The feed announced this period, so MEDL must know it: not ours to skip, and not worth a retry.
                raise FatalError(
                    f"BUG: MEDL has no period {period}, which the feed announced in event {event['hendelsesnummer']}"
                    f" ({event['type']}); Nav-Call-Id {call_id}: {response.text}"
                )
            if status != 200:
                raise FatalError(f"MEDL answered {status} for period {period} (Nav-Call-Id {call_id}): {response.text}")
            return parse_record(response, event)
        raise FatalError("MEDL refused a freshly fetched token (401 twice)")

    def _write(self, events: list[dict[str, Any]]) -> None:
        lines = b"".join(
            json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" for event in events
        )
        self.output.write(lines)
        self.output.flush()
        written = 0
        if self.output.seekable():  # a file, not a pipe: make the lines durable before the cursor moves
            os.fsync(self.output.fileno())
            written = self.output.tell()
        # The periods before the cursor: after a crash in between, the batch is read and looked up again.
        last_seen = {int(event["innhold"]["periodeId"]): int(event["hendelsesnummer"]) for event in events}
        self.periods.save([(number, self._records[period]) for period, number in last_seen.items()])
        self._records.clear()
        self.state = State(int(events[-1]["hendelsesnummer"]), written)
        save_state(self.state_file, self.state)
        self.stats["pages"] += 1
        self.stats["events"] += len(events)
        log.debug("read %d events, cursor at %d", len(events), self.state.last)

    def _back_off(self, error: TransientError) -> None:
        self.stats[f"retry {error.reason}"] += 1
        if error.retry_after is not None:
            # The server said how long; its advice does not count towards the exponential back-off.
            delay, why = error.retry_after, "Retry-After"
        else:
            self._failures += 1
            # The exponent is bounded too: a server down for hours must not overflow the float.
            doubling = 2 ** min(self._failures - 1, 32)
            ceiling = min(self.options.backoff_cap, self.options.backoff_base * doubling)
            delay, why = self._random.uniform(ceiling / 2, ceiling), "back-off"
        log.info("%s; retrying from %d in %.2f s (%s)", error.reason, self.state.last + 1, delay, why)
        self._pause(delay)

    def _pause(self, seconds: float) -> None:
        # Wakes early on a signal, and never sleeps past the deadline.
        self.stop.wait(max(min(seconds, self._remaining()), 0))

    def _remaining(self) -> float:
        deadline = self.options.deadline
        return float("inf") if deadline is None else deadline - time.monotonic()

    def _timeout(self) -> float:
        return max(min(10.0, self._remaining()), 0.1)


# ------------------------------------------------------------------------------------------------ main


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--base-url", required=True, help="the API's base URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--issuer", required=True, help="Maskinporten's issuer, ending in /; tokens from {issuer}token")
    parser.add_argument("--client-id", required=True, help="your Maskinporten client_id (the assertion's iss)")
    parser.add_argument("--key-file", required=True, type=Path, help="your RSA private key, PEM")
    parser.add_argument("--key-id", default="consumer-key", help="the kid of that key as registered")
    parser.add_argument("--subscription-key", default=DEFAULT_SUBSCRIPTION_KEY, help="Ocp-Apim-Subscription-Key")
    parser.add_argument("--state-file", required=True, type=Path, help="where the cursor is kept between runs")
    parser.add_argument("--out", type=Path, help="append events here as JSON lines (default: standard output)")
    parser.add_argument(
        "--periods",
        type=Path,
        help="MEDL's record of each period, a SQLite file (default: periods.sqlite beside the state file)",
    )
    parser.add_argument(
        "--consumer-id", help="Nav-Consumer-Id sent to MEDL, the calling system (default: the client_id)"
    )
    parser.add_argument("--until", type=int, help="stop once every event up to this number is written")
    parser.add_argument("--max-seconds", type=float, help="stop after this long")
    parser.add_argument("--poll-interval", type=float, default=2.0, help="seconds to wait after an empty page")
    parser.add_argument("--backoff-base", type=float, default=0.2, help="first back-off ceiling, seconds")
    parser.add_argument("--backoff-cap", type=float, default=30.0, help="longest back-off, seconds")
    parser.add_argument("--lookups", type=int, default=8, help="MEDL look-ups in flight at once (default 8)")
    parser.add_argument("--verbose", "-v", action="store_true", help="log every batch")
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    # --verbose is about this program's batches, not httpcore's wire-level DEBUG lines (a dozen per request).
    log.setLevel(logging.DEBUG if arguments.verbose else logging.INFO)
    # httpx logs every request at INFO; this program logs what matters itself.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    started = time.monotonic()
    issuer = arguments.issuer if arguments.issuer.endswith("/") else f"{arguments.issuer}/"
    options = Options(
        base_url=arguments.base_url.rstrip("/"),
        subscription_key=arguments.subscription_key,
        consumer_id=arguments.consumer_id or arguments.client_id,
        until=arguments.until,
        deadline=None if arguments.max_seconds is None else started + arguments.max_seconds,
        poll_interval=arguments.poll_interval,
        backoff_base=arguments.backoff_base,
        backoff_cap=arguments.backoff_cap,
        lookups=max(arguments.lookups, 1),
    )
    stop = threading.Event()

    def on_signal(number: int, _: FrameType | None) -> None:
        log.info("signal %d: stopping after the current request", number)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        private_key = arguments.key_file.read_text("ascii")
        state = load_state(arguments.state_file)
        # On standard output nothing can be cut back after a crash: --out for exactly-once across restarts.
        output = open_output(arguments.out, state) if arguments.out else None
        periods = PeriodStore(arguments.periods or arguments.state_file.with_name("periods.sqlite"))
    except (OSError, sqlite3.Error, FatalError) as error:
        log.error("%s", error)
        return 2
    closing: contextlib.AbstractContextManager[BinaryIO] = output or contextlib.nullcontext(sys.stdout.buffer)
    with (
        closing as stream,
        contextlib.closing(periods),
        httpx.Client(
            base_url=options.base_url, timeout=10.0, limits=httpx.Limits(max_connections=options.lookups + 2)
        ) as http,
        ThreadPoolExecutor(max_workers=options.lookups, thread_name_prefix="medl") as pool,
    ):
        tokens = TokenSource(http, issuer, arguments.client_id, private_key, arguments.key_id)
        medl_tokens = TokenSource(http, issuer, arguments.client_id, private_key, arguments.key_id, MEDL_SCOPE)
        consumer = Consumer(
            http, tokens, medl_tokens, options, arguments.state_file, stream, periods, state or State(), stop, pool=pool
        )
        log.info("reading from hendelsesnummer %d", consumer.state.last + 1)
        try:
            ended = consumer.run()
            code = 0
        except FatalError as error:
            log.error("%s", error)
            ended, code = "error", 1
    summary = {
        "ended": ended,
        "cursor": consumer.state.last,
        "seconds": round(time.monotonic() - started, 3),
        "tokens": tokens.fetched,
        "medl_tokens": medl_tokens.fetched,
        **dict(sorted(consumer.stats.items())),
    }
    print(json.dumps({"summary": summary}), file=sys.stderr, flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
