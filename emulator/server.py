"""The `serve` command's server: a port bound before the log is built, uvicorn on it once it is, and the banner."""

from __future__ import annotations

import gc
import socket
from collections.abc import Sequence
from typing import NoReturn

import uvicorn

from emulator import __version__
from emulator.configuration import SettingsError
from emulator.eventlog.store import StoreMismatchError
from emulator.http import app as app_module
from emulator.settings import DEFAULT_SUBSCRIPTION_KEY, Settings, display_host


def serve(settings: Settings) -> int:
    """Build the emulator, then listen and answer until interrupted; a setting it cannot use ends it in one line."""
    # Bound before the app is built, so that with port 0 the issuer URL already names the real port; listening
    # only after, so that until the log is built a connection is refused rather than left waiting.
    listener = _bind(settings.host, settings.port)
    settings = settings.model_copy(update={"port": listener.getsockname()[1]})
    try:
        app = app_module.create_app(settings)
    except (SettingsError, StoreMismatchError) as error:
        listener.close()
        raise SystemExit(f"trygdehendelser-emulator: {error}") from None
    _listen(listener, settings.host, settings.port)
    backend = app.state.backend
    # The log is built and never moves: keep the collector from walking it on every request.
    gc.collect()
    gc.freeze()
    config = uvicorn.Config(
        app,
        log_level=settings.log_level,
        # uvicorn's access log prints query strings, which may carry a subscription key.
        access_log=False,
    )

    class AnnouncingServer(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if not self.should_exit:
                print(
                    _banner(
                        settings,
                        len(backend.log),
                        backend.seeded.description,
                        backend.ready_seconds,
                        backend.authorization.clients.ids(),
                    ),
                    flush=True,
                )

    AnnouncingServer(config).run(sockets=[listener])
    return 0


def _bind(host: str, port: int) -> socket.socket:
    family, kind, protocol, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    listener = socket.socket(family, kind, protocol)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(address)
    except OSError as error:
        _cannot_listen(listener, host, port, error)
    listener.set_inheritable(True)
    return listener


def _listen(listener: socket.socket, host: str, port: int) -> None:
    # Another process may have bound the same port meanwhile (SO_REUSEADDR allows that until one listens).
    try:
        listener.listen(2048)
    except OSError as error:
        _cannot_listen(listener, host, port, error)


def _cannot_listen(listener: socket.socket, host: str, port: int, error: OSError) -> NoReturn:
    listener.close()
    raise SystemExit(f"trygdehendelser-emulator: cannot listen on {host}:{port}: {error.strerror}") from None


def _banner(
    settings: Settings, events: int, description: str, ready_seconds: float, client_ids: Sequence[str] = ()
) -> str:
    base = f"http://{display_host(settings.host)}:{settings.port}"
    lines = [
        f"trygdehendelser-emulator {__version__}: {events:,} events ({description}), ready in {ready_seconds:.2f} s",
        f"  feed     {base}/helse/v1/trygdehendelser/hendelser?hendelsesnummer=1",
        f"  token    {settings.issuer_url}token  (issuer {settings.issuer_url}, {settings.auth_mode} mode)",
        f"  openapi  {base}/openapi.json",
        f"  control  {base}/_emulator/docs",
        f"  health   {base}/internal/isalive  {base}/internal/isready",
    ]
    # Only the documented demo values are ever printed, never keys or secrets a user configured.
    if settings.subscription_keys == DEFAULT_SUBSCRIPTION_KEY:
        lines.append(f"  key      Ocp-Apim-Subscription-Key: {DEFAULT_SUBSCRIPTION_KEY}")
    if settings.clients_file is None:
        lines.append("  client   trygdehendelser-demo / demo-secret (client_credentials, an emulator extension)")
    lines.append(f"  clients  {_client_list(client_ids, settings)}")
    return "\n".join(lines)


BANNER_CLIENTS = 5


def _client_list(client_ids: Sequence[str], settings: Settings) -> str:
    """The registered clients' ids, the first few of a long list; where they come from."""
    source = settings.clients_file or "bundled clients.json"
    if not client_ids:
        return f"none registered ({source})"
    shown = ", ".join(client_ids[:BANNER_CLIENTS])
    more = f" and {len(client_ids) - BANNER_CLIENTS} more" if len(client_ids) > BANNER_CLIENTS else ""
    return f"{shown}{more} ({source})"
