"""What the settings that name files or hold text load into; a failure is a SettingsError naming the setting."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from importlib import resources
from typing import TypeVar
from urllib.parse import urlsplit

from emulator.clock import Clock, ControlledClock
from emulator.eventlog import CacheError, LogCache, SeededLog, Store, StoreMismatchError, check_fixture, load_seeded_log
from emulator.gateway import RateLimiter
from emulator.maskinporten import (
    ClientRegistry,
    SigningKey,
    TrustAnchors,
    TrustedIssuer,
    parse_trusted_issuers,
    trusted_issuer,
)
from emulator.medl import check_planned
from emulator.settings import Settings, setting_label

T = TypeVar("T")


class SettingsError(ValueError):
    """A setting the emulator cannot use: a missing or malformed file, or text it cannot read."""


def check(settings: Settings) -> None:
    """Load what every setting that names a file or holds text names, and let go of it: a SettingsError for the
    first that cannot be used. Cheap (the log is not built), so `serve` calls it before it binds its port."""
    if settings.signing_key_file is not None:
        signing_key(settings)
    if settings.clients_file is not None:
        clients(settings)
    trusted_issuers(settings)
    issuer_aliases(settings)
    trust_anchors(settings)
    rate_limiter(settings, ControlledClock())
    if settings.fixture is not None:
        fixture = settings.fixture
        _loaded("fixture", lambda: check_fixture(fixture))
    if settings.data_dir is not None:
        data_dir = settings.data_dir
        _loaded("data_dir", lambda: Store.check_available(data_dir))
    if settings.cache_dir is not None:
        try:
            LogCache.open(settings.cache_dir)
        except CacheError as error:
            raise _error("cache_dir", str(error)) from error


def seeded_log(settings: Settings) -> SeededLog:
    cache_dir = settings.cache_dir
    try:
        cache = LogCache.open(cache_dir) if cache_dir is not None else None
        return _loaded(
            "fixture",
            lambda: load_seeded_log(
                settings.fixture, seed=settings.seed, events=settings.events, medl_check=check_planned, cache=cache
            ),
        )
    except CacheError as error:
        raise _error("cache_dir", str(error)) from error


def signing_key(settings: Settings) -> SigningKey:
    path = settings.signing_key_file
    return _loaded("signing_key_file", lambda: SigningKey.load(path)) if path else SigningKey.generate()


def clients(settings: Settings) -> ClientRegistry:
    path = settings.clients_file
    if path is not None:
        return _loaded("clients_file", lambda: ClientRegistry.load(path))
    bundled = resources.files("emulator").joinpath("fixtures/clients.json").read_text("utf-8")
    return ClientRegistry.from_json(bundled)


def issuer_aliases(settings: Settings) -> list[str]:
    """The other URLs an assertion's aud may name: absolute http(s) URLs, each ending in / like the issuer."""
    aliases = []
    for text in settings.issuer_aliases.split(","):
        alias = text.strip()
        if not alias:
            continue
        try:
            parts = urlsplit(alias)
            _ = parts.port  # a port that is no number raises here
            valid = parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.query
        except ValueError:
            valid = False
        if not valid:
            raise _error("issuer_aliases", f"{alias!r} is not an http(s) URL like http://localhost:8080/maskinporten/")
        aliases.append(alias if alias.endswith("/") else f"{alias}/")
    return aliases


def trust_anchors(settings: Settings) -> TrustAnchors:
    path = settings.trust_anchors
    return _loaded("trust_anchors", lambda: TrustAnchors.load(path)) if path else TrustAnchors()


def trusted_issuers(settings: Settings) -> list[TrustedIssuer]:
    return _loaded(
        "trusted_issuers",
        lambda: [trusted_issuer(config) for config in parse_trusted_issuers(settings.trusted_issuers)],
    )


def rate_limiter(settings: Settings, clock: Clock) -> RateLimiter | None:
    text = settings.rate_limit
    if not text.strip():
        return None
    calls, _, period = text.partition("/")
    try:
        return RateLimiter(clock, int(calls), int(period or "60"))
    except ValueError:
        raise _error("rate_limit", f"must look like CALLS/SECONDS, e.g. 100/60, not {text!r}") from None


def store(settings: Settings, log_identity: str) -> Store | None:
    data_dir = settings.data_dir
    if data_dir is None:
        return None
    return _loaded("data_dir", lambda: Store.open(data_dir, log_identity=log_identity))


def _loaded(setting: str, load: Callable[[], T]) -> T:
    try:
        return load()
    except json.JSONDecodeError as error:
        raise _error(setting, f"not valid JSON ({error})") from error
    except (OSError, ValueError, sqlite3.Error, StoreMismatchError) as error:
        raise _error(setting, str(error)) from error
    except (LookupError, TypeError, AttributeError) as error:
        # JSON of a shape the loader did not expect, at a place it does not check: still the file's fault.
        raise _error(setting, f"not the expected JSON shape ({type(error).__name__}: {error})") from error


def _error(setting: str, reason: str) -> SettingsError:
    # Named as the user set it: an option of `serve`, or its environment variable; one line whatever the reason.
    return SettingsError(f"{setting_label(setting)}: {' '.join(reason.split())}")
