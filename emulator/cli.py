"""The command line: `serve` runs the emulator, `generate` writes a seeded log as a JSON fixture."""

from __future__ import annotations

import argparse
import gc
import socket
import sys
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from emulator import __version__
from emulator.settings import Settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    overrides = {
        name: value
        for name, value in vars(arguments).items()
        if name in Settings.model_fields and value is not None
    }
    try:
        settings = Settings(**overrides)
    except ValidationError as error:
        parser.error(_settings_problem(error))
    command: Any = arguments.command
    result: int = command(settings, arguments)
    return result


def serve(settings: Settings, _: argparse.Namespace) -> int:
    import uvicorn

    from emulator.app import create_app

    app = create_app(settings)
    backend = app.state.backend
    # The log is built and never moves: keep the collector from walking it on every request.
    gc.collect()
    gc.freeze()
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        # uvicorn's access log prints query strings, which may carry a subscription key.
        access_log=False,
    )

    class AnnouncingServer(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if not self.should_exit:
                print(_banner(settings, self, len(backend.log), backend.ready_seconds), flush=True)

    AnnouncingServer(config).run()
    return 0


def _banner(settings: Settings, server: Any, events: int, ready_seconds: float) -> str:
    base = f"http://{_display_host(settings.host)}:{_bound_port(server, settings.port)}"
    return (
        f"trygdehendelser-emulator {__version__}: {events:,} events (seed {settings.seed}), "
        f"ready in {ready_seconds:.2f} s\n"
        f"  feed     {base}/helse/v1/trygdehendelser/hendelser?hendelsesnummer=1\n"
        f"  openapi  {base}/openapi.json\n"
        f"  control  {base}/_emulator/docs\n"
        f"  health   {base}/internal/isalive  {base}/internal/isready"
    )


def generate(settings: Settings, arguments: argparse.Namespace) -> int:
    from emulator.fixture import write_events
    from emulator.generator import Recipe

    recipe = Recipe(seed=settings.seed, events=settings.events)
    if arguments.output == "-":
        digest = write_events(recipe, sys.stdout)
    else:
        with open(arguments.output, "w", encoding="utf-8") as stream:
            digest = write_events(recipe, stream)
    print(f"{settings.events:,} events (seed {settings.seed}) {digest}", file=sys.stderr)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trygdehendelser-emulator",
        description="A local emulator of NAV's Helse Trygdehendelser API. "
        "Every option can also be set as an EMULATOR_* environment variable.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", required=True)

    log_options = argparse.ArgumentParser(add_help=False)
    log_options.add_argument("--seed", type=int, help="seed of the synthetic log (EMULATOR_SEED, default 1)")
    log_options.add_argument(
        "--events", type=int, help="events in the seeded log (EMULATOR_EVENTS, default 10000)"
    )

    serve_parser = commands.add_parser("serve", parents=[log_options], help="run the emulator")
    serve_parser.add_argument("--host", help="interface to listen on (EMULATOR_HOST, default 127.0.0.1)")
    serve_parser.add_argument("--port", type=int, help="port, 0 for a free one (EMULATOR_PORT, default 8080)")
    serve_parser.add_argument(
        "--timestamp-style",
        choices=["offset", "local"],
        help="opprettetDato with offset (RFC 3339) or as Spring's LocalDateTime (EMULATOR_TIMESTAMP_STYLE)",
    )
    serve_parser.add_argument("--log-level", help="debug, info, warning or error (EMULATOR_LOG_LEVEL)")
    serve_parser.set_defaults(command=serve)

    generate_parser = commands.add_parser(
        "generate", parents=[log_options], help="write the seeded log as a JSON fixture and print its digest"
    )
    generate_parser.add_argument("-o", "--output", default="-", help="file to write, - for standard output")
    generate_parser.set_defaults(command=generate)
    return parser


def _bound_port(server: Any, configured: int) -> int:
    """The port actually listened on (port 0 asks the system for a free one)."""
    for listener in getattr(server, "servers", []):
        for sock in listener.sockets:
            return int(sock.getsockname()[1])
    return configured


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def _settings_problem(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, item['loc']))}: {item['msg']}" for item in error.errors())
