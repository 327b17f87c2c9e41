"""Counter-based draws: splitmix64 of (seed, periodeId, purpose), so a period's fields need no stored state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

T = TypeVar("T")

_MASK = (1 << 64) - 1


def splitmix64(value: int) -> int:
    """One step of Steele, Lea and Flood's SplitMix64 finaliser: a well-mixed 64-bit function of `value`."""
    z = (value + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


class Draws:
    """The draws for one period: each purpose (a small integer) gives its own 64-bit value, the same every time."""

    def __init__(self, seed: int, period_id: int) -> None:
        self._base = splitmix64(splitmix64(seed & _MASK) ^ (period_id & _MASK))

    def value(self, purpose: int) -> int:
        return splitmix64(self._base ^ purpose)

    def below(self, purpose: int, bound: int) -> int:
        return self.value(purpose) % bound

    def chance(self, purpose: int, permille: int) -> bool:
        return self.below(purpose, 1000) < permille

    def pick(self, purpose: int, options: Sequence[T]) -> T:
        return options[self.below(purpose, len(options))]

    def weighted(self, purpose: int, weights: Mapping[T, int]) -> T:
        point = self.below(purpose, sum(weights.values()))
        for option, weight in weights.items():
            if point < weight:
                return option
            point -= weight
        raise AssertionError("unreachable: the point lies below the total weight")
