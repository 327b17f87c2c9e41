"""The servers under load: the emulator and the baseline as child processes, their readiness and their memory."""

from __future__ import annotations

import http.client
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
HOST = "127.0.0.1"


@dataclass
class Startup:
    ready_s: float
    rss_mb: float
    peak_rss_mb: float = 0.0  # VmHWM at ready: what building the log took at its height
    log_build_s: float | None = None


class Child:
    """A server process, its output read by threads (so pipes never fill), stopped on exit whatever happens."""

    def __init__(self, name: str, command: Sequence[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> None:
        self.name = name
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.errors: list[str] = []
        threading.Thread(target=self._read, args=(self.process.stdout, self.lines.put), daemon=True).start()
        threading.Thread(target=self._read, args=(self.process.stderr, self.errors.append), daemon=True).start()

    @staticmethod
    def _read(stream: Iterable[str], sink: Callable[[str], None]) -> None:
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

    def memory_mb(self) -> tuple[float, float]:
        """(VmRSS, VmHWM) in MB: the resident set now, and its peak so far."""
        return self.status_kb("VmRSS") / 1024, self.status_kb("VmHWM") / 1024

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
        # The emulator refuses connections until its log is built: ask again shortly, so the figure is within 5 ms.
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


def _start(name: str, command: Sequence[str], port: int, timeout: float) -> tuple[Child, Startup]:
    child = Child(name, command)
    ready = wait_ready(child, port, timeout)
    # Read at once: the memory the server needed to become ready, before anything else asks it for more.
    rss, peak = child.memory_mb()
    return child, Startup(ready_s=ready, rss_mb=rss, peak_rss_mb=peak)


def start_emulator(events: int) -> tuple[Child, int, Startup]:
    port = free_port()
    command = [
        sys.executable, "-m", "emulator", "serve", "--port", str(port), "--events", str(events),
        "--log-level", "warning",
    ]  # fmt: skip
    child, startup = _start(f"emulator ({events:,} events)", command, port, timeout=300)
    banner = child.wait_for_line(r"ready in ([\d.]+) s", timeout=30)
    feed = child.wait_for_line(r"feed\s+http://127\.0\.0\.1:(\d+)/", timeout=5)
    if int(feed.group(1)) != port:
        raise RuntimeError(f"the emulator says it listens on {feed.group(1)}, not {port}")
    startup.log_build_s = float(banner.group(1))
    return child, port, startup


def start_baseline(pages_dir: Path, *, by_path: bool = False) -> tuple[Child, int, Startup]:
    port = free_port()
    command = [sys.executable, str(BENCH / "baseline.py"), "--pages", str(pages_dir), "--port", str(port)]
    if by_path:
        command.append("--by-path")
    child, startup = _start("baseline", command, port, timeout=60)
    child.wait_for_line(r"^baseline http://", timeout=10)
    return child, port, startup
