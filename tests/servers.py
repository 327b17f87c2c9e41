"""Real emulator processes for tests: started as users start them, on a free port, and stopped again."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from emulator.testing.server import STARTUP_SECONDS, EmulatorProcess, EmulatorStartupError

__all__ = ["ENTRY_POINT", "PYTHON_M", "STARTUP_SECONDS", "issuer_in", "running_server"]

ENTRY_POINT = Path(sys.executable).with_name("trygdehendelser-emulator")
PYTHON_M = [sys.executable, "-m", "emulator"]
BANNER_ISSUER = re.compile(r"\(issuer (\S+),")


@contextmanager
def running_server(
    command: list[str], env: dict[str, str] | None = None, *, output: list[str] | None = None, free_port: bool = True
) -> Iterator[tuple[str, str]]:
    """Start the emulator on a free port (port 0) and yield its base URL and banner.

    With `free_port=False` the command and its environment choose the port. Given `output`, every line the
    process wrote is appended to it once the process has stopped.
    """
    server = EmulatorProcess(command=command, env=env, port=0 if free_port else None, keep_lines=None)
    try:
        server.start()
    except EmulatorStartupError as error:
        pytest.fail(str(error))
    try:
        yield server.base_url, server.banner
    finally:
        server.stop()
        if output is not None:
            output.extend(server.output)


def issuer_in(banner: str) -> str:
    """The issuer URL the banner announces on its token line."""
    match = BANNER_ISSUER.search(banner)
    assert match is not None, banner
    return match.group(1)
