"""The command line: `serve`, `generate` (a seeded log as a JSON fixture), `token` and `health`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from emulator import __version__
from emulator.settings import Settings, display_host


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    overrides = {
        name: value for name, value in vars(arguments).items() if name in Settings.model_fields and value is not None
    }
    try:
        settings = Settings(**overrides)
    except ValidationError as error:
        parser.error(_settings_problem(error))
    command: Any = arguments.command
    result: int = command(settings, arguments)
    return result


def serve(settings: Settings, _: argparse.Namespace) -> int:
    from emulator.server import serve as run_server

    return run_server(settings)


def token(settings: Settings, arguments: argparse.Namespace) -> int:
    """Ask a running emulator to mint a token with its own key; prints the token alone, or JSON."""
    import httpx

    url = arguments.url or f"http://{display_host(settings.host)}:{settings.port}"
    request: dict[str, Any] = {
        "scope": arguments.scope,
        "lifetime_seconds": arguments.lifetime,
        "client_id": arguments.client_id,
        "organisation_number": arguments.organisation_number,
        "audience": arguments.audience,
        "claims": dict(_claim(text) for text in arguments.claim),
        "omit_claims": arguments.omit,
    }
    request = {name: value for name, value in request.items() if value is not None}
    # A control plane protected by --admin-token wants the same token from its own command line.
    headers = {"Authorization": f"Bearer {settings.admin_token}"} if settings.admin_token else {}
    try:
        response = httpx.post(f"{url.rstrip('/')}/_emulator/tokens", json=request, headers=headers, timeout=10)
    except httpx.HTTPError as error:
        print(f"trygdehendelser-emulator token: cannot reach {url}: {error}", file=sys.stderr)
        return 1
    if response.status_code == 401 and not settings.admin_token:
        print(
            f"trygdehendelser-emulator token: {url} wants its admin token: --admin-token or EMULATOR_ADMIN_TOKEN",
            file=sys.stderr,
        )
        return 1
    if response.status_code != 200:
        print(f"trygdehendelser-emulator token: {response.status_code} {response.text}", file=sys.stderr)
        return 1
    print(response.text if arguments.json else response.json()["access_token"])
    return 0


def health(settings: Settings, _: argparse.Namespace) -> int:
    """Exit 0 when the emulator on the configured port is ready: the container's HEALTHCHECK follows EMULATOR_PORT."""
    import httpx

    url = f"http://{display_host(settings.host)}:{settings.port}/internal/isready"
    try:
        # The server is on this host: a proxy from the environment (engines pass the host's http_proxy into
        # containers) would answer for it, or refuse, instead of the server itself.
        ready = httpx.get(url, timeout=3, trust_env=False).status_code == 200
    except httpx.HTTPError as error:
        print(f"trygdehendelser-emulator health: {url}: {error}", file=sys.stderr)
        return 1
    return 0 if ready else 1


def _claim(text: str) -> tuple[str, Any]:
    """NAME=VALUE, the value read as JSON when it is JSON (numbers, objects) and as a string otherwise."""
    name, separator, value = text.partition("=")
    if not separator or not name:
        raise SystemExit(f"trygdehendelser-emulator token: --claim wants NAME=VALUE, got {text!r}")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


def generate(settings: Settings, arguments: argparse.Namespace) -> int:
    from emulator.fixture import FixtureError, load_seeded_log, write_fixture

    try:
        seeded = load_seeded_log(settings)
    except FixtureError as error:
        print(f"trygdehendelser-emulator generate: {error}", file=sys.stderr)
        return 2
    if arguments.output == "-":
        digest = write_fixture(seeded, sys.stdout)
    else:
        with open(arguments.output, "w", encoding="utf-8") as stream:
            digest = write_fixture(seeded, stream)
    print(f"{len(seeded.log):,} events ({seeded.description}) {digest}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trygdehendelser-emulator",
        description="A local emulator of NAV's Helse Trygdehendelser API. "
        "Every option can also be set as an EMULATOR_* environment variable.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", required=True)

    log_options = argparse.ArgumentParser(add_help=False)
    log_options.add_argument("--seed", type=int, help="seed of the synthetic log (EMULATOR_SEED, default 1)")
    log_options.add_argument("--events", type=int, help="events in the seeded log (EMULATOR_EVENTS, default 10000)")
    log_options.add_argument(
        "--fixture",
        help="a preset (empty, small, large) or a fixture file, instead of seed/events (EMULATOR_FIXTURE)",
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
    serve_parser.add_argument(
        "--issuer", help="token issuer URL (EMULATOR_ISSUER, default http://<host>:<port>/maskinporten/)"
    )
    serve_parser.add_argument("--auth-mode", choices=["open", "strict"], help="token server mode (EMULATOR_AUTH_MODE)")
    serve_parser.add_argument("--clients-file", help="JSON file of registered clients (EMULATOR_CLIENTS_FILE)")
    serve_parser.add_argument(
        "--subscription-keys", help="accepted subscription keys, comma-separated (EMULATOR_SUBSCRIPTION_KEYS)"
    )
    serve_parser.add_argument("--token-lifetime", type=int, help="access token seconds (EMULATOR_TOKEN_LIFETIME)")
    serve_parser.add_argument("--signing-key-file", help="PEM or JWK signing key (EMULATOR_SIGNING_KEY_FILE)")
    serve_parser.add_argument(
        "--trusted-issuers", help='JSON [{"issuer": ..., "jwks": <url or file>}] (EMULATOR_TRUSTED_ISSUERS)'
    )
    serve_parser.add_argument("--data-dir", help="keep appended events and the clock here (EMULATOR_DATA_DIR)")
    serve_parser.add_argument("--journal-size", type=int, help="request journal entries kept (EMULATOR_JOURNAL_SIZE)")
    serve_parser.add_argument("--rate-limit", help="CALLS/SECONDS per subscription key (EMULATOR_RATE_LIMIT)")
    serve_parser.add_argument("--live-rate", type=float, help="start in live mode, events/s (EMULATOR_LIVE_RATE)")
    serve_parser.add_argument(
        "--live-pattern",
        choices=["steady", "poisson", "bursts"],
        help="live arrivals (EMULATOR_LIVE_PATTERN)",
    )
    serve_parser.add_argument("--admin-token", help="protect /_emulator with this bearer token (EMULATOR_ADMIN_TOKEN)")
    serve_parser.set_defaults(command=serve)

    token_parser = commands.add_parser(
        "token", help="mint a token signed by a running emulator's key (for testing 401/403 handling)"
    )
    token_parser.add_argument("--url", help="the running emulator (default http://127.0.0.1:<EMULATOR_PORT>)")
    token_parser.add_argument("--scope", help="space-separated scopes (default the API's own)")
    token_parser.add_argument("--lifetime", type=int, help="seconds; negative for an expired token")
    token_parser.add_argument("--client-id", help="client_id claim")
    token_parser.add_argument("--organisation-number", help="9 digits, for the consumer claim")
    token_parser.add_argument("--audience", help="aud claim (default unspecified)")
    token_parser.add_argument(
        "--claim",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="add or override a claim (repeatable)",
    )
    token_parser.add_argument("--omit", action="append", default=[], metavar="NAME", help="leave a claim out")
    token_parser.add_argument("--json", action="store_true", help="print the whole token response")
    token_parser.add_argument(
        "--admin-token", help="the server's admin token, when it runs with one (EMULATOR_ADMIN_TOKEN)"
    )
    token_parser.set_defaults(command=token)

    health_parser = commands.add_parser(
        "health", help="exit 0 if the emulator at EMULATOR_HOST:EMULATOR_PORT is ready (for container health checks)"
    )
    health_parser.add_argument("--port", type=int, help="port to check (EMULATOR_PORT, default 8080)")
    health_parser.set_defaults(command=health)

    generate_parser = commands.add_parser(
        "generate", parents=[log_options], help="write the seeded log as a JSON fixture and print its digest"
    )
    generate_parser.add_argument("-o", "--output", default="-", help="file to write, - for standard output")
    generate_parser.set_defaults(command=generate)
    return parser


def _settings_problem(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, item['loc']))}: {item['msg']}" for item in error.errors())
