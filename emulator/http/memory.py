"""The answers a pipeline keeps to send again: each a 200 with what every step decided for it, by request."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, NamedTuple

from starlette.types import Message

from emulator.harness import Answered

# At most MAX_KEPT requests, each with the answers of up to MAX_TOKENS tokens (consumers with tokens of their own
# asking for the same page each keep theirs). A feed page holds at most 100 events, about 20 KB, so this is about
# 25 MB at the very most, and one body per page shared with the page cache as a rule; a larger answer is not kept.
MAX_KEPT = 256
MAX_TOKENS = 4
MAX_KEPT_BODY_BYTES = 128 * 1024


class Kept(NamedTuple):
    """A 200 the pipeline answered, with what each step decided on the way: see `Pipeline.__call__`."""

    # The request's Authorization header: compared, never hashed, as a token is long.
    authorization: bytes | None
    # The gateway lets the same credentials through again at these instants of the controlled clock (ms).
    admitted_from: float
    admitted_until: float
    state: Hashable
    start: Message
    body: Message
    # Observed again with each sending: who asked, what for, what it delivered.
    answered: Answered


class KeptAnswers(dict[tuple[Any, ...], tuple[Kept, ...]]):
    """Kept answers by the request's method, path, query string and subscription key, then by its Authorization
    header: every part of a request any step reads. A dict, so that looking one up costs no call in Python."""

    def keep(self, request: tuple[Any, ...], kept: Kept) -> None:
        """Keep an answer to send again, in place of any for the same token and of any made from another state
        (which can never be sent again); the oldest request goes past MAX_KEPT, the oldest token past MAX_TOKENS."""
        if len(kept.body["body"]) > MAX_KEPT_BODY_BYTES:
            return
        others = tuple(
            other
            for other in self.get(request, ())
            if other.authorization != kept.authorization and other.state == kept.state
        )
        if request not in self and len(self) >= MAX_KEPT:
            del self[next(iter(self))]
        self[request] = (kept, *others[: MAX_TOKENS - 1])
