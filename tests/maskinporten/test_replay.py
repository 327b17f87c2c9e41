"""The replay guard: a jti is remembered until its assertion's exp, and memory stays bounded."""

from __future__ import annotations

from emulator.clock import ControlledClock
from emulator.maskinporten.replay import ReplayGuard
from tests.tokencraft import NOW, NOW_MS


def guard() -> tuple[ReplayGuard, ControlledClock]:
    clock = ControlledClock(frozen_at_ms=NOW_MS)
    return ReplayGuard(clock), clock


def test_a_jti_is_seen_only_once_remembered() -> None:
    replay, _ = guard()
    assert not replay.seen("a")
    replay.remember("a", NOW + 60)
    assert replay.seen("a")
    assert not replay.seen("b")
    assert len(replay) == 1


def test_a_jti_is_forgotten_when_its_assertion_expires() -> None:
    replay, clock = guard()
    replay.remember("a", NOW + 60)
    clock.advance(59_999)
    assert replay.seen("a")
    clock.advance(1)
    assert not replay.seen("a")


def test_remembering_again_moves_the_expiry() -> None:
    replay, clock = guard()
    replay.remember("a", NOW + 10)
    replay.remember("a", NOW + 100)
    clock.advance(50_000)
    assert replay.seen("a")


def test_clear_forgets_everything() -> None:
    replay, _ = guard()
    replay.remember("a", NOW + 60)
    replay.clear()
    assert len(replay) == 0
    assert not replay.seen("a")


def test_expired_jtis_are_pruned_so_memory_holds_only_live_ones() -> None:
    replay, clock = guard()
    for number in range(1000):
        replay.remember(f"old-{number}", NOW + 1)
    clock.advance(2_000)
    for number in range(24):
        replay.remember(f"new-{number}", NOW + 100)
    # The 1024th remembered jti triggers a prune: only the 24 live ones stay.
    assert len(replay) == 24
    assert replay.seen("new-0")
    assert not replay.seen("old-0")


def test_memory_stays_bounded_under_a_steady_stream_of_assertions() -> None:
    replay, clock = guard()
    for second in range(5_000):
        replay.remember(f"jti-{second}", NOW + second + 120)
        clock.advance(1_000)
    assert len(replay) <= 1024 + 121
