"""Real emulator processes for tests: started as users start them, on a free port, and stopped again."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ENTRY_POINT = Path(sys.executable).with_name("trygdehendelser-emulator")
PYTHON_M = [sys.executable, "-m", "emulator"]
BANNER_FEED = re.compile(r"feed\s+(http://127\.0\.0\.1:\d+)/helse/v1/trygdehendelser/hendelser")
BANNER_ISSUER = re.compile(r"\(issuer (\S+),")
STARTUP_SECONDS = 60
SHUTDOWN_SECONDS = 30


@contextmanager
def running_server(
    command: list[str], env: dict[str, str] | None = None, *, output: list[str] | None = None, free_port: bool = True
) -> Iterator[tuple[str, str]]:
    """Start the emulator on a free port (port 0) and yield its base URL, read from the banner it prints.

    With `free_port=False` the command (and its environment) choose the port themselves.

    Given `output`, every line the process writes (stdout and stderr) is appended to it, the last ones
    included: the process has exited and its pipe is drained when the block ends.
    """
    process = subprocess.Popen(
        [*command, "--port", "0"] if free_port else command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    # A reader thread, because a buffered pipe hides lines from select() once Python has read them.
    stdout = process.stdout

    def pump() -> None:
        for line in stdout:
            lines.put(line)
            if output is not None:
                output.append(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    banner: list[str] = []
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        # The health line closes the banner.
        while (match := BANNER_FEED.search("".join(banner))) is None or "  health " not in "".join(banner):
            try:
                banner.append(lines.get(timeout=max(deadline - time.monotonic(), 0)))
            except queue.Empty:
                pytest.fail(f"no banner within {STARTUP_SECONDS} s: {banner}")
            if process.poll() is not None and lines.empty():
                pytest.fail(f"the server exited: {''.join(banner)}")
        yield match.group(1), "".join(banner)
    finally:
        process.terminate()
        process.wait(timeout=SHUTDOWN_SECONDS)
        reader.join(timeout=SHUTDOWN_SECONDS)
        stdout.close()


def issuer_in(banner: str) -> str:
    """The issuer URL the banner announces on its token line."""
    match = BANNER_ISSUER.search(banner)
    assert match is not None, banner
    return match.group(1)
