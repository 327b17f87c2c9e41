"""Draws from the legacy RandomState in chunks: the same stream as one large draw, in a fraction of its memory.

A legacy RandomState hands out integers and doubles one after the other with no buffer kept between
calls, so drawing a hundred million values as a hundred chunks gives exactly the values of one call,
while the int64 and float64 temporaries stay the size of a chunk and the result takes a small dtype.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

CHUNK = 1 << 22


def chunks(size: int) -> Iterator[slice]:
    for start in range(0, size, CHUNK):
        yield slice(start, min(start + CHUNK, size))


def weighted(rs: np.random.RandomState, table: tuple[tuple[int, int], ...], size: int) -> npt.NDArray[np.uint8]:
    """A value (0-255) per draw, with the table's (value, weight) odds."""
    values = np.array([value for value, _ in table], dtype=np.uint8)
    bounds = np.cumsum([weight for _, weight in table])
    out = np.empty(size, dtype=np.uint8)
    for part in chunks(size):
        draws = rs.randint(0, int(bounds[-1]), size=part.stop - part.start)
        out[part] = values[np.searchsorted(bounds, draws, side="right")]
    return out


def below(rs: np.random.RandomState, size: int, bound: int, threshold: int) -> npt.NDArray[np.bool_]:
    """Whether each draw from [0, bound) falls below `threshold`."""
    out = np.empty(size, dtype=np.bool_)
    for part in chunks(size):
        out[part] = rs.randint(0, bound, size=part.stop - part.start) < threshold
    return out


def small_integers(rs: np.random.RandomState, low: int, high: int, size: int) -> npt.NDArray[np.uint8]:
    """Integers from [low, high), high at most 256."""
    out = np.empty(size, dtype=np.uint8)
    for part in chunks(size):
        out[part] = rs.randint(low, high, size=part.stop - part.start)
    return out


def uniform_below(rs: np.random.RandomState, bound: int, size: int) -> npt.NDArray[np.int64]:
    # A double from 53 random bits times an integer is exact enough and identical on every IEEE machine.
    out = np.empty(size, dtype=np.int64)
    for part in chunks(size):
        out[part] = rs.random_sample(part.stop - part.start) * bound
    return out


def scaled_fractions(
    rs: np.random.RandomState,
    bucket: npt.NDArray[np.uint8],
    low: npt.NDArray[np.int64],
    width: npt.NDArray[np.int64],
    out: npt.NDArray[np.int64],
) -> None:
    """out[i] = low[b] + int(u * width[b]) for b = bucket[i] and a uniform u per draw."""
    for part in chunks(len(bucket)):
        fraction = rs.random_sample(part.stop - part.start)
        fraction *= width[bucket[part]]
        out[part] = fraction
        out[part] += low[bucket[part]]
