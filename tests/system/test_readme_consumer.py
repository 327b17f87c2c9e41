"""A consumer following the README: its three ways to a token, the feed, and each documented refusal.

The README's own code is run, only its `127.0.0.1:8080` pointed at a server on a free port: the Python
JWT-bearer example, the curl example at the top, and the `trygdehendelser-emulator token` lines, whose
comments say what the API answers.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator.gateway.admission import INVALID_KEY, MISSING_KEY, UNAUTHORIZED
from emulator.maskinporten.tokens import API_SCOPE
from tests.servers import PYTHON_M, running_server
from tests.tokencraft import with_claims

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
DOCUMENTED_BASE = "http://127.0.0.1:8080"
FEED = "/helse/v1/trygdehendelser/hendelser"
KEY = "local-subscription-key"


def tokens_section() -> str:
    start = README.index("Three ways to get a token:")
    return README[start : README.index("**Modes.**", start)]


def jwt_bearer_example() -> str:
    """The indented Python block of way 1."""
    block = re.search(r"\n   ```python\n(.*?)\n   ```\n", tokens_section(), flags=re.DOTALL)
    assert block is not None
    return textwrap.dedent(block.group(1))


def curl_example() -> str:
    """The sh block that fetches a token with the demo secret and reads the feed (the README's first)."""
    blocks: list[str] = re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL)
    return next(block for block in blocks if "client_credentials" in block and "curl" in block)


def cli_examples() -> list[tuple[str, int | None]]:
    """Each `trygdehendelser-emulator token` line of way 3 and the status its comment promises (None: none)."""
    block = re.search(r"\n   ```sh\n(.*?)\n   ```\n", tokens_section(), flags=re.DOTALL)
    assert block is not None
    examples = []
    for line in textwrap.dedent(block.group(1)).splitlines():
        command, _, comment = line.partition("#")
        status = re.search(r"\b(\d{3})\b", comment)
        promised = int(status.group(1)) if status else (200 if "valid token" in comment else None)
        examples.append((command.strip(), promised))
    return examples


@dataclass(frozen=True)
class Server:
    base: str

    def here(self, text: str) -> str:
        return text.replace(DOCUMENTED_BASE, self.base)

    def feed(self, headers: dict[str, str], path: str = FEED) -> httpx.Response:
        return httpx.get(f"{self.base}{path}", params={"hendelsesnummer": 1, "antallHendelser": 1}, headers=headers)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """As the README starts it: default settings (10,000 events, seed 1, open mode, the bundled clients)."""
    with running_server([*PYTHON_M, "serve"]) as (base, _):
        yield Server(base)


@pytest.fixture(scope="module")
def readme_token(server: Server) -> str:
    """The access token that the README's JWT-bearer example gets, run as written."""
    namespace: dict[str, Any] = {}
    exec(compile(server.here(jwt_bearer_example()), "README.md", "exec"), namespace)
    token: str = namespace["token"]
    return token


def test_the_readmes_jwt_bearer_example_gets_a_token_that_reads_the_feed(server: Server, readme_token: str) -> None:
    response = server.feed({"Ocp-Apim-Subscription-Key": KEY, "Authorization": f"Bearer {readme_token}"})
    assert response.status_code == 200, response.text
    assert [event["hendelsesnummer"] for event in response.json()["hendelser"]] == [1]


def test_the_readmes_curl_example_prints_the_page_the_readme_shows(server: Server) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", server.here(curl_example())], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    shown = re.search(r"```json\n(\{\"antallHendelser\":2,.*?)\n```", README)
    assert shown is not None
    assert done.stdout.strip() == shown.group(1)


@pytest.mark.parametrize(
    ("command", "status"),
    [example for example in cli_examples() if example[1] is not None],
    ids=[
        command.removeprefix("trygdehendelser-emulator token").strip() or "plain"
        for command, status in cli_examples()
        if status is not None
    ],
)
def test_each_readme_token_command_gets_the_answer_its_comment_promises(
    server: Server, command: str, status: int
) -> None:
    argv = [*PYTHON_M, *shlex.split(command)[1:], "--url", server.base]
    token = subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()
    assert server.feed({"Ocp-Apim-Subscription-Key": KEY, "Authorization": f"Bearer {token}"}).status_code == status


def test_the_readmes_token_command_with_its_own_url_prints_the_whole_response(server: Server) -> None:
    command = next(command for command, status in cli_examples() if "--url" in command)
    documented = re.search(r"--url (\S+)", command)
    assert documented is not None
    argv = [*PYTHON_M, *shlex.split(command.replace(documented.group(1), server.base))[1:]]
    response = json.loads(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)
    assert set(response) == {"access_token", "token_type", "expires_in", "scope"}
    headers = {"Ocp-Apim-Subscription-Key": KEY, "Authorization": f"Bearer {response['access_token']}"}
    assert server.feed(headers).json()["message"] == f"{UNAUTHORIZED} The token has no exp claim."


def mistake(name: str, token: str) -> tuple[dict[str, str], str, int, str, str]:
    """Headers and path of one mistake from the README's error table, and its status, message and challenge."""
    key = {"Ocp-Apim-Subscription-Key": KEY}
    bearer = {**key, "Authorization": f"Bearer {token}"}
    rows = {
        "another-path": (bearer, f"{FEED}/", 404, "Resource not found", ""),
        "no-key": ({"Authorization": f"Bearer {token}"}, FEED, 401, MISSING_KEY, "AzureApiManagementKey realm="),
        "empty-key": ({**bearer, **{"Ocp-Apim-Subscription-Key": ""}}, FEED, 401, MISSING_KEY, "AzureApiManagementKey"),
        "unknown-key": (
            {**bearer, **{"Ocp-Apim-Subscription-Key": "feil"}},
            FEED,
            401,
            INVALID_KEY,
            "AzureApiManagementKey",
        ),
        "no-authorization": (key, FEED, 401, UNAUTHORIZED, 'Bearer realm="'),
        "not-bearer": ({**key, "Authorization": "Basic YTpi"}, FEED, 401, UNAUTHORIZED, 'Bearer error="invalid_token"'),
        "tampered-token": (
            {**key, "Authorization": f"Bearer {with_claims(token, scope=f'{API_SCOPE} nav:annet')}"},
            FEED,
            401,
            f"{UNAUTHORIZED} The signature does not verify.",
            'Bearer error="invalid_token"',
        ),
    }
    return rows[name]


MISTAKES = ["another-path", "no-key", "empty-key", "unknown-key", "no-authorization", "not-bearer", "tampered-token"]


@pytest.mark.parametrize("name", MISTAKES, ids=MISTAKES)
def test_each_documented_mistake_gets_its_documented_answer(server: Server, readme_token: str, name: str) -> None:
    headers, path, status, message, challenge = mistake(name, readme_token)
    assert f"| {status} |" in README
    response = server.feed(headers, path)
    assert response.status_code == status, response.text
    assert response.json()["statusCode"] == status
    assert response.json()["message"].startswith(message)
    assert response.headers.get("www-authenticate", "").startswith(challenge)


def test_the_bundled_client_without_the_api_scope_gets_a_token_that_the_api_refuses_with_403(server: Server) -> None:
    """The second demo client in the bundled clients file: its secret works, its token lacks the API's scope."""
    grant = {"grant_type": "client_credentials", "client_id": "uten-tilgang", "client_secret": "demo-secret"}
    token = httpx.post(f"{server.base}/maskinporten/token", data=grant).json()["access_token"]
    response = server.feed({"Ocp-Apim-Subscription-Key": KEY, "Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.headers["www-authenticate"] == f'Bearer error="insufficient_scope", scope="{API_SCOPE}"'


def own_key_example() -> str:
    """The Python block under "Your own key, end to end"."""
    start = README.index("**Your own key, end to end.**")
    block = re.search(r"```python\n(.*?)\n```", README[start:], flags=re.DOTALL)
    assert block is not None
    return block.group(1)


def test_the_readmes_own_key_example_registers_a_pem_key_gets_a_token_and_reads_the_feed(server: Server) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(server.here(own_key_example()), "README.md", "exec"), namespace)
    assert namespace["page"]["antallHendelser"] == 2
