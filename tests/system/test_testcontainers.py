"""The README's Testcontainers recipe for Python, run against the built image with the machine's container engine.

Docker's socket where one answers; otherwise podman's Docker-compatible API, started here for this module. Without
an engine or without the image (scripts/container-check builds it) the test skips, except under CI=true.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from testcontainers.core.config import ConnectionMode, testcontainers_config
from testcontainers.core.container import DockerContainer
from testcontainers.core.wait_strategies import HttpWaitStrategy

pytestmark = pytest.mark.system

IMAGE = "trygdehendelser-emulator:latest"
IN_CI = os.environ.get("CI") == "true"
# Run by a small Python in front of podman: the listening socket becomes fd 3 and LISTEN_PID names the process that
# then becomes podman (exec keeps the pid), which is how systemd hands a socket over (sd_listen_fds).
ACTIVATE = (
    "import os, sys; os.dup2(int(sys.argv[1]), 3); "
    "os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS='1'); os.execv(sys.argv[2], sys.argv[2:])"
)


def unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true runs this test: scripts/container-check comes first in .ci/run)")
    pytest.skip(reason)


def docker_answers(host: str, timeout: float = 2) -> bool:
    """Whether a Docker API answers `GET /_ping` on this unix socket (plain HTTP/1.0, so nothing stays open)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(timeout)
        try:
            probe.connect(host.removeprefix("unix://"))
            probe.sendall(b"GET /_ping HTTP/1.0\r\nHost: engine\r\n\r\n")
            status_line = probe.recv(64).split(b"\r\n", 1)[0]
        except OSError:
            return False
    return status_line.split()[1:2] == [b"200"]


@pytest.fixture(scope="module")
def engine_socket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, bool]]:
    """A Docker API socket, and whether it is podman's served here for the length of this module (or Docker's)."""
    given = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if given.startswith("unix://") and docker_answers(given) and shutil.which("docker"):
        if subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True, check=False).returncode:
            unavailable(f"no image {IMAGE}: build it with scripts/container-check")
        yield given, False
        return
    podman = shutil.which("podman")
    if podman is None:
        unavailable("no container engine (Docker or podman)")
        return
    if subprocess.run([podman, "image", "exists", IMAGE], check=False).returncode:
        unavailable(f"no image {IMAGE}: build it with scripts/container-check")
    # Socket activation, as systemd's podman.socket does it: the socket listens before podman starts, so the first
    # request waits in its backlog until podman serves it, and nothing has to poll for podman to be up.
    path = tmp_path_factory.mktemp("podman") / "podman.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(str(path))
        listener.listen()
        service = subprocess.Popen(
            [sys.executable, "-c", ACTIVATE, str(listener.fileno()), podman, "system", "service", "--time=0"],
            pass_fds=(listener.fileno(),),
            stderr=subprocess.DEVNULL,
        )
    host = f"unix://{path}"
    try:
        assert docker_answers(host, timeout=60), "podman's API did not answer"
        yield host, True
    finally:
        service.terminate()
        service.wait(timeout=30)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_the_python_testcontainers_recipe_serves_the_feed_with_a_token_fetched_from_the_host(
    engine_socket: tuple[str, bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    host, served_here = engine_socket
    monkeypatch.setenv("DOCKER_HOST", host)
    # The test removes its own container; Ryuk, the reaper, is an image of its own from a registry.
    monkeypatch.setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
    if served_here:
        # The podman served here runs in this test's own network namespace, so its published ports are on this
        # host's loopback, even where the machine itself is a container (/.dockerenv makes testcontainers look
        # for a gateway instead).
        monkeypatch.setattr(testcontainers_config, "connection_mode_override", ConnectionMode.docker_host)

    # The recipe, as the README gives it.
    port = free_port()  # known before the start, so that the issuer can name the address the host uses
    container = (
        DockerContainer(IMAGE)
        .with_bind_ports(8080, port)
        .with_env("EMULATOR_ISSUER", f"http://127.0.0.1:{port}/maskinporten/")
        .waiting_for(HttpWaitStrategy(8080, "/internal/isready").for_status_code(200).with_startup_timeout(120))
    )
    with container:
        base_url = f"http://127.0.0.1:{container.get_exposed_port(8080)}"

        # A consumer's own token code, unchanged: discovery, then the JWT-bearer grant with aud = the issuer.
        with httpx.Client(base_url=base_url, timeout=10) as http:
            metadata = http.get("/maskinporten/.well-known/oauth-authorization-server").json()
            assert metadata["issuer"] == f"{base_url}/maskinporten/"
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            now = int(time.time())
            claims = {"aud": metadata["issuer"], "iss": "testcontainers-consumer", "iat": now, "exp": now + 60}
            claims |= {"scope": "nav:helse/v1/trygdehendelser", "jti": str(uuid.uuid4())}
            assertion = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "testcontainers-key"})
            grant = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
            granted = httpx.post(metadata["token_endpoint"], data=grant, timeout=10)
            assert granted.status_code == 200, granted.text
            token = granted.json()["access_token"]
            assert jwt.decode(token, options={"verify_signature": False})["iss"] == metadata["issuer"]

            headers = {"Ocp-Apim-Subscription-Key": "local-subscription-key", "Authorization": f"Bearer {token}"}
            page = http.get(
                "/helse/v1/trygdehendelser/hendelser",
                params={"hendelsesnummer": 1, "antallHendelser": 3},
                headers=headers,
            )
    assert page.status_code == 200, page.text
    assert [event["hendelsesnummer"] for event in page.json()["hendelser"]] == [1, 2, 3]


def test_the_readme_gives_the_recipe_this_module_runs() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for line in (
        'DockerContainer("trygdehendelser-emulator:latest")',
        ".with_bind_ports(8080, port)",
        '.with_env("EMULATOR_ISSUER", f"http://127.0.0.1:{port}/maskinporten/")',
        '.waiting_for(HttpWaitStrategy(8080, "/internal/isready").for_status_code(200).with_startup_timeout(120))',
        'Wait.forHttp("/internal/isready")',
    ):
        assert line in readme, line
