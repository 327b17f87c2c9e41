"""Running examples/consumer.py as its users run it, and reading what it wrote: for the system tests."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.servers import issuer_in
from tests.tokencraft import pem_of, rsa_key

CONSUMER = Path(__file__).resolve().parents[2] / "examples" / "consumer.py"
FEED = "/helse/v1/trygdehendelser/hendelser"
CLIENT_ID = "eksempel-konsument"
CONSUMER_NAME = f"client:{CLIENT_ID}"
WAIT_SECONDS = 60
STOP_SECONDS = 30


def key_file(tmp_path: Path) -> Path:
    """A fresh RSA key of the consumer's own, unknown to the emulator (open mode: kid only, no signature check)."""
    path = tmp_path / "consumer-key.pem"
    path.write_bytes(pem_of(rsa_key("example consumer")))
    return path


def consumer_command(base: str, banner: str, tmp_path: Path, *options: str) -> list[str]:
    return [
        sys.executable,
        str(CONSUMER),
        "--base-url",
        base,
        "--issuer",
        issuer_in(banner),
        "--client-id",
        CLIENT_ID,
        "--key-file",
        str(key_file(tmp_path)),
        "--key-id",
        "eksempel-1",
        "--state-file",
        str(tmp_path / "cursor.json"),
        "--out",
        str(tmp_path / "events.jsonl"),
        "--poll-interval",
        "0.05",
        "--backoff-base",
        "0.1",
        *options,
    ]


def wait_for_consumer(control: httpx.Client, up_to: int) -> dict[str, Any]:
    """The emulator's own wait: returns once the consumer has read everything up to `up_to`."""
    response = control.get(
        f"/_emulator/consumers/{CONSUMER_NAME}/wait", params={"up_to": up_to, "timeout": WAIT_SECONDS}
    )
    assert response.status_code == 200, f"the consumer did not reach {up_to}: {response.text}"
    body: dict[str, Any] = response.json()
    return body


def summary_of(stderr: str) -> dict[str, Any]:
    """The consumer's last line on standard error: what it read and which failures it rode out."""
    last = stderr.strip().splitlines()[-1]
    summary: dict[str, Any] = json.loads(last)["summary"]
    return summary


def periods_view(path: Path) -> dict[int, dict[str, Any]]:
    """The consumer's view of every period: MEDL's record as it stored it, by unntakId."""
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT unntak_id, record FROM periods").fetchall()
    return {int(unntak_id): json.loads(record) for unntak_id, record in rows}
