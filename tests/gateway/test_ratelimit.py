"""RateLimiter: calls per key in a sliding window, Retry-After counting down, keys apart, memory bounded."""

from __future__ import annotations

import pytest

from emulator.clock import ControlledClock
from emulator.gateway.ratelimit import RateLimiter, rate_limit_message

T0 = 1_700_000_000_000


def _limiter(calls: int, period_seconds: int) -> tuple[ControlledClock, RateLimiter]:
    clock = ControlledClock(frozen_at_ms=T0)
    return clock, RateLimiter(clock, calls=calls, period_seconds=period_seconds)


@pytest.mark.parametrize(
    ("calls", "period_seconds"),
    [(1, 1), (3, 10), (10, 60)],
    ids=["one-per-second", "three-per-ten-seconds", "ten-per-minute"],
)
def test_calls_up_to_the_limit_are_allowed_and_the_next_waits_a_whole_period(calls: int, period_seconds: int) -> None:
    _, limiter = _limiter(calls, period_seconds)
    assert [limiter.check("key:1") for _ in range(calls)] == [None] * calls
    assert limiter.check("key:1") == period_seconds


@pytest.mark.parametrize(
    ("elapsed_ms", "retry_after"),
    [
        (0, 10),
        (1, 10),  # 9.999 s left: rounded up, never promising too early
        (999, 10),
        (1_000, 9),
        (4_500, 6),
        (9_000, 1),
        (9_999, 1),
        (10_000, None),
    ],
    ids=["at-once", "1ms", "999ms", "1s", "4.5s", "9s", "last-ms", "period-over"],
)
def test_retry_after_counts_down_as_the_clock_advances(elapsed_ms: int, retry_after: int | None) -> None:
    clock, limiter = _limiter(calls=2, period_seconds=10)
    limiter.check("key:1")
    limiter.check("key:1")
    clock.advance(elapsed_ms)
    assert limiter.check("key:1") == retry_after


def test_the_window_slides_one_call_at_a_time() -> None:
    clock, limiter = _limiter(calls=2, period_seconds=10)
    assert limiter.check("key:1") is None  # t = 0
    clock.advance(4_000)
    assert limiter.check("key:1") is None  # t = 4
    clock.advance(1_000)
    assert limiter.check("key:1") == 5  # the call at 0 expires at 10
    clock.advance(5_000)
    assert limiter.check("key:1") is None  # t = 10: the call at 0 has left the window
    assert limiter.check("key:1") == 4  # the call at 4 expires at 14


def test_the_full_allowance_returns_once_a_period_has_passed() -> None:
    clock, limiter = _limiter(calls=3, period_seconds=5)
    for _ in range(3):
        limiter.check("key:1")
    assert limiter.check("key:1") == 5
    clock.advance(5_000)
    assert [limiter.check("key:1") for _ in range(4)] == [None, None, None, 5]


def test_rejected_calls_do_not_count_so_honouring_retry_after_gets_through() -> None:
    clock, limiter = _limiter(calls=1, period_seconds=3)
    assert limiter.check("key:1") is None
    for _ in range(50):
        clock.advance(50)
        assert limiter.check("key:1") is not None
    wait = limiter.check("key:1")
    assert wait == 1  # 2.5 s elapsed, 0.5 s left
    clock.advance(wait * 1000)
    assert limiter.check("key:1") is None


def test_keys_are_limited_independently() -> None:
    _, limiter = _limiter(calls=1, period_seconds=10)
    assert limiter.check("key:1") is None
    assert limiter.check("key:1") == 10
    assert limiter.check("key:2") is None
    assert limiter.check("key:2") == 10
    assert limiter.check("key:3") is None


def test_reset_forgets_every_key() -> None:
    _, limiter = _limiter(calls=1, period_seconds=10)
    limiter.check("key:1")
    limiter.check("key:2")
    limiter.reset()
    assert limiter.tracked_keys() == 0
    assert limiter.check("key:1") is None
    assert limiter.check("key:2") is None


def test_keys_whose_window_ended_are_forgotten() -> None:
    clock, limiter = _limiter(calls=2, period_seconds=10)
    for number in range(1_000):
        limiter.check(f"key:{number}")
    assert limiter.tracked_keys() == 1_000
    clock.advance(10_000)
    limiter.check("key:new")
    assert limiter.tracked_keys() == 1


def test_keys_still_in_their_window_survive_the_sweep() -> None:
    clock, limiter = _limiter(calls=1, period_seconds=10)
    limiter.check("key:old")
    clock.advance(6_000)
    limiter.check("key:recent")
    clock.advance(4_000)  # the sweep runs: key:old has expired, key:recent has 6 s left
    assert limiter.check("key:other") is None
    assert limiter.tracked_keys() == 2
    assert limiter.check("key:recent") == 6


def test_moving_the_clock_back_never_blocks_for_longer_than_a_period() -> None:
    clock, limiter = _limiter(calls=1, period_seconds=10)
    clock.advance(3_600_000)
    assert limiter.check("key:1") is None
    clock.set(T0)
    # The call an hour "later" has not happened yet on this clock, so it does not count.
    assert limiter.check("key:1") is None
    assert limiter.check("key:1") == 10


@pytest.mark.parametrize(
    ("calls", "period_seconds", "message"),
    [
        (0, 10, "calls"),
        (-1, 10, "calls"),
        (True, 10, "calls"),
        (1, 0, "period_seconds"),
        (1, -5, "period_seconds"),
    ],
    ids=["zero-calls", "negative-calls", "bool-calls", "zero-period", "negative-period"],
)
def test_nonsense_settings_are_refused(calls: int, period_seconds: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RateLimiter(ControlledClock(frozen_at_ms=T0), calls=calls, period_seconds=period_seconds)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (1, "Rate limit is exceeded. Try again in 1 seconds."),
        (42, "Rate limit is exceeded. Try again in 42 seconds."),
    ],
    ids=["one", "many"],
)
def test_the_message_is_the_gateways_word_for_word(seconds: int, text: str) -> None:
    assert rate_limit_message(seconds) == text
