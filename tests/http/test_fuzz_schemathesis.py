"""Schemathesis fuzzes NAV's API on the in-process app: no 5xx, and every answer is as documented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis import checks

from emulator.http.app import create_app
from emulator.settings import Settings
from emulator.testing import api_headers

SPEC_FILE = Path(__file__).resolve().parents[2] / "openapi.json"
# A fixed seed with derandomized generation: the same cases on every run, so a failure reproduces. Negative
# cases too ("all"): bad parameters must get the documented 400, never a 5xx or an undocumented status.
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261127,
        "generation": {"mode": "all", "max-examples": 80, "deterministic": True, "database": "none"},
    }
)
schema = schemathesis.openapi.from_path(SPEC_FILE, config=CONFIG)
CHECKS: list[Any] = [
    checks.not_a_server_error,
    checks.response_schema_conformance,
    checks.status_code_conformance,
    checks.content_type_conformance,
]


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(Settings(seed=7, events=500))


@pytest.fixture(scope="module")
def auth_headers(app: FastAPI) -> dict[str, str]:
    # A valid key and token for every fuzzed request; they override the values schemathesis makes up for the
    # document's two security schemes, so the fuzzing reaches the backend's parameter handling.
    return api_headers(app)


@pytest.mark.slow
@schema.parametrize()
def test_api_answers_as_documented(case: schemathesis.Case[Any], app: FastAPI, auth_headers: dict[str, str]) -> None:
    case.call_and_validate(app=app, headers=auth_headers, checks=CHECKS)
