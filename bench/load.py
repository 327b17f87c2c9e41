"""The load: wrk with the bench's Lua scripts, or bench/loadgen.py where wrk cannot be had; results in one shape."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import uuid
from collections.abc import Sequence
from pathlib import Path

from bench.loadgen import RequestSource, build_request, run_load
from bench.measurement import PERCENTILE_GRID, LoadResult
from bench.servers import HOST

logger = logging.getLogger(__name__)

# wrk's done() hook prints one JSON line with the counts and the latency at each point of PERCENTILE_GRID, so that
# slices can be combined like loadgen's runs.
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
    "\\"max_us\\":%d,\\"exhausted\\":%d,\\"grid\\":[%s]}\\n",
    summary.requests, summary.duration, errors.connect + errors.read + errors.write + errors.timeout,
    errors.status, latency.max, exhausted, table.concat(points, ",")))
end
"""
).replace("{GRID}", "{" + ", ".join(f"{percent:g}" for percent in PERCENTILE_GRID) + "}")

# Each body once, in order. When they run out the thread stops, but request() must still return one: a harmless GET.
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
        return wrk_result(report.removeprefix("BENCHJSON "))


def wrk_result(report: str) -> LoadResult:
    """The result of one wrk run from the JSON its done() hook printed (microseconds, as wrk counts)."""
    data = json.loads(report)
    points = {percent: micros / 1e3 for percent, micros in data["grid"]}
    return LoadResult.measured(
        requests=data["requests"],
        duration_s=data["duration_us"] / 1e6,
        percentile=points.__getitem__,
        max_ms=data["max_us"] / 1e3,
        errors=data["socket_errors"],
        non_2xx=data["non_2xx"],
        exhausted=bool(data["exhausted"]),
    )


def ensure_wrk() -> bool:
    if shutil.which("wrk"):
        return True
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    logger.info("wrk is missing: apt-get install -y wrk")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # A stale package list is the usual reason the first install fails: update it and try once more.
    for attempt in (["apt-get", "install", "-y", "wrk"], ["apt-get", "update"], ["apt-get", "install", "-y", "wrk"]):
        done = subprocess.run(attempt, env=environment, capture_output=True, timeout=600, check=False)
        if attempt[1] == "install" and done.returncode == 0:
            break
    return shutil.which("wrk") is not None


def valid(result: LoadResult) -> bool:
    return result.errors == 0 and result.non_2xx == 0


def rate(result: LoadResult, unit: str = "req/s") -> str:
    """The rate for the table: `>=` when the requests ran out before the time, flagged when any failed."""
    flag = "" if valid(result) else f" ({result.errors + result.non_2xx} errors!)"
    bound = ">= " if result.exhausted else ""
    return f"{bound}{result.requests_per_s:,.0f} {unit}{flag}"
