"""Settings, from arguments or `EMULATOR_*` environment variables; nothing else reads the environment."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

DEFAULT_SUBSCRIPTION_KEY = "local-subscription-key"
ENV_PREFIX = "EMULATOR_"


class TimestampStyle(StrEnum):
    """OFFSET: `2025-03-04T12:34:56.789+01:00`, as the published `format: date-time` says.
    LOCAL: `2025-03-04T12:34:56.789`, how Spring's Jackson writes a `LocalDateTime` (trailing zeros
    of the fraction dropped)."""

    OFFSET = "offset"
    LOCAL = "local"


class Mode(StrEnum):
    """How the token server treats clients: see `emulator.maskinporten.authorization`."""

    OPEN = "open"
    STRICT = "strict"


class Settings(BaseSettings):
    """Everything the emulator can be told; built once by the CLI (or a test) and passed to create_app."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid")

    host: str = Field("127.0.0.1", description="Interface to listen on (0.0.0.0 inside a container).")
    port: int = Field(8080, ge=0, le=65535, description="Port to listen on; 0 picks a free one.")
    seed: int = Field(1, ge=0, lt=2**32, description="Seed of the synthetic log.")
    events: int = Field(10_000, ge=0, le=100_000_000, description="Number of events in the seeded log.")
    timestamp_style: TimestampStyle = Field(
        TimestampStyle.OFFSET,
        description="opprettetDato as RFC 3339 with offset (offset) or as Spring's LocalDateTime (local).",
    )
    # Not uvicorn's "trace": it prints raw requests, query strings (and so subscription keys) included.
    log_level: Literal["debug", "info", "warning", "error", "critical"] = Field("info", description="Log level.")
    issuer: str | None = Field(
        None,
        description="The token issuer URL, ending in /; tokens carry it whatever Host a request names. "
        "Default: http://<host>:<port>/maskinporten/.",
    )
    issuer_aliases: str = Field(
        "",
        description="Other URLs of the issuer an assertion's aud may name, comma-separated "
        "(e.g. http://localhost:8080/maskinporten/ when the issuer is compose's http://emulator:8080/maskinporten/).",
    )
    auth_mode: Mode = Field(
        Mode.OPEN,
        description="open: any client, signatures checked where a key is known; strict: registered only.",
    )
    clients_file: Path | None = Field(None, description="JSON file of registered clients (default: the bundled one).")
    subscription_keys: str = Field(
        DEFAULT_SUBSCRIPTION_KEY, description="Accepted Ocp-Apim-Subscription-Key values, comma-separated."
    )
    token_lifetime: int = Field(120, ge=1, le=86_400, description="Access token lifetime in seconds.")
    signing_key_file: Path | None = Field(
        None, description="PEM or JWK file with the RSA signing key; generated at start when unset."
    )
    trust_anchors: Path | None = Field(
        None, description="PEM file of CA certificates an x5c chain must lead to in strict mode."
    )
    trusted_issuers: str = Field(
        "", description='Other issuers to trust, JSON: [{"issuer": "...", "jwks": "<url or file>"}].'
    )

    fixture: str | None = Field(
        None, description="A preset (empty, small, large) or a fixture file; replaces seed and events."
    )
    cache_dir: Path | None = Field(
        None,
        description="Keep generated logs here and map them on the next start; processes on one host share them.",
    )
    data_dir: Path | None = Field(
        None, description="Keep appended events and the clock in SQLite here, across restarts."
    )
    journal_size: int = Field(10_000, ge=1, le=10_000_000, description="Journal entries kept.")
    rate_limit: str = Field("", description="Calls per key and period, e.g. 100/60; empty: none.")
    live_rate: float = Field(0, ge=0, le=10_000, description="Live mode from the start, events/s.")
    live_pattern: Literal["steady", "poisson", "bursts"] = Field(
        "poisson", description="Live mode arrivals: steady, poisson or bursts."
    )
    header_timeout: float = Field(
        10.0, gt=0, le=600, description="Seconds a client has to send a request's line and headers (then 408)."
    )
    admin_token: str | None = Field(
        None, description="When set, the control plane wants Authorization: Bearer <admin token>."
    )

    @field_validator("*", mode="before")
    @classmethod
    def _not_empty(cls, value: object, info: ValidationInfo) -> object:
        # An empty value is most often a variable meant to be set (`EMULATOR_ADMIN_TOKEN=$UNSET`): refused, never
        # taken as a path "." or a token "", wherever the setting's own default is not the empty text.
        if isinstance(value, str) and not value.strip() and cls.model_fields[str(info.field_name)].default != "":
            raise ValueError("is empty; leave the setting out to get its default")
        return value

    @field_validator("issuer")
    @classmethod
    def _issuer_is_a_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError for a port that is not a number 0-65535
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"must be an http(s) URL such as http://emulator:8080/maskinporten/, not {value!r}")
        if parts.query or parts.fragment:
            raise ValueError("must be a URL without a query or fragment")
        return value if value.endswith("/") else f"{value}/"

    @field_validator("subscription_keys")
    @classmethod
    def _names_a_key(cls, value: str) -> str:
        if not _subscription_keys(value):
            raise ValueError("names no key: give one or more, comma-separated")
        return value

    @field_validator("admin_token")
    @classmethod
    def _sendable(cls, value: str | None) -> str | None:
        # A header value loses its surrounding whitespace on the way (RFC 9110 §5.5), so such a token never matches.
        if value is not None and value != value.strip():
            raise ValueError("must not begin or end with whitespace")
        return value

    @property
    def accepted_subscription_keys(self) -> tuple[str, ...]:
        """The keys `subscription_keys` lists, in order, each once."""
        return _subscription_keys(self.subscription_keys)

    @property
    def issuer_url(self) -> str:
        if self.issuer:
            return self.issuer
        return f"http://{display_host(self.host)}:{self.port}/maskinporten/"


def setting_label(name: str) -> str:
    """A setting as a user sets it, e.g. `--data-dir (EMULATOR_DATA_DIR)`: the option of `serve` and its variable."""
    return f"--{name.replace('_', '-')} ({ENV_PREFIX}{name.upper()})"


def settings_problem(error: ValidationError | SettingsError) -> str:
    """What is wrong, in one line, each setting named by `setting_label`; never the value, which may be a secret."""
    if isinstance(error, SettingsError):
        # pydantic-settings' own: a variable of a list or object field that is not JSON.
        match = re.search(r'field "(\w+)"', str(error))
        reason = f"not valid JSON ({error.__cause__})" if error.__cause__ else str(error)
        return f"{setting_label(match[1])}: {reason}" if match else reason
    problems = []
    for item in error.errors(include_url=False):
        # A validator's ValueError is shown as its own text, without pydantic's "Value error, " in front.
        cause = item.get("ctx", {}).get("error")
        reason = str(cause) if item["type"] == "value_error" and cause is not None else item["msg"]
        field, *inside = item["loc"]
        where = f"{setting_label(str(field))}: " if str(field) in Settings.model_fields else ""
        problems.append(f"{where}{''.join(f'[{part}]' for part in inside)}{' ' if inside else ''}{reason}")
    return "; ".join(" ".join(problem.split()) for problem in problems)


def _subscription_keys(text: str) -> tuple[str, ...]:
    # The one place that text is parsed: the keys it lists, in order, each once.
    return tuple(dict.fromkeys(key.strip() for key in text.split(",") if key.strip()))


def display_host(host: str) -> str:
    """The host to put in a URL a user can open: a wildcard interface is reached on loopback."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
