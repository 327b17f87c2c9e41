"""Answers recorded as columns: alike answers counted together, without a step per answer in Python."""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Hashable, Sequence
from itertools import repeat
from typing import Any, TypeVar, overload

A = TypeVar("A", bound=Hashable)
B = TypeVar("B", bound=Hashable)
C = TypeVar("C", bound=Hashable)
D = TypeVar("D", bound=Hashable)
E = TypeVar("E", bound=Hashable)


@overload
def tally(a: Sequence[A], b: Sequence[B], /) -> dict[tuple[A, B], int]: ...


@overload
def tally(
    a: Sequence[A], b: Sequence[B], c: Sequence[C], d: Sequence[D], e: Sequence[E], /
) -> dict[tuple[A, B, C, D, E], int]: ...


def tally(*columns: Sequence[Any]) -> dict[tuple[Any, ...], int]:
    """How many rows share each combination of the columns' values (the columns run in step).

    A poller asking for the same page again gives rows that are all alike: that is seen column by column at C
    speed, and the rows are never zipped.
    """
    rows = len(columns[0])
    if rows == 0:
        return {}
    if all(column.count(column[0]) == rows for column in columns):
        return {tuple(column[0] for column in columns): rows}
    return Counter(zip(*columns, strict=True))


def one_object(column: Sequence[object]) -> bool:
    """Whether every item of a non-empty column is its first, told by identity (an answer sent again from memory
    is observed with the same objects), never by equality: a delivery's numbers may be an array, which has no truth
    value to compare by."""
    return all(map(operator.is_, column, repeat(column[0])))
