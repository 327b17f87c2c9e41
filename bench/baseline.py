"""The bench's baseline: a bare ASGI app that answers with precomputed page bytes, under the emulator's server.

It does the least any server of the feed could do — look the request's query string up in a dict and send the
bytes the emulator answered for it — under uvicorn with the options the emulator uses (one worker, the same loop
and HTTP implementations, no access log), so the ratio emulator / baseline is the price of the emulator's work.

    python bench/baseline.py --pages DIR [--port 0]

DIR holds `manifest.json`, `{"<query string>": "<file name>", ...}`, and the files with the exact bodies. Prints
`baseline http://127.0.0.1:PORT` once it listens.
"""

from __future__ import annotations

import argparse
import gc
import json
import socket
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_READY = b'{"status":"UP"}'
_NOT_FOUND = b'{"statusCode": 404, "message": "Resource not found"}'


def load_pages(directory: Path) -> dict[bytes, bytes]:
    manifest: dict[str, str] = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    return {query.encode("latin-1"): (directory / name).read_bytes() for query, name in manifest.items()}


def _start(body: bytes, status: int = 200) -> Message:
    return {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    }


def make_app(pages: Mapping[bytes, bytes], *, by_path: bool = False) -> ASGIApp:
    """The app: the page for the request's query string (or, `by_path`, its path), `/internal/isready` for the
    bench, 404 otherwise."""
    prepared = {key: (_start(body), {"type": "http.response.body", "body": body}) for key, body in pages.items()}
    # Keyed by path the keys are text, as ASGI gives a path: the lookup stays one dict access either way.
    by_text = {key.decode("latin-1"): answer for key, answer in prepared.items()}
    scope_key, table = ("path", by_text) if by_path else ("query_string", prepared)
    ready = (_start(_READY), {"type": "http.response.body", "body": _READY})
    missing = (_start(_NOT_FOUND, 404), {"type": "http.response.body", "body": _NOT_FOUND})

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        answer = table.get(scope[scope_key])
        if answer is None:
            answer = ready if scope["path"] == "/internal/isready" else missing
        start, body = answer
        await send(start)
        await send(body)

    return app


def serve(pages: Mapping[bytes, bytes], port: int, *, by_path: bool = False) -> None:
    import uvicorn  # noqa: PLC0415

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(2048)
    listener.set_inheritable(True)
    bound = listener.getsockname()[1]
    # The emulator's own uvicorn options: defaults for loop and http ("auto": uvloop and httptools when they are
    # installed), one worker, no access log.
    config = uvicorn.Config(
        make_app(pages, by_path=by_path), loop="auto", http="auto", log_level="warning", access_log=False
    )
    gc.collect()
    gc.freeze()

    class AnnouncingServer(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if not self.should_exit:
                print(f"baseline http://127.0.0.1:{bound}", flush=True)

    AnnouncingServer(config).run(sockets=[listener])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, required=True, help="directory with manifest.json and the bodies")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--by-path", action="store_true", help="the manifest's keys are paths, not query strings")
    arguments = parser.parse_args(argv)
    serve(load_pages(arguments.pages), arguments.port, by_path=arguments.by_path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
