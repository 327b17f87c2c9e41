"""The synthetic population: how many distinct numbers exist, and any number of persons drawn from them.

Every birth date from EARLIEST_BIRTH to LATEST_BIRTH, every individnummer that encodes its century and
has valid check digits, month + 80 (Tenor): FNR_SPACE fødselsnumre and as many D-numre (day + 40), less
the few whose check digits differ. A recipe asking for more persons than that is refused, never looped on.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from emulator.eventlog.identities import (
    IDENTITY_SLOTS,
    SlotSet,
    as_ident_bytes,
    birth_dates,
    first_occurrences,
    individnummer_draws,
    numbers_of,
    usable_slots,
)

# Counted by usable_slots (a test keeps these in step with it).
FNR_SPACE = 14_640_511
DNR_SPACE = 14_640_491


def capacity(dnumber_permille: int) -> int:
    """How many distinct persons a recipe with this D-nummer share can have."""
    if dnumber_permille == 0:
        return FNR_SPACE
    if dnumber_permille == 1000:
        return DNR_SPACE
    return FNR_SPACE + DNR_SPACE


def sample_identities(rs: np.random.RandomState, count: int, *, dnumber_permille: int) -> npt.NDArray[np.bytes_]:
    """`count` distinct synthetic numbers in random order, about `dnumber_permille` of them D-numre.

    Linear in `count` however near it comes to the space: a small share is drawn and deduplicated, a large
    one is a shuffle of the whole space, so there is no draw-until-distinct loop to stall.
    """
    limit = capacity(dnumber_permille)
    if count > limit:
        raise ValueError(
            f"persons: at most {limit:,} distinct synthetic numbers exist for dnumber_permille "
            f"{dnumber_permille}, not {count:,}"
        )
    dnumber = rs.randint(0, 1000, size=count) < dnumber_permille
    _fit(dnumber, True, DNR_SPACE)
    _fit(dnumber, False, FNR_SPACE)
    numbers = np.empty(count, dtype=np.int64)
    for kind in (False, True):
        where = dnumber == kind
        numbers[where] = _distinct(rs, int(np.count_nonzero(where)), kind)
    return as_ident_bytes(numbers)


def _fit(dnumber: npt.NDArray[np.bool_], kind: bool, space: int) -> None:
    """Turn the last persons of one kind into the other kind where that kind has too few numbers."""
    positions = np.flatnonzero(dnumber == kind)
    dnumber[positions[space:]] = not kind


def _distinct(rs: np.random.RandomState, count: int, dnumber: bool) -> npt.NDArray[np.int64]:
    space = DNR_SPACE if dnumber else FNR_SPACE
    if 4 * count >= space:
        slots = usable_slots(dnumber)[rs.permutation(space)[:count]]
        births, individ = np.divmod(slots, 1000)
        return numbers_of(births, np.full(count, int(dnumber), dtype=np.int64), individ)[0]
    seen = SlotSet(IDENTITY_SLOTS)
    found: list[npt.NDArray[np.int64]] = []
    have = 0
    while have < count:
        # At most a quarter of the space is taken, so each round finds at least three quarters new.
        size = (count - have) * 3 // 2 + 16
        births = rs.randint(0, birth_dates(), size=size)
        individ = individnummer_draws(rs, births)
        numbers, usable = numbers_of(births, np.full(size, int(dnumber), dtype=np.int64), individ)
        keys = (births * 1000 + individ)[usable]
        numbers = numbers[usable]
        firsts = seen.add_new(keys, first_occurrences(keys))
        found.append(numbers[firsts])
        have += len(firsts)
    return np.concatenate(found)[:count] if found else np.empty(0, dtype=np.int64)
