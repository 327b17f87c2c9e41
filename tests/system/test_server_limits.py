"""The server below the app, as a gateway would be: bounded request heads, a head timeout, a prompt shutdown."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from emulator.http.protocol import MAX_HEAD_BYTES
from emulator.testing import EmulatorProcess
from tests.servers import PYTHON_M

HEAD_TIMEOUT = 0.5
FEED = "/helse/v1/trygdehendelser/hendelser?hendelsesnummer=1"


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorProcess]:
    process = EmulatorProcess(
        command=[*PYTHON_M, "serve", "--events", "100", "--header-timeout", str(HEAD_TIMEOUT)], port=0
    )
    process.start()
    yield process
    process.stop()


def _connect(server: EmulatorProcess) -> socket.socket:
    parts = urlsplit(server.base_url)
    assert parts.hostname is not None
    assert parts.port is not None
    return socket.create_connection((parts.hostname, parts.port), timeout=10)


def _answer(connection: socket.socket) -> bytes:
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def test_a_head_over_the_limit_is_refused_with_431_at_once(server: EmulatorProcess) -> None:
    with _connect(server) as connection:
        # More than the limit, without ever ending the header (all of it read by the server, so it closes cleanly).
        connection.sendall(f"GET {FEED} HTTP/1.1\r\nHost: x\r\nX-Big: ".encode() + b"a" * (MAX_HEAD_BYTES + 4096))
        answer = _answer(connection)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert answer.endswith(b'{"statusCode":431,"message":"Request header fields too large"}')


def test_a_head_just_under_the_limit_is_served(server: EmulatorProcess) -> None:
    padding = "a" * (MAX_HEAD_BYTES - 1024)
    answer = httpx.get(f"{server.base_url}{FEED}", headers={"X-Padding": padding})
    # Past the server's limits; the gateway's own refusal (no subscription key) shows the request got through.
    assert answer.status_code == 401


def test_a_head_not_sent_whole_in_time_is_408_and_closed(server: EmulatorProcess) -> None:
    with _connect(server) as connection:
        connection.sendall(b"GET /helse/v1/trygdehendelser/hen")
        answer = _answer(connection)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]


def test_other_requests_are_served_while_a_client_dawdles(server: EmulatorProcess) -> None:
    with _connect(server) as dawdler:
        dawdler.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        assert httpx.get(f"{server.base_url}/internal/isalive").status_code == 200


def test_a_pending_wait_does_not_hold_up_shutdown() -> None:
    process = EmulatorProcess(command=[*PYTHON_M, "serve", "--events", "100"], port=0)
    process.start()
    answers: list[httpx.Response] = []
    waiting = threading.Thread(
        target=lambda: answers.append(
            httpx.get(f"{process.base_url}/_emulator/consumers/client:nobody/wait?timeout=120", timeout=130)
        )
    )
    waiting.start()
    try:
        deadline = time.monotonic() + 30
        while httpx.get(f"{process.base_url}/_emulator/consumers").json()["pending_waits"] != 1:
            assert time.monotonic() < deadline, "the wait never started"
        assert process.pid is not None
        stopping = subprocess.run(["kill", "-TERM", str(process.pid)], check=True)
        assert stopping.returncode == 0
        # A wait holding the shutdown would keep the process for its whole 120 s.
        waiting.join(timeout=60)
        assert not waiting.is_alive()
        assert answers[0].status_code == 408
    finally:
        process.stop()
