"""The emulator's benchmark: the feed against a bare-ASGI baseline, the token endpoint, a drain, start-up and memory.

    .venv/bin/pip install -e '.[bench]' && .venv/bin/python bench/run.py [--quick] [--sizes 1000000,10000000]

Starts the emulator (release settings: one worker, `--log-level warning`, no access log) and `bench/baseline.py`
(a bare ASGI app under the same uvicorn, answering the emulator's exact page bytes) for each log size, and drives
both alternately with the same load from wrk (installed with apt-get when missing and run as root) or, failing
that, `bench/loadgen.py`, over loopback only, each run bounded in time. Prints one table, and writes
`docs/bench/results.json`, `docs/bench/throughput.png` and `docs/bench/scaling.png`. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import importlib.util
import json
import math
import os
import platform
import queue
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadgen import PERCENTILE_GRID, Histogram, LoadResult, RequestSource, build_request, combine, run_load

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
HOST = "127.0.0.1"
FEED_PATH = "/helse/v1/trygdehendelser/hendelser"
SUBSCRIPTION_KEY = "local-subscription-key"
API_SCOPE = "nav:helse/v1/trygdehendelser"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
PAGE_SIZE = 100
DRAIN_EVENTS = 1_000_000
MB = 1024 * 1024
BUSY_LOAD_AVERAGE = 0.5

# The targets.
TARGET_RATIO = 0.50
TARGET_P99_MS = 10.0
TARGET_SPREAD = 0.10
TARGET_READY_S = {1_000_000: 2.0, 10_000_000: 15.0}
TARGET_RSS_MB = {10_000_000: 1024.0}
TARGET_DRAIN_S = 30.0
# An assertion's iat may be at most this far from the server's clock (Maskinporten's rule, the emulator's too).
ASSERTION_SKEW_S = 10.0


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- processes -----------------------------------------------------------------------------------------------------


class Child:
    """A server process, its output read by threads (so pipes never fill), stopped on exit whatever happens."""

    def __init__(self, name: str, command: Sequence[str]) -> None:
        self.name = name
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.errors: list[str] = []
        threading.Thread(target=self._read, args=(self.process.stdout, self.lines.put), daemon=True).start()
        threading.Thread(target=self._read, args=(self.process.stderr, self.errors.append), daemon=True).start()

    @staticmethod
    def _read(stream: Any, sink: Callable[[str], None]) -> None:
        for line in stream:
            sink(line.rstrip("\n"))

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_for_line(self, pattern: str, timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=min(left, 0.2))
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            if match := re.search(pattern, line):
                return match
        self.stop()
        raise RuntimeError(f"{self.name} did not print {pattern!r}; its stderr ends with: {self.errors[-10:]}")

    def status_kb(self, field_name: str) -> int:
        text = Path(f"/proc/{self.pid}/status").read_text(encoding="ascii")
        match = re.search(rf"^{field_name}:\s+(\d+) kB", text, re.MULTILINE)
        return int(match.group(1)) if match else 0

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def wait_ready(child: Child, port: int, timeout: float) -> float:
    """Seconds from the process's start until GET /internal/isready answered 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise RuntimeError(f"{child.name} exited with {child.process.returncode}: {child.errors[-10:]}")
        # The emulator listens before it builds its log, so a request may wait in the backlog: that is fine, the
        # answer comes the moment it is ready.
        connection = http.client.HTTPConnection(HOST, port, timeout=max(deadline - time.monotonic(), 0.1))
        try:
            connection.request("GET", "/internal/isready")
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                return time.perf_counter() - child.started
        except (ConnectionError, OSError):
            time.sleep(0.005)
        finally:
            connection.close()
    raise RuntimeError(f"{child.name} was not ready within {timeout:.0f} s")


@dataclass
class Startup:
    ready_s: float
    rss_mb: float
    peak_rss_mb: float = 0.0  # VmHWM at ready: what building the log took at its height
    log_build_s: float | None = None


def start_emulator(events: int) -> tuple[Child, int, Startup]:
    port = free_port()
    command = [
        sys.executable, "-m", "emulator", "serve", "--port", str(port), "--events", str(events),
        "--log-level", "warning",
    ]  # fmt: skip
    child = Child(f"emulator ({events:,} events)", command)
    ready = wait_ready(child, port, timeout=300)
    rss = child.status_kb("VmRSS") / 1024
    peak = child.status_kb("VmHWM") / 1024
    banner = child.wait_for_line(r"ready in ([\d.]+) s", timeout=30)
    feed = child.wait_for_line(r"feed\s+http://127\.0\.0\.1:(\d+)/", timeout=5)
    if int(feed.group(1)) != port:
        raise RuntimeError(f"the emulator says it listens on {feed.group(1)}, not {port}")
    return child, port, Startup(ready_s=ready, rss_mb=rss, peak_rss_mb=peak, log_build_s=float(banner.group(1)))


def start_baseline(pages_dir: Path) -> tuple[Child, int, Startup]:
    port = free_port()
    child = Child(
        "baseline", [sys.executable, str(BENCH / "baseline.py"), "--pages", str(pages_dir), "--port", str(port)]
    )
    ready = wait_ready(child, port, timeout=60)
    child.wait_for_line(r"^baseline http://", timeout=10)
    return (
        child,
        port,
        Startup(ready_s=ready, rss_mb=child.status_kb("VmRSS") / 1024, peak_rss_mb=child.status_kb("VmHWM") / 1024),
    )


# --- plain HTTP ----------------------------------------------------------------------------------------------------


def call(
    port: int, method: str, target: str, headers: dict[str, str] | None = None, body: bytes | None = None
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def feed_target(number: int, hjemmelgruppe: str, count: int = PAGE_SIZE) -> str:
    return f"{FEED_PATH}?hendelsesnummer={number}&antallHendelser={count}&hjemmelgruppe={hjemmelgruppe}"


def mint_token(port: int) -> str:
    status, body = call(
        port, "POST", "/_emulator/tokens", {"Content-Type": "application/json"}, b'{"lifetime_seconds": 86400}'
    )
    if status != 200:
        raise RuntimeError(f"POST /_emulator/tokens answered {status}: {body[:200]!r}")
    token: str = json.loads(body)["access_token"]
    return token


def api_headers(token: str) -> dict[str, str]:
    return {"Ocp-Apim-Subscription-Key": SUBSCRIPTION_KEY, "Authorization": f"Bearer {token}"}


def check_checks_are_on(port: int, token: str) -> None:
    """The load runs with every check on: make sure a request without the key, or without the token, is refused."""
    target = feed_target(1, "ALLE")
    for name in ("Ocp-Apim-Subscription-Key", "Authorization"):
        headers = {key: value for key, value in api_headers(token).items() if key != name}
        status, _ = call(port, "GET", target, headers)
        if status != 401:
            raise RuntimeError(f"without {name} the feed answered {status}, not 401: are the checks off?")
    status, _ = call(port, "GET", target, api_headers(token))
    if status != 200:
        raise RuntimeError(f"with the key and the token the feed answered {status}")


@dataclass(frozen=True)
class Page:
    hjemmelgruppe: str
    position: str
    number: int

    @property
    def target(self) -> str:
        return feed_target(self.number, self.hjemmelgruppe)

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]


def matching_from(port: int, token: str, number: int, hjemmelgruppe: str) -> int:
    status, body = call(port, "GET", feed_target(number, hjemmelgruppe, 1), api_headers(token))
    if status != 200:
        raise RuntimeError(f"the feed answered {status} for {number} {hjemmelgruppe}")
    total: int = json.loads(body)["totaltAntallHendelser"]
    return total


def last_start_with(port: int, token: str, events: int, hjemmelgruppe: str, remaining: int) -> int:
    """The largest hendelsesnummer from which at least `remaining` events of the filter are left."""
    low, high = 1, events  # total(low) >= remaining, by the caller's choice of log size
    while low < high:
        middle = (low + high + 1) // 2
        if matching_from(port, token, middle, hjemmelgruppe) >= remaining:
            low = middle
        else:
            high = middle - 1
    return low


def choose_pages(port: int, token: str, events: int) -> list[Page]:
    """A full page of ALLE and of EOS from the start, the middle and the end of the log."""
    end_alle = max(events - 150, 1)
    # As many EOS events left as ALLE events are left at its end page: 151, a full page and some.
    end_eos = last_start_with(port, token, events, "EOS", events - end_alle + 1)
    return [
        Page("ALLE", "start", 1),
        Page("ALLE", "middle", events // 2),
        Page("ALLE", "end", end_alle),
        Page("EOS", "start", 1),
        Page("EOS", "middle", events // 2),
        Page("EOS", "end", end_eos),
    ]


def fetch_pages(port: int, token: str, pages: Sequence[Page], directory: Path) -> dict[Page, bytes]:
    bodies: dict[Page, bytes] = {}
    manifest: dict[str, str] = {}
    for index, page in enumerate(pages):
        status, body = call(port, "GET", page.target, api_headers(token))
        count = json.loads(body).get("antallHendelser") if status == 200 else None
        if count != PAGE_SIZE:
            raise RuntimeError(f"{page} is not a full page: status {status}, antallHendelser {count}")
        bodies[page] = body
        name = f"page-{index}.json"
        (directory / name).write_bytes(body)
        manifest[page.query] = name
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return bodies


# --- load ----------------------------------------------------------------------------------------------------------

_WRK_REPORT = (
    """
local threads = {}
local grid = {GRID}
function setup(thread)
  table.insert(threads, thread)
end
function done(summary, latency, requests)
  local exhausted = 0
  for _, thread in ipairs(threads) do
    if thread:get("exhausted") == 1 then exhausted = 1 end
  end
  local points = {}
  for _, percent in ipairs(grid) do
    points[#points + 1] = string.format("[%g,%d]", percent, latency:percentile(percent))
  end
  local errors = summary.errors
  io.write(string.format(
    "BENCHJSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"socket_errors\\":%d,\\"non_2xx\\":%d," ..
    "\\"p50_us\\":%d,\\"p90_us\\":%d,\\"p99_us\\":%d,\\"max_us\\":%d,\\"exhausted\\":%d,\\"grid\\":[%s]}\\n",
    summary.requests, summary.duration, errors.connect + errors.read + errors.write + errors.timeout,
    errors.status, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, exhausted,
    table.concat(points, ",")))
end
"""
).replace("{GRID}", "{" + ", ".join(f"{percent:g}" for percent in PERCENTILE_GRID) + "}")

_WRK_SEQUENCE = """
exhausted = 0
local bodies = {}
local index = 0
local target, spare
function init(args)
  target = args[1]
  for line in io.lines(args[2]) do bodies[#bodies + 1] = line end
  spare = wrk.format("GET", "/internal/isalive")
end
function request()
  index = index + 1
  local body = bodies[index]
  if body == nil then
    exhausted = 1
    wrk.thread:stop()
    return spare
  end
  return wrk.format("POST", target, {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
"""


class LoadDriver:
    """Runs a load, with wrk or with bench/loadgen.py; results in one shape."""

    def __init__(self, kind: str, workdir: Path) -> None:
        self.kind = kind
        self.workdir = workdir
        self.report_script = workdir / "report.lua"
        self.report_script.write_text(_WRK_REPORT, encoding="utf-8")
        self.sequence_script = workdir / "sequence.lua"
        self.sequence_script.write_text(_WRK_SEQUENCE + _WRK_REPORT, encoding="utf-8")

    def get(self, port: int, target: str, headers: dict[str, str], connections: int, seconds: int) -> LoadResult:
        if self.kind == "python":
            request = build_request("GET", HOST, port, target, headers=list(headers.items()))
            return run_load(HOST, port, RequestSource(fixed=request), connections, seconds)
        flags = [argument for name, value in headers.items() for argument in ("-H", f"{name}: {value}")]
        return self._wrk([*flags, "-s", str(self.report_script), f"http://{HOST}:{port}{target}"], connections, seconds)

    def post_each(self, port: int, target: str, bodies: Sequence[bytes], connections: int, seconds: int) -> LoadResult:
        """POST each form body once (application/x-www-form-urlencoded), until the time or the bodies run out."""
        if self.kind == "python":
            headers = [("Content-Type", "application/x-www-form-urlencoded")]
            requests = [build_request("POST", HOST, port, target, headers=headers, body=body) for body in bodies]
            return run_load(HOST, port, RequestSource(sequence=requests), connections, seconds)
        listing = self.workdir / f"bodies-{uuid.uuid4().hex}.txt"
        listing.write_bytes(b"\n".join(bodies) + b"\n")
        try:
            url = f"http://{HOST}:{port}/"
            return self._wrk(["-s", str(self.sequence_script), url, "--", target, str(listing)], connections, seconds)
        finally:
            listing.unlink()

    @staticmethod
    def _wrk(arguments: list[str], connections: int, seconds: int) -> LoadResult:
        # One wrk thread: the server is one process on one core, wrk takes the other.
        command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", *arguments]
        finished = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
        report = next((line for line in finished.stdout.splitlines() if line.startswith("BENCHJSON ")), None)
        if finished.returncode != 0 or report is None:
            raise RuntimeError(f"wrk failed ({finished.returncode}): {finished.stdout[-500:]} {finished.stderr[-500:]}")
        data = json.loads(report.removeprefix("BENCHJSON "))
        duration = data["duration_us"] / 1e6
        return LoadResult(
            requests=data["requests"],
            duration_s=duration,
            requests_per_s=data["requests"] / duration,
            p50_ms=data["p50_us"] / 1e3,
            p90_ms=data["p90_us"] / 1e3,
            p99_ms=data["p99_us"] / 1e3,
            max_ms=data["max_us"] / 1e3,
            errors=data["socket_errors"],
            non_2xx=data["non_2xx"],
            exhausted=bool(data["exhausted"]),
            grid=tuple((percent, value / 1e3) for percent, value in data["grid"]),
        )


def ensure_wrk() -> bool:
    if shutil.which("wrk"):
        return True
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    log("wrk is missing: apt-get install -y wrk")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for attempt in (["apt-get", "install", "-y", "wrk"], ["apt-get", "update"], ["apt-get", "install", "-y", "wrk"]):
        done = subprocess.run(attempt, env=environment, capture_output=True, timeout=600, check=False)
        if attempt[1] == "install" and done.returncode == 0:
            break
    return shutil.which("wrk") is not None


# --- scenarios -----------------------------------------------------------------------------------------------------


@dataclass
class Settings:
    sizes: list[int]
    duration: int
    slice: int
    warmup: int
    connections: list[int]
    loadgen: str


@dataclass
class PageRun:
    page: Page
    connections: int
    emulator: LoadResult
    baseline: LoadResult

    @property
    def ratio(self) -> float:
        return self.emulator.requests_per_s / self.baseline.requests_per_s if self.baseline.requests_per_s else 0.0


def code_fingerprint() -> str:
    """A digest of the emulator's sources as they are now: the run notices when they change under it."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "emulator").rglob("*")):
        if path.is_file() and path.suffix in {".py", ".json"}:
            digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def git_state() -> str | None:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "emulator"], cwd=ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return head.stdout.strip() + (" + uncommitted changes in emulator/" if dirty.stdout.strip() else "")


@dataclass
class SizeResult:
    events: int
    startup: Startup
    baseline_startup: Startup
    emulator_code: str = ""
    emulator_git: str | None = None
    page_bytes: dict[str, int] = field(default_factory=dict)
    runs: list[PageRun] = field(default_factory=list)
    rss_after_load_mb: float = 0.0
    peak_rss_after_load_mb: float = 0.0


@dataclass
class TokenRun:
    connections: int
    result: LoadResult
    assertions: int


@dataclass
class DrainResult:
    events: int
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float


def run_pages(
    driver: LoadDriver, settings: Settings, ports: tuple[int, int], token: str, pages: Sequence[Page]
) -> Iterator[PageRun]:
    """Each page at each concurrency on the emulator and on the baseline, in alternating slices of time.

    The slices go A B B A A B ..., so both servers see the same machine (another process waking up, a CPU's clock
    changing) and a drift in time favours neither; each server's slices are then combined into one result.
    """
    headers = api_headers(token)
    servers = {"emulator": ports[0], "baseline": ports[1]}
    turn = 0
    for page in pages:
        for connections in settings.connections:
            names = ["emulator", "baseline"] if turn % 2 == 0 else ["baseline", "emulator"]
            turn += 1
            slices: dict[str, list[LoadResult]] = {name: [] for name in names}
            if settings.warmup:
                for name in names:
                    driver.get(servers[name], page.target, headers, connections, settings.warmup)
            for index in range(max(settings.duration // settings.slice, 1)):
                for name in names if index % 2 == 0 else names[::-1]:
                    slices[name].append(driver.get(servers[name], page.target, headers, connections, settings.slice))
            run = PageRun(page, connections, combine(slices["emulator"]), combine(slices["baseline"]))
            log(
                f"  {page.hjemmelgruppe:4} {page.position:6} #{page.number:<9} c={connections:<3} "
                f"emulator {run.emulator.requests_per_s:8.0f}/s p99 {run.emulator.p99_ms:6.2f} ms | "
                f"baseline {run.baseline.requests_per_s:8.0f}/s p99 {run.baseline.p99_ms:6.2f} ms | "
                f"ratio {run.ratio:.2f}"
            )
            yield run


def sign_assertions(key: Any, issuer: str, count: int, iat: int) -> list[bytes]:
    import jwt  # noqa: PLC0415

    return [
        (
            f"grant_type={JWT_BEARER.replace(':', '%3A')}&assertion="
            + jwt.encode(
                {
                    "aud": issuer,
                    "iss": "bench-client",
                    "scope": API_SCOPE,
                    "iat": iat,
                    "exp": iat + 60,
                    "jti": str(uuid.uuid4()),
                },
                key,
                algorithm="RS256",
                headers={"kid": "bench-key"},
            )
        ).encode("ascii")
        for _ in range(count)
    ]


def run_tokens(driver: LoadDriver, settings: Settings, port: int) -> list[TokenRun]:
    """The JWT-bearer grant in tokens/s: assertions signed beforehand, each used once."""
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415

    status, body = call(port, "GET", "/maskinporten/.well-known/oauth-authorization-server")
    if status != 200:
        raise RuntimeError(f"the authorization server metadata answered {status}")
    metadata = json.loads(body)
    issuer: str = metadata["issuer"]
    token_path = "/" + metadata["token_endpoint"].split("://", 1)[1].split("/", 1)[1]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    # An assertion's iat may be at most 10 s from the server's clock. Every assertion of a run carries one iat, for
    # the middle of the run, so a run (warm-up included) lasts at most 12 s.
    seconds = min(settings.duration, 10)
    warmup = min(settings.warmup, 2)
    sign_assertions(key, issuer, 1, int(time.time()))  # the first one pays for the imports
    calibration = time.perf_counter()
    sign_assertions(key, issuer, 100, int(time.time()))
    signs_per_s = 100 / (time.perf_counter() - calibration)
    expected = signs_per_s  # the tokens/s the next run's assertions are counted for
    runs: list[TokenRun] = []
    for connections in settings.connections:
        for _ in range(3):
            count = math.ceil(expected * (seconds + warmup) * 1.5) + 100
            # Signing is predicted generously and the run then waits for its planned start, so that it stays within
            # the iat's window even if the machine signs faster or (by up to 10 - seconds/2 s) slower than planned.
            start = time.time() + 1.25 * count / signs_per_s + 0.5
            bodies = sign_assertions(key, issuer, count, int(start + warmup + seconds / 2))
            if (early := start - time.time()) > 0:
                time.sleep(early)
            warm = math.ceil(expected * warmup * 1.5) + 20 if warmup else 0
            if warm:
                driver.post_each(port, token_path, bodies[:warm], connections, warmup)
            result = driver.post_each(port, token_path, bodies[warm:], connections, seconds)
            # A run that used up its assertions went at least this fast; the next one gets enough for twice that.
            expected = max(expected, result.requests_per_s * (2 if result.exhausted else 1))
            if not result.exhausted:
                break
        runs.append(TokenRun(connections, result, count))
        log(
            f"  token endpoint c={connections:<3} {rate(result, 'tokens/s')} p99 {result.p99_ms:6.2f} ms "
            f"({count:,} assertions)"
        )
    return runs


def drain(port: int, token: str, events: int) -> DrainResult:
    """One consumer, one keep-alive connection, pages of 100 from 1, each parsed for where the next one starts."""
    try:
        import orjson  # noqa: PLC0415

        loads: Callable[[bytes], Any] = orjson.loads
    except ImportError:
        loads = json.loads
    headers = api_headers(token)
    histogram = Histogram()
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    number, seen, requests = 1, 0, 0
    started = time.perf_counter()
    try:
        while seen < events:
            sent = time.perf_counter()
            connection.request("GET", feed_target(number, "ALLE"), headers=headers)
            response = connection.getresponse()
            body = response.read()
            histogram.record(time.perf_counter() - sent)
            requests += 1
            if response.status != 200:
                raise RuntimeError(f"draining: the feed answered {response.status} at {number}")
            page = loads(body)
            if not page["hendelser"]:
                break
            seen += page["antallHendelser"]
            number = page["hendelser"][-1]["hendelsesnummer"] + 1
    finally:
        connection.close()
    seconds = time.perf_counter() - started
    return DrainResult(seen, requests, seconds, histogram.percentile(50) * 1e3, histogram.percentile(99) * 1e3)


# --- the run -------------------------------------------------------------------------------------------------------


@dataclass
class Results:
    settings: Settings
    sizes: list[SizeResult] = field(default_factory=list)
    tokens: list[TokenRun] = field(default_factory=list)
    token_events: int = 0
    drain: DrainResult | None = None


def run(settings: Settings, driver: LoadDriver, workdir: Path) -> Results:
    results = Results(settings)
    token_size = next((size for size in settings.sizes if size >= DRAIN_EVENTS), settings.sizes[0])
    drain_size = next((size for size in sorted(settings.sizes) if size >= DRAIN_EVENTS), max(settings.sizes))
    for events in settings.sizes:
        log(f"{events:,} events: starting the emulator")
        with contextlib.ExitStack() as stack:
            code, commit = code_fingerprint(), git_state()
            emulator, emulator_port, startup = start_emulator(events)
            stack.callback(emulator.stop)
            log(
                f"  ready in {startup.ready_s:.2f} s (log {startup.log_build_s} s), "
                f"RSS {startup.rss_mb:.0f} MB (peak {startup.peak_rss_mb:.0f} MB)"
            )
            token = mint_token(emulator_port)
            check_checks_are_on(emulator_port, token)
            pages = choose_pages(emulator_port, token, events)
            pages_dir = workdir / f"pages-{events}"
            pages_dir.mkdir()
            bodies = fetch_pages(emulator_port, token, pages, pages_dir)
            baseline, baseline_port, baseline_startup = start_baseline(pages_dir)
            stack.callback(baseline.stop)
            size = SizeResult(events, startup, baseline_startup, code, commit)
            size.page_bytes = {f"{page.hjemmelgruppe} {page.position}": len(body) for page, body in bodies.items()}
            results.sizes.append(size)
            size.runs.extend(run_pages(driver, settings, (emulator_port, baseline_port), token, pages))
            baseline.stop()
            if events == token_size:
                results.tokens = run_tokens(driver, settings, emulator_port)
                results.token_events = events
            if events == drain_size:
                wanted = min(DRAIN_EVENTS, events)
                log(f"  draining {wanted:,} events in pages of {PAGE_SIZE}")
                results.drain = drain(emulator_port, token, wanted)
                log(f"  drained {results.drain.events:,} events in {results.drain.seconds:.1f} s")
            size.rss_after_load_mb = emulator.status_kb("VmRSS") / 1024
            size.peak_rss_after_load_mb = emulator.status_kb("VmHWM") / 1024
    return results


# --- targets, table, JSON, charts ----------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    value: str
    met: bool | None  # None: not measured in this run


def short(events: int) -> str:
    for unit, name in ((1_000_000, "M"), (1_000, "k")):
        if events >= unit and events % unit == 0:
            return f"{events // unit}{name}"
    return f"{events:,}"


def spread(values: Sequence[float]) -> float:
    return (max(values) - min(values)) / max(values) if values and max(values) else 0.0


def valid(result: LoadResult) -> bool:
    return result.errors == 0 and result.non_2xx == 0


def targets(results: Results) -> list[Target]:
    found: list[Target] = []
    for size in results.sizes:
        label = short(size.events)
        full = [run for run in size.runs if run.connections == max(results.settings.connections)]
        if full:
            ratio = min(run.ratio for run in full)
            median = statistics.median(run.ratio for run in full)
            p99 = max(run.emulator.p99_ms for run in full)
            ok = ratio >= TARGET_RATIO and p99 <= TARGET_P99_MS and all(valid(run.emulator) for run in full)
            found.append(
                Target(
                    f"{label}: full page, every check, c={full[0].connections}: >= 50 % of baseline, p99 <= 10 ms",
                    f"worst {ratio:.0%} of baseline (median {median:.0%}), worst p99 {p99:.2f} ms",
                    ok,
                )
            )
            rates = [run.emulator.requests_per_s for run in full]
            noise = spread([run.baseline.requests_per_s for run in full])
            found.append(
                Target(
                    f"{label}: same throughput for every start and filter (within 10 %)",
                    f"spread {spread(rates):.1%} ({min(rates):,.0f}-{max(rates):,.0f} req/s; "
                    f"the baseline's, same bytes, {noise:.1%})",
                    spread(rates) <= TARGET_SPREAD if size.events >= DRAIN_EVENTS else None,
                )
            )
        ready_target = TARGET_READY_S.get(size.events)
        rss_target = TARGET_RSS_MB.get(size.events)
        if ready_target is not None or rss_target is not None:
            parts = [
                f"ready <= {ready_target:g} s" if ready_target else "",
                f"RSS <= {rss_target / 1024:g} GB" if rss_target else "",
            ]
            met = (ready_target is None or size.startup.ready_s <= ready_target) and (
                rss_target is None or size.startup.rss_mb <= rss_target
            )
            found.append(
                Target(
                    f"{label}: {', '.join(part for part in parts if part)}",
                    f"ready {size.startup.ready_s:.2f} s, RSS {size.startup.rss_mb:,.0f} MB",
                    met,
                )
            )
    if results.drain is not None:
        measured = results.drain.events >= DRAIN_EVENTS
        found.append(
            Target(
                "drain 1M events with one client <= 30 s",
                f"{results.drain.events:,} events in {results.drain.seconds:.1f} s",
                results.drain.seconds <= TARGET_DRAIN_S if measured else None,
            )
        )
    measured_sizes = {size.events for size in results.sizes}
    for events in (1_000_000, 10_000_000):
        if events not in measured_sizes:
            found.append(Target(f"{short(events)} events", "not in this run", None))
    return found


def verdict(met: bool | None) -> str:
    return "—" if met is None else ("met" if met else "**NOT MET**")


def rate(result: LoadResult, unit: str = "req/s") -> str:
    flag = "" if valid(result) else f" ({result.errors + result.non_2xx} errors!)"
    bound = ">= " if result.exhausted else ""
    return f"{bound}{result.requests_per_s:,.0f} {unit}{flag}"


def table(results: Results, found: list[Target]) -> str:
    header = "| scenario | events | conns | emulator | p50 ms | p99 ms | baseline | p50 ms | p99 ms | ratio | target |"
    rows = [header, "|" + "---|" * header.count(" | ") + "---|"]
    widest = max(results.settings.connections)

    def row(*cells: str) -> None:
        rows.append("| " + " | ".join(cells) + " |")

    for size in results.sizes:
        label = short(size.events)
        for run in size.runs:
            page = run.page
            target = ""
            if run.connections == widest:
                ok = run.ratio >= TARGET_RATIO and run.emulator.p99_ms <= TARGET_P99_MS and valid(run.emulator)
                target = verdict(ok)
            row(
                f"feed {page.hjemmelgruppe} {page.position} (#{page.number:,})", label, str(run.connections),
                rate(run.emulator), f"{run.emulator.p50_ms:.2f}", f"{run.emulator.p99_ms:.2f}",
                rate(run.baseline), f"{run.baseline.p50_ms:.2f}", f"{run.baseline.p99_ms:.2f}",
                f"{run.ratio:.0%}", target,
            )  # fmt: skip
        full = [run.emulator.requests_per_s for run in size.runs if run.connections == widest]
        noise = [run.baseline.requests_per_s for run in size.runs if run.connections == widest]
        if full:
            met = spread(full) <= TARGET_SPREAD if size.events >= DRAIN_EVENTS else None
            row("spread over starts and filters", label, str(widest), f"{spread(full):.1%}",
                "", "", f"{spread(noise):.1%}", "", "", "", verdict(met))  # fmt: skip
        ready_target = TARGET_READY_S.get(size.events)
        rss_target = TARGET_RSS_MB.get(size.events)
        met = None
        if ready_target is not None or rss_target is not None:
            met = (ready_target is None or size.startup.ready_s <= ready_target) and (
                rss_target is None or size.startup.rss_mb <= rss_target
            )
        row(
            "start: ready, RSS after ready (peak)", label, "",
            f"{size.startup.ready_s:.2f} s, {size.startup.rss_mb:,.0f} MB ({size.startup.peak_rss_mb:,.0f} MB)", "", "",
            f"{size.baseline_startup.ready_s:.2f} s, {size.baseline_startup.rss_mb:,.0f} MB", "", "", "",
            verdict(met),
        )  # fmt: skip
    for token_run in results.tokens:
        result = token_run.result
        row("token endpoint, JWT-bearer grant", short(results.token_events), str(token_run.connections),
            rate(result, "tokens/s"), f"{result.p50_ms:.2f}", f"{result.p99_ms:.2f}", "", "", "", "", "")  # fmt: skip
    if results.drain is not None:
        drained = results.drain
        met = drained.seconds <= TARGET_DRAIN_S if drained.events >= DRAIN_EVENTS else None
        row(f"drain {drained.events:,} events, pages of {PAGE_SIZE}", short(drained.events), "1",
            f"{drained.seconds:.1f} s ({drained.requests / drained.seconds:,.0f} pages/s)",
            f"{drained.p50_ms:.2f}", f"{drained.p99_ms:.2f}", "", "", "", "", verdict(met))  # fmt: skip
    met_count = sum(1 for target in found if target.met)
    judged = sum(1 for target in found if target.met is not None)
    lines = ["\n".join(rows), "", f"Targets: {met_count} of {judged} met"]
    if len({size.emulator_code for size in results.sizes}) > 1:
        lines.insert(1, "\nWARNING: the emulator's code changed during the run; its sizes measured different code.")
    lines.extend(f"- {verdict(target.met)}: {target.name} — {target.value}" for target in found)
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    packages: dict[str, str | None] = {}
    from importlib import metadata  # noqa: PLC0415

    for name in ("uvicorn", "uvloop", "httptools", "fastapi", "starlette", "orjson", "pyjwt"):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    wrk = None
    if shutil.which("wrk"):
        version = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
        wrk = (version.stdout or version.stderr).splitlines()[0].strip()
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3, 1),
        "packages": packages,
        "wrk": wrk,
        "git": git_state(),
    }


def result_json(result: LoadResult) -> dict[str, Any]:
    return {name: (round(value, 4) if isinstance(value, float) else value) for name, value in result.to_json().items()}


def to_json(
    results: Results, found: list[Target], info: dict[str, Any], elapsed: float, command: str
) -> dict[str, Any]:
    return {
        "command": command,
        "machine": info,
        "settings": vars(results.settings),
        "elapsed_s": round(elapsed, 1),
        "sizes": [
            {
                "events": size.events,
                "emulator_code": size.emulator_code,
                "emulator_git": size.emulator_git,
                "startup": vars(size.startup),
                "baseline_startup": vars(size.baseline_startup),
                "rss_after_load_mb": size.rss_after_load_mb,
                "peak_rss_after_load_mb": size.peak_rss_after_load_mb,
                "page_bytes": size.page_bytes,
                "runs": [
                    {
                        "hjemmelgruppe": run.page.hjemmelgruppe,
                        "position": run.page.position,
                        "hendelsesnummer": run.page.number,
                        "connections": run.connections,
                        "emulator": result_json(run.emulator),
                        "baseline": result_json(run.baseline),
                        "ratio": round(run.ratio, 4),
                    }
                    for run in size.runs
                ],
            }
            for size in results.sizes
        ],
        "token_endpoint": {
            "events": results.token_events,
            "runs": [
                {"connections": run.connections, "assertions_signed": run.assertions, **result_json(run.result)}
                for run in results.tokens
            ],
        },
        "drain": vars(results.drain) if results.drain else None,
        "targets": [{"name": target.name, "value": target.value, "met": target.met} for target in found],
    }


def charts(results: Results, output: Path, info: dict[str, Any]) -> None:
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    subtitle = f"{info['nproc']} cores, {info['cpu']}, Python {info['python']}"
    throughput_chart(results, output / "throughput.png", subtitle)
    scaling_chart(results, output / "scaling.png", subtitle)


def throughput_chart(results: Results, path: Path, subtitle: str) -> None:
    import matplotlib.pyplot as plt  # noqa: PLC0415

    connections = results.settings.connections
    figure, axes = plt.subplots(len(connections), 1, figsize=(15, 4.2 * len(connections)), squeeze=False)
    for axis, count in zip(axes[:, 0], connections, strict=True):
        labels: list[str] = []
        emulator: list[float] = []
        baseline: list[float] = []
        for size in results.sizes:
            for run in size.runs:
                if run.connections == count:
                    labels.append(f"{short(size.events)}\n{run.page.hjemmelgruppe} {run.page.position}")
                    emulator.append(run.emulator.requests_per_s)
                    baseline.append(run.baseline.requests_per_s)
        positions = list(range(len(labels)))
        axis.bar([x - 0.2 for x in positions], baseline, 0.4, label="bare ASGI baseline", color="#b0b0b0")
        bars = axis.bar([x + 0.2 for x in positions], emulator, 0.4, label="emulator, every check on", color="#1f6fb4")
        for x, base in zip(positions, baseline, strict=True):
            axis.plot([x - 0.4, x + 0.4], [base * TARGET_RATIO] * 2, color="#d62728", linewidth=1)
        for bar, emulated, base in zip(bars, emulator, baseline, strict=True):
            axis.annotate(
                f"{emulated / base:.0%}" if base else "",
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize=7,
            )
        axis.plot([], [], color="#d62728", linewidth=1, label="target: 50 % of baseline")
        axis.set_xticks(positions, labels, fontsize=7)
        axis.set_ylabel("requests/s")
        axis.set_title(f"Full page (100 events), {count} connection{'s' if count > 1 else ''}")
        axis.set_ylim(0, max([*emulator, *baseline, 1.0]) * 1.22)
        axis.legend(fontsize=8, loc="upper center", ncol=3)
        axis.grid(axis="y", alpha=0.3)
    figure.suptitle(f"Feed throughput: emulator vs bare ASGI, same uvicorn ({subtitle})", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def scaling_chart(results: Results, path: Path, subtitle: str) -> None:
    import matplotlib.pyplot as plt  # noqa: PLC0415

    connections = results.settings.connections
    widest = max(connections)
    sizes = [size.events for size in results.sizes]
    order = sorted(range(len(sizes)), key=lambda index: sizes[index])
    xs = [sizes[index] for index in order]
    figure, (left, middle, right) = plt.subplots(1, 3, figsize=(15, 4.2))
    for name, color in (("emulator", "#1f6fb4"), ("baseline", "#808080")):
        means: list[float] = []
        lows: list[float] = []
        highs: list[float] = []
        for index in order:
            values = [
                getattr(run, name).requests_per_s for run in results.sizes[index].runs if run.connections == widest
            ]
            means.append(sum(values) / len(values) if values else math.nan)
            lows.append(min(values) if values else math.nan)
            highs.append(max(values) if values else math.nan)
        errors = [[mean - low for mean, low in zip(means, lows, strict=True)],
                  [high - mean for mean, high in zip(means, highs, strict=True)]]  # fmt: skip
        left.errorbar(xs, means, yerr=errors, marker="o", capsize=4, color=color, label=name)
    left.set_title(f"Full-page throughput, {widest} connections (mean, min-max of 6 pages)", fontsize=9)
    left.set_ylabel("requests/s")
    left.set_ylim(bottom=0)
    middle.plot(xs, [results.sizes[index].startup.rss_mb for index in order], marker="o", label="RSS after ready")
    peaks = [results.sizes[index].startup.peak_rss_mb for index in order]
    middle.plot(xs, peaks, marker="x", linestyle="--", label="peak RSS while starting")
    after = [results.sizes[index].rss_after_load_mb for index in order]
    middle.plot(xs, after, marker="s", linestyle=":", label="RSS after all the load")
    middle.axhline(TARGET_RSS_MB[10_000_000], color="#d62728", linewidth=1, label="target at 10M: 1 GB")
    middle.set_title("Memory", fontsize=9)
    middle.set_ylabel("MB")
    middle.set_ylim(bottom=0)
    right.plot(
        xs, [results.sizes[index].startup.ready_s for index in order], marker="o", label="process start to ready"
    )
    right.scatter(list(TARGET_READY_S), list(TARGET_READY_S.values()), marker="_", s=400, color="#d62728",
                  label="targets (1M: 2 s, 10M: 15 s)")  # fmt: skip
    right.set_title("Time to ready", fontsize=9)
    right.set_ylabel("seconds")
    right.set_ylim(bottom=0)
    for axis in (left, middle, right):
        axis.set_xscale("log")
        axis.set_xlabel("events in the log")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    figure.suptitle(f"Scaling with the log ({subtitle})", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def parse_arguments(argv: Sequence[str] | None) -> tuple[Settings, Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k events, 2 s per run: a check that it all works")
    parser.add_argument("--sizes", help="log sizes, comma-separated (default 100000,1000000,10000000)")
    parser.add_argument("--duration", type=int, help="seconds of measured load per server and scenario (default 6)")
    parser.add_argument("--slice", type=int, help="seconds per turn of one server (default 2; --quick 1)")
    parser.add_argument("--warmup", type=int, help="seconds of unmeasured load before each run (default 1)")
    parser.add_argument("--connections", default="1,32", help="concurrent connections, comma-separated")
    parser.add_argument("--loadgen", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "bench")
    arguments = parser.parse_args(argv)
    if importlib.util.find_spec("matplotlib") is None:
        parser.error("matplotlib is missing (it draws the charts): pip install -e '.[bench]'")
    sizes_text = arguments.sizes or ("100000" if arguments.quick else "100000,1000000,10000000")
    sizes = [int(text.replace("_", "")) for text in sizes_text.split(",")]
    if any(size < 1000 for size in sizes):
        parser.error("every size must be at least 1000 events (the end-of-log pages need room)")
    duration = arguments.duration or (2 if arguments.quick else 6)
    slice_seconds = arguments.slice or (1 if arguments.quick else 2)
    if duration % slice_seconds:
        parser.error("--duration must be a multiple of --slice")
    warmup = arguments.warmup if arguments.warmup is not None else 1
    connections = [int(text) for text in arguments.connections.split(",")]
    loadgen = arguments.loadgen
    if loadgen in {"auto", "wrk"}:
        has_wrk = ensure_wrk()
        if loadgen == "wrk" and not has_wrk:
            parser.error("wrk is not installed, and could not be")
        loadgen = "wrk" if has_wrk else "python"
    return Settings(sizes, duration, slice_seconds, warmup, connections, loadgen), arguments.output


def _interrupt(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    settings, output = parse_arguments(argv)
    command = "python bench/run.py " + " ".join(sys.argv[1:] if argv is None else argv)
    # SIGTERM unwinds like Ctrl-C, so the servers are always stopped.
    signal.signal(signal.SIGTERM, _interrupt)
    info = machine()
    log(
        f"load generator: {settings.loadgen}; sizes {settings.sizes}; "
        f"{settings.duration} s per server and scenario in {settings.slice} s slices"
    )
    if (busy := os.getloadavg()[0]) > BUSY_LOAD_AVERAGE:
        log(f"the machine is busy (load average {busy:.2f}): other processes will share the cores with the servers")
    with tempfile.TemporaryDirectory(prefix="trygdehendelser-bench-") as temporary:
        workdir = Path(temporary)
        results = run(settings, LoadDriver(settings.loadgen, workdir), workdir)
    elapsed = time.perf_counter() - started
    info["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]
    found = targets(results)
    print()
    print(table(results, found))
    print()
    print(
        f"{info['nproc']} cores, {info['cpu']}, Python {info['python']}; load generator {settings.loadgen}; "
        f"{settings.duration} s per server and scenario in {settings.slice} s slices; "
        f"the whole run took {elapsed / 60:.1f} min; load average {info['load_average_at_start'][0]:.2f} at the start, "
        f"{info['load_average_at_end'][0]:.2f} at the end; emulator at "
        + ", ".join(sorted({str(size.emulator_git) for size in results.sizes}))
    )
    output.mkdir(parents=True, exist_ok=True)
    (output / "results.json").write_text(
        json.dumps(to_json(results, found, info, elapsed, command.strip()), indent=2) + "\n", encoding="utf-8"
    )
    charts(results, output, info)
    log(f"wrote {output / 'results.json'}, {output / 'throughput.png'}, {output / 'scaling.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
