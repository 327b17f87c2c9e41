"""The answers a pipeline keeps: one per request and token, none from a state that has passed, bounded in number."""

from __future__ import annotations

from emulator.harness import Answered
from emulator.http.memory import MAX_KEPT, MAX_KEPT_BODY_BYTES, MAX_TOKENS, Kept, KeptAnswers

_ANSWERED = Answered("feed", "GET", "/p", "hendelsesnummer=1", 200, "key:1", None, None, 100)


def _kept(token: bytes, state: int = 1, body: bytes = b"{}") -> Kept:
    return Kept(
        token, 0.0, 1e15, state, {"type": "http.response.start"}, {"type": "http.response.body", "body": body},
        _ANSWERED,
    )  # fmt: skip


def _tokens(answers: KeptAnswers, request: tuple[str, ...]) -> list[bytes | None]:
    return [kept.authorization for kept in answers.get(request, ())]


def test_each_token_keeps_its_own_answer_the_newest_first() -> None:
    answers = KeptAnswers()
    for token in (b"a", b"b", b"a"):
        answers.keep(("GET", "/p", "q"), _kept(token))
    assert _tokens(answers, ("GET", "/p", "q")) == [b"a", b"b"]


def test_an_answer_from_a_state_that_has_passed_is_dropped() -> None:
    answers = KeptAnswers()
    answers.keep(("GET", "/p", "q"), _kept(b"a", state=1))
    answers.keep(("GET", "/p", "q"), _kept(b"b", state=2))
    assert _tokens(answers, ("GET", "/p", "q")) == [b"b"]


def test_tokens_and_requests_are_bounded_and_a_large_body_is_not_kept() -> None:
    answers = KeptAnswers()
    for index in range(MAX_TOKENS + 2):
        answers.keep(("GET", "/p", "q"), _kept(b"%d" % index))
    assert len(_tokens(answers, ("GET", "/p", "q"))) == MAX_TOKENS
    for index in range(MAX_KEPT + 5):
        answers.keep(("GET", "/p", str(index)), _kept(b"a"))
    assert len(answers) == MAX_KEPT
    assert ("GET", "/p", "q") not in answers
    answers.keep(("GET", "/p", "large"), _kept(b"a", body=b" " * (MAX_KEPT_BODY_BYTES + 1)))
    assert ("GET", "/p", "large") not in answers
