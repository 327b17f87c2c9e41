"""A real emulator process for tests: started as users start it, on a free port, read from its banner, stopped.

with EmulatorProcess("--events", "500") as server:
    httpx.get(f"{server.base_url}/internal/isready")
"""

from __future__ import annotations

import collections
import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from types import TracebackType

DEFAULT_COMMAND: tuple[str, ...] = (sys.executable, "-m", "emulator", "serve")
STARTUP_SECONDS = 60.0
SHUTDOWN_SECONDS = 30.0
# The banner's first line, and the line that closes its required part.
BANNER_FIRST = "trygdehendelser-emulator "
BANNER_LAST = "  health "
_FEED = re.compile(r"^\s+feed\s+(https?://[^/\s]+)/helse/v1/trygdehendelser/hendelser", re.MULTILINE)
_ISSUER = re.compile(r"\(issuer (\S+),")


class EmulatorStartupError(RuntimeError):
    """The emulator exited, or printed no banner in time; the message carries what it wrote."""


class EmulatorProcess:
    """`trygdehendelser-emulator serve` as a subprocess on a port of its own choosing (port 0 by default).

    `arguments` are further `serve` options (`"--events", "500"`); `command` replaces `python -m emulator serve`
    (the console script, say); `env` is added to this process's environment, so `EMULATOR_*` variables set here
    reach the emulator too, though options win. `start()` returns once the banner has been printed, which the
    emulator does only when it listens and its log is built. Stdout and stderr are read by a thread, so the
    process never blocks on a full pipe; `output` keeps the last `keep_lines` lines (all, with None).
    """

    def __init__(
        self,
        *arguments: str,
        command: Sequence[str] = DEFAULT_COMMAND,
        env: Mapping[str, str] | None = None,
        port: int | None = 0,
        startup_timeout: float = STARTUP_SECONDS,
        shutdown_timeout: float = SHUTDOWN_SECONDS,
        keep_lines: int | None = 10_000,
    ) -> None:
        # port=None leaves the port to the command and its environment (EMULATOR_PORT).
        self.argv = [*command, *arguments, *([] if port is None else ["--port", str(port)])]
        self._env = {**os.environ, **(env or {})}
        self._startup_timeout = startup_timeout
        self._shutdown_timeout = shutdown_timeout
        self._output: collections.deque[str] = collections.deque(maxlen=keep_lines)
        # Lines for start() to look at; None marks the end of the output (the process has exited).
        self._startup_lines: queue.Queue[str | None] = queue.Queue()
        self._started = threading.Event()
        self._process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None
        self._base_url: str | None = None
        self._banner = ""

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>`, as the banner's feed line names it."""
        if self._base_url is None:
            raise RuntimeError("the emulator is not running: call start() first")
        return self._base_url

    @property
    def banner(self) -> str:
        """What the emulator printed when it was ready: version, size, and where everything is."""
        return self._banner

    @property
    def issuer(self) -> str:
        """The token issuer the banner announces (ends in /)."""
        match = _ISSUER.search(self._banner)
        if match is None:
            raise RuntimeError(f"no issuer in the banner: {self._banner!r}")
        return match.group(1)

    @property
    def output(self) -> list[str]:
        """Lines written so far, stdout and stderr interleaved (the last `keep_lines`); all of them after stop()."""
        return list(self._output)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> EmulatorProcess:
        """Start the process and wait for its banner; raises EmulatorStartupError if none comes."""
        if self._process is not None:
            raise RuntimeError("already started")
        # The caller's own command line, as a list: no shell.
        self._process = subprocess.Popen(  # noqa: S603
            self.argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=self._env,
        )
        # A reader thread, not select(): once Python's buffered pipe has read lines, select() no longer sees them.
        self._reader = threading.Thread(target=self._pump, name=f"emulator-{self._process.pid}-output", daemon=True)
        self._reader.start()
        try:
            self._banner = self._await_banner()
        except BaseException:
            self.stop()
            raise
        match = _FEED.search(self._banner)
        assert match is not None, self._banner
        self._base_url = match.group(1)
        return self

    def stop(self) -> int | None:
        """Terminate the process (kill it if it will not go), drain its output; the exit status. Idempotent."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=self._shutdown_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._reader is not None:
            self._reader.join(timeout=self._shutdown_timeout)
        if process.stdout is not None:
            process.stdout.close()
        self._started.set()
        return process.returncode

    def __enter__(self) -> EmulatorProcess:
        return self if self._process is not None else self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"EmulatorProcess(pid={self.pid}, base_url={self._base_url!r})"

    def _pump(self) -> None:
        assert self._process is not None
        assert self._process.stdout is not None
        try:
            for line in self._process.stdout:
                self._output.append(line)
                if not self._started.is_set():
                    self._startup_lines.put(line)
        except ValueError:  # the pipe was closed under us by stop()
            pass
        finally:
            self._startup_lines.put(None)

    def _await_banner(self) -> str:
        deadline = time.monotonic() + self._startup_timeout
        banner: list[str] = []
        while True:
            try:
                line = self._startup_lines.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                raise EmulatorStartupError(
                    f"no banner from {self.argv} within {self._startup_timeout:g} s; it wrote:\n{self._written()}"
                ) from None
            if line is None:
                assert self._process is not None
                status = self._process.wait()
                raise EmulatorStartupError(f"{self.argv} exited with {status} before it was ready:\n{self._written()}")
            if banner or line.startswith(BANNER_FIRST):
                banner.append(line)
            if line.startswith(BANNER_LAST):
                break
        # The lines after health (key, client) came in the same write; take those already here.
        while True:
            try:
                line = self._startup_lines.get_nowait()
            except queue.Empty:
                break
            if line is None or not line.startswith("  "):
                break
            banner.append(line)
        self._started.set()
        return "".join(banner)

    def _written(self) -> str:
        return "".join(self._output) or "(nothing)"
