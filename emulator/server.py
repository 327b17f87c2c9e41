"""The `serve` command's server: a port bound before the log is built, uvicorn on it once it is, and the banner."""

from __future__ import annotations

import contextlib
import errno
import gc
import logging
import socket
import sys
from collections.abc import Iterator, Sequence
from typing import NoReturn

import uvicorn

import emulator.http as http_edge
from emulator import __version__
from emulator.backend import Backend
from emulator.configuration import SettingsError
from emulator.eventlog import BUILD_LOGGER, StoreMismatchError
from emulator.http import GuardedHttpProtocol
from emulator.settings import DEFAULT_SUBSCRIPTION_KEY, Settings, display_host, setting_label

SHUTDOWN_GRACE_SECONDS = 5


def serve(settings: Settings) -> int:
    """Build the emulator, then listen and answer until interrupted; a setting it cannot use ends it in one line.

    The settings come checked (`configuration.check`); what only binding or building finds out is refused here.
    """
    # Bound before the app is built, so that with port 0 the issuer URL already names the real port; listening
    # only after, so that until the log is built a connection is refused rather than left waiting.
    listener = _bind(settings.host, settings.port)
    settings = settings.model_copy(update={"port": listener.getsockname()[1]})
    try:
        with _build_progress_shown():
            app = http_edge.create_app(settings)
    except SettingsError as error:
        listener.close()
        _refuse(str(error))
    except StoreMismatchError as error:
        listener.close()
        _refuse(f"{setting_label('data_dir')}: {error}")
    _listen(listener, settings.host, settings.port)
    backend = app.state.backend
    # The log is built and never moves: keep the collector from walking it on every request.
    gc.collect()
    gc.freeze()
    config = uvicorn.Config(
        app.dispatch,
        # `dispatch` hands over its answerers' coroutines rather than being one: uvicorn would take it for ASGI 2.
        interface="asgi3",
        log_level=settings.log_level,
        # uvicorn's access log prints query strings, which may carry a subscription key.
        access_log=False,
        http=GuardedHttpProtocol.with_head_timeout(settings.header_timeout),
        # A backstop: the emulator's own long requests (a consumer's wait) end at once on shutdown.
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )

    class AnnouncingServer(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if not self.should_exit:
                print(
                    _banner(settings, backend),
                    flush=True,
                )

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            # uvicorn waits for requests in flight before the lifespan ends: a pending wait would hold it.
            backend.harness.consumers.release_waits()
            await super().shutdown(sockets)

    AnnouncingServer(config).run(sockets=[listener])
    return 0


@contextlib.contextmanager
def _build_progress_shown() -> Iterator[None]:
    """A large log's build reports its progress on the terminal (stderr, like uvicorn's own lines)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("trygdehendelser-emulator: %(message)s"))
    logger = logging.getLogger(BUILD_LOGGER)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def _bind(host: str, port: int) -> socket.socket:
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (OSError, UnicodeError) as error:
        # socket.gaierror for a name no resolver knows or an address like 999.1.1.1; UnicodeError for a name
        # IDNA cannot encode.
        _refuse(f"{setting_label('host')}: cannot resolve {host!r}: {getattr(error, 'strerror', None) or error}")
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
    # A port taken or privileged is the port's fault; an address that is not this machine's, the host's.
    setting = "port" if error.errno in (errno.EADDRINUSE, errno.EACCES) else "host"
    _refuse(f"{setting_label(setting)}: cannot listen on {host}:{port}: {error.strerror}")


def _refuse(problem: str) -> NoReturn:
    raise SystemExit(f"trygdehendelser-emulator serve: {problem}") from None


def _banner(settings: Settings, backend: Backend) -> str:
    base = f"http://{display_host(settings.host)}:{settings.port}"
    events, description = len(backend.history.log), backend.history.seeded.description
    lines = [
        f"trygdehendelser-emulator {__version__}: {events:,} events ({description}), "
        f"ready in {backend.ready_seconds:.2f} s",
        f"  feed     {base}/helse/v1/trygdehendelser/hendelser?hendelsesnummer=1",
        f"  medl     {base}/medlemskap/v1/medlemskapsunntak/<periodeId>  (or without it, with Nav-Personident)",
        f"  token    {settings.issuer_url}token  (issuer {settings.issuer_url}, {settings.auth_mode} mode)",
        f"  openapi  {base}/openapi.json  {base}/medl-openapi.json",
        f"  control  {base}/_emulator/docs",
        f"  health   {base}/internal/isalive  {base}/internal/isready",
    ]
    # Only the documented demo values are ever printed, never keys or secrets a user configured.
    if settings.subscription_keys == DEFAULT_SUBSCRIPTION_KEY:
        lines.append(f"  key      Ocp-Apim-Subscription-Key: {DEFAULT_SUBSCRIPTION_KEY}")
    if settings.clients_file is None:
        lines.append("  client   trygdehendelser-demo / demo-secret (client_credentials, an emulator extension)")
    lines.append(f"  clients  {_client_list(backend.authorization.clients.ids(), settings)}")
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
