"""A consumer following the README's "Looking a period up in MEDL": its Python and curl examples, and its errors.

The README's own code is run, only its `127.0.0.1:8080` pointed at a server on a free port.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator.testing import EmulatorControl
from tests.servers import PYTHON_M, running_server

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
DOCUMENTED_BASE = "http://127.0.0.1:8080"
MEDL = "/medlemskap/v1/medlemskapsunntak"
MEDL_SCOPE = "nav:medlemskap/v1/medlemskapsunntak"
KEY = "local-subscription-key"


def medl_section() -> str:
    start = README.index("## Looking a period up in MEDL")
    return README[start : README.index("\n## ", start + 1)]


def block(language: str) -> str:
    found = re.search(rf"```{language}\n(.*?)\n```", medl_section(), flags=re.DOTALL)
    assert found is not None, language
    return found.group(1)


def error_rows() -> dict[int, tuple[str, str]]:
    """The section's error table: status -> (what, body)."""
    rows = re.findall(r"^\| (.+?) \| (\d{3}) \| (.+?) \|$", medl_section(), flags=re.MULTILINE)
    return {int(status): (what, body) for what, status, body in rows}


@pytest.fixture(scope="module")
def control() -> Iterator[EmulatorControl]:
    """As the README starts it: default settings (10,000 events, seed 1, open mode, the bundled clients)."""
    with running_server([*PYTHON_M, "serve"]) as (base, _), EmulatorControl(base) as control:
        yield control


def here(control: EmulatorControl, text: str) -> str:
    return text.replace(DOCUMENTED_BASE, control.base_url)


def test_the_readmes_python_example_looks_each_period_of_a_page_up_as_medl_answers_it(
    control: EmulatorControl,
) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(here(control, block("python")), "README.md", "exec"), namespace)
    page = control.read(from_number=1, size=20)
    assert sorted(namespace["periods"]) == sorted({event["innhold"]["periodeId"] for event in page["hendelser"]})
    for period, record in namespace["periods"].items():
        assert record == control.lookup(period, traces=True)
    lookups = [entry for entry in control.journal(limit=100) if entry["path"].startswith(f"{MEDL}/")]
    mine = [entry for entry in lookups if entry["consumer_id"] == "min-app"]
    assert len(mine) == page["antallHendelser"]
    assert len({entry["call_id"] for entry in mine}) == len(mine)


def test_the_readmes_curl_lookup_with_the_top_examples_token_prints_the_record_the_readme_shows(
    control: EmulatorControl,
) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    # The top example's token: the demo client's, asked for no scope in particular.
    grant = {"grant_type": "client_credentials", "client_id": "trygdehendelser-demo", "client_secret": "demo-secret"}
    token = httpx.post(control.token_url, data=grant).json()["access_token"]
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", here(control, block("sh"))],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "TOKEN": token},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == block("json")
    assert control.journal(limit=1)[0]["call_id"] == "kall-1"


@pytest.mark.parametrize(
    ("status", "target", "headers", "scope"),
    [
        (403, f"{MEDL}/2000002", {}, "nav:helse/v1/trygdehendelser"),
        (400, f"{MEDL}/abc", {}, MEDL_SCOPE),
        (400, MEDL, {}, MEDL_SCOPE),
        (400, MEDL, {"Nav-Personident": "123"}, MEDL_SCOPE),
        (400, f"{MEDL}?tilOgMed=snart", {"Nav-Personident": "14860258537"}, MEDL_SCOPE),
        (404, f"{MEDL}/1", {}, MEDL_SCOPE),
    ],
    ids=["feed-scope-only", "id-not-an-integer", "no-person", "person-not-11-digits", "bad-date", "unknown-id"],
)
def test_each_documented_medl_error_gets_its_documented_answer(
    control: EmulatorControl, status: int, target: str, headers: dict[str, str], scope: str
) -> None:
    what, documented = error_rows()[status]
    answer = httpx.get(f"{control.base_url}{target}", headers={**control.headers(scope=scope), **headers})
    assert answer.status_code == status, answer.text
    body = answer.json()
    if status == 403:
        assert body["statusCode"] == 403
        assert body["message"].startswith("Forbidden.")
        assert answer.headers["www-authenticate"] in documented
        return
    assert list(body) == ["timestamp", "status", "error", "message", "path"]
    if status == 404:
        assert f'"message": "{body["message"]}"' in documented
    else:
        # The message names what was wrong: the path variable, the header or the parameter.
        named = re.search(r"unntakId|Nav-Personident|tilOgMed", body["message"])
        assert named is not None, body["message"]
        assert f"`{named.group(0)}`" in what
        assert "the message naming the parameter or header" in documented


def test_the_medl_openapi_document_the_readme_links_is_served(control: EmulatorControl) -> None:
    assert "`/medl-openapi.json`" in medl_section()
    document = httpx.get(f"{control.base_url}/medl-openapi.json").json()
    assert f"{MEDL}/{{unntakId}}" in document["paths"]
