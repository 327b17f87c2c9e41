"""The machine and the code a run measured: cores, CPU, versions, load average, and the emulator's sources."""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.servers import ROOT

PACKAGES = ("uvicorn", "uvloop", "httptools", "fastapi", "starlette", "orjson", "pyjwt")


def machine() -> dict[str, Any]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    packages: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    wrk = None
    if shutil.which("wrk"):
        version = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
        wrk = (version.stdout or version.stderr).splitlines()[0].strip()
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "load_average_at_start": load_average(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3, 1),
        "packages": packages,
        "wrk": wrk,
        "git": git_state(),
    }


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def code_fingerprint() -> str:
    """A digest of the emulator's sources as they are now: the run notices when they change under it."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "emulator").rglob("*")):
        if path.is_file() and path.suffix in {".py", ".json"}:
            digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def git_state() -> str | None:
    """The commit checked out, and whether emulator/ differs from it; None outside a git checkout."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "emulator"], cwd=ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return head.stdout.strip() + (" + uncommitted changes in emulator/" if dirty.stdout.strip() else "")
