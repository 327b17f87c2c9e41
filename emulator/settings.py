"""Settings, from arguments or `EMULATOR_*` environment variables; nothing else reads the environment."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from emulator.timestamps import TimestampStyle


class Settings(BaseSettings):
    """Everything the emulator can be told; built once by the CLI (or a test) and passed to create_app."""

    model_config = SettingsConfigDict(env_prefix="EMULATOR_", frozen=True, extra="forbid")

    host: str = Field("127.0.0.1", description="Interface to listen on (0.0.0.0 inside a container).")
    port: int = Field(8080, ge=0, le=65535, description="Port to listen on; 0 picks a free one.")
    seed: int = Field(1, ge=0, lt=2**32, description="Seed of the synthetic log.")
    events: int = Field(10_000, ge=0, le=100_000_000, description="Number of events in the seeded log.")
    timestamp_style: TimestampStyle = Field(
        TimestampStyle.OFFSET,
        description="opprettetDato as RFC 3339 with offset (offset) or as Spring's LocalDateTime (local).",
    )
    log_level: str = Field("info", description="Log level: debug, info, warning, error.")
