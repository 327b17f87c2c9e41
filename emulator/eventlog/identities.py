"""Synthetic Norwegian identity numbers (Tenor style, month + 80): check digits, generation, validation."""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from emulator.eventlog.ordering import stable_argsort

K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)

# Skatteetaten's Tenor test population adds 80 to the month; no real scheme uses months 81-92,
# so a number built this way can never belong to a real person.
TENOR_MONTH_OFFSET = 80
DNUMBER_DAY_OFFSET = 40

EARLIEST_BIRTH = date(1940, 1, 1)
LATEST_BIRTH = date(2024, 12, 31)
# Slots per kind (fødselsnummer, D-nummer): every birth date times every individnummer, usable or not.
IDENTITY_SLOTS = ((LATEST_BIRTH - EARLIEST_BIRTH).days + 1) * 1000


class IdentityKind(StrEnum):
    FNR = "FNR"
    DNR = "DNR"


@dataclass(frozen=True, slots=True)
class SyntheticIdentity:
    ident: str
    kind: IdentityKind
    birth_date: date


class InvalidIdentityError(ValueError):
    """The text is not a valid synthetic (Tenor) fødselsnummer or D-nummer; the message says why."""


def check_digits(first_nine: str) -> tuple[int, int] | None:
    """K1 and K2 for nine digits, or None when the individnummer cannot be used (a check digit of 10)."""
    digits = [int(c) for c in first_nine]
    k1 = (11 - sum(w * d for w, d in zip(K1_WEIGHTS, digits, strict=True)) % 11) % 11
    if k1 == 10:
        return None
    k2 = (11 - sum(w * d for w, d in zip(K2_WEIGHTS, [*digits, k1], strict=True)) % 11) % 11
    if k2 == 10:
        return None
    return k1, k2


def individnummer_range(year: int) -> list[tuple[int, int]]:
    """The half-open individnummer ranges that encode a birth year's century."""
    if 1854 <= year <= 1899:
        return [(500, 750)]
    if 1900 <= year <= 1939:
        return [(0, 500)]
    if 1940 <= year <= 1999:
        return [(0, 500), (900, 1000)]
    if 2000 <= year <= 2039:
        return [(500, 1000)]
    raise ValueError(f"no individnummer encodes birth year {year}")


def century_of(two_digit_year: int, individnummer: int) -> int | None:
    """The birth year encoded by YY and the individnummer, or None when the pair is impossible."""
    if individnummer <= 499:
        return 1900 + two_digit_year
    if individnummer <= 749 and two_digit_year >= 54:
        return 1800 + two_digit_year
    if individnummer >= 900 and two_digit_year >= 40:
        return 1900 + two_digit_year
    if individnummer >= 500 and two_digit_year <= 39:
        return 2000 + two_digit_year
    return None


def synthetic_identity(rng: random.Random, *, birth_date: date | None = None, dnumber: bool = False) -> str:
    """One Tenor-style number (month + 80; day + 40 as well for a D-nummer) with valid check digits."""
    if birth_date is None:
        span = (LATEST_BIRTH - EARLIEST_BIRTH).days
        birth_date = EARLIEST_BIRTH + timedelta(days=rng.randrange(span + 1))
    ranges = individnummer_range(birth_date.year)
    day = birth_date.day + (DNUMBER_DAY_OFFSET if dnumber else 0)
    month = birth_date.month + TENOR_MONTH_OFFSET
    prefix = f"{day:02d}{month:02d}{birth_date.year % 100:02d}"
    while True:
        low, high = ranges[rng.randrange(len(ranges))]
        first_nine = f"{prefix}{rng.randrange(low, high):03d}"
        checks = check_digits(first_nine)
        if checks is not None:
            return f"{first_nine}{checks[0]}{checks[1]}"


def validate_synthetic(ident: str) -> SyntheticIdentity:
    """Parse a Tenor-style fødselsnummer or D-nummer; raise InvalidIdentityError saying what is wrong."""
    if len(ident) != 11 or not ident.isascii() or not ident.isdigit():
        raise InvalidIdentityError(f"{ident!r} is not 11 digits")
    checks = check_digits(ident[:9])
    if checks is None or (int(ident[9]), int(ident[10])) != checks:
        raise InvalidIdentityError(f"{ident} has wrong check digits")
    day, month, yy, individnummer = int(ident[0:2]), int(ident[2:4]), int(ident[4:6]), int(ident[6:9])
    kind = IdentityKind.FNR
    if day > DNUMBER_DAY_OFFSET:
        kind, day = IdentityKind.DNR, day - DNUMBER_DAY_OFFSET
    if not TENOR_MONTH_OFFSET < month <= TENOR_MONTH_OFFSET + 12:
        raise InvalidIdentityError(
            f"{ident} is not synthetic: the month must be 81-92 (Tenor adds 80), got {month:02d}"
        )
    year = century_of(yy, individnummer)
    if year is None:
        raise InvalidIdentityError(f"{ident}: individnummer {individnummer:03d} cannot go with year {yy:02d}")
    try:
        born = date(year, month - TENOR_MONTH_OFFSET, day)
    except ValueError:
        raise InvalidIdentityError(f"{ident} does not encode a real birth date") from None
    return SyntheticIdentity(ident=ident, kind=kind, birth_date=born)


def is_synthetic(ident: str) -> bool:
    try:
        validate_synthetic(ident)
    except InvalidIdentityError:
        return False
    return True


def generate_identities(rs: np.random.RandomState, count: int, *, dnumber_permille: int) -> npt.NDArray[np.bytes_]:
    """`count` distinct synthetic numbers as 11-byte strings, vectorized (millions per second).

    Only integer draws from the legacy RandomState are used, whose streams numpy keeps frozen, so the
    same seed gives the same numbers on every platform and numpy version. Candidates are drawn in rounds
    whose sizes depend on how many were drawn before (the schedule every pinned log was made with), and
    the first `count` distinct ones in draw order are kept. A table of the numbers seen so far makes each
    round cost its own size only, so the rounds add up to linear time.
    """
    seen = SlotSet(2 * IDENTITY_SLOTS)
    found: list[npt.NDArray[np.int64]] = []
    distinct = drawn = 0
    while True:
        size = count - drawn // 2 + count // 4 + 16
        if size <= 0:
            raise ValueError(f"cannot draw {count:,} distinct synthetic numbers in this schedule")
        numbers, keys = candidate_numbers(rs, size, dnumber_permille)
        drawn += len(numbers)
        firsts = seen.add_new(keys, first_occurrences(keys))
        found.append(numbers[firsts])
        distinct += len(firsts)
        if distinct >= count:
            break
    return as_ident_bytes(np.concatenate(found)[:count])


class SlotSet:
    """A set of slots below `size`, one bit each: the identity space's 62 million slots in 8 MB."""

    def __init__(self, size: int) -> None:
        self._bits = np.zeros((size + 7) // 8, dtype=np.uint8)

    def add_new(self, keys: npt.NDArray[np.int64], positions: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Of `positions` (of distinct keys), those whose key was not in the set; their keys are added."""
        chosen = keys[positions]
        byte, bit = chosen >> 3, (np.uint8(1) << (chosen & 7).astype(np.uint8)).astype(np.uint8)
        new = (self._bits[byte] & bit) == 0
        np.bitwise_or.at(self._bits, byte[new], bit[new])
        added: npt.NDArray[np.int64] = positions[new]
        return added


def first_occurrences(keys: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The positions of each key's first occurrence, ascending."""
    order = stable_argsort(keys)
    ordered = keys[order]
    is_first = np.zeros(len(keys), dtype=np.bool_)
    if len(keys):
        # Back in draw order through a mask, not a second sort.
        is_first[order[np.concatenate([[True], ordered[1:] != ordered[:-1]])]] = True
    return np.flatnonzero(is_first)


def as_ident_bytes(numbers: npt.NDArray[np.int64]) -> npt.NDArray[np.bytes_]:
    """11-digit numbers as zero-padded 11-byte ASCII strings."""
    ascii_digits = np.empty((len(numbers), 11), dtype=np.uint8)
    rest = numbers.copy()
    for place in range(10, -1, -1):
        ascii_digits[:, place] = rest % 10 + ord("0")
        rest //= 10
    return ascii_digits.view("S11").reshape(len(numbers))


def candidate_numbers(
    rs: np.random.RandomState, size: int, dnumber_permille: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """`size` draws, of which the usable ones (about 83 %) as numbers, each with its slot in the space.

    A slot is (birth date, D-nummer or not, individnummer) as one integer below 2 * IDENTITY_SLOTS.
    """
    births = rs.randint(0, birth_dates(), size=size)
    dnumber = (rs.randint(0, 1000, size=size) < dnumber_permille).astype(np.int64)
    individ = individnummer_draws(rs, births)
    numbers, usable = numbers_of(births, dnumber, individ)
    return numbers[usable], ((births * 2 + dnumber) * 1000 + individ)[usable]


def numbers_of(
    births: npt.NDArray[np.int64], dnumber: npt.NDArray[np.int64], individ: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """The 11-digit numbers for birth-date rows, D-nummer flags (0/1) and individnummer, and which are usable."""
    prefixes, k1_partial, k2_partial, _ = _birth_date_table()
    k1_individ, k2_individ, check = _check_tables()
    # A D-nummer adds 4 to the first digit, so 4 times that digit's weight to each sum.
    k1 = check[k1_partial[births] + 4 * K1_WEIGHTS[0] * dnumber + k1_individ[individ]]
    k2 = check[k2_partial[births] + 4 * K2_WEIGHTS[0] * dnumber + k2_individ[individ] + 2 * k1]
    usable = (k1 != 10) & (k2 != 10)
    numbers = prefixes[births] + dnumber * 400_000
    numbers *= 1000
    numbers += individ
    numbers *= 100
    numbers += k1 * 10 + k2
    return numbers, usable


def individnummer_draws(rs: np.random.RandomState, births: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """An individnummer for each birth-date row, from the ranges that encode its century."""
    # 1940-1999: 000-499 or 900-999; 2000-2039: 500-999 (the earliest birth year is 1940).
    individ = rs.randint(0, 600, size=len(births))
    born_2000s = _birth_date_table()[3]
    low_half = individ < 500
    return np.where(
        born_2000s[births], np.where(low_half, individ + 500, individ), np.where(low_half, individ, individ + 400)
    )


def usable_slots(dnumber: bool) -> npt.NDArray[np.int64]:
    """Every usable (birth-date row * 1000 + individnummer) of one kind, ascending: the space to sample from."""
    _, k1_partial, k2_partial, born_2000s = _birth_date_table()
    individ = np.arange(1000, dtype=np.int16)
    i1, i2, i3 = individ // 100, individ // 10 % 10, individ % 10
    shift = 4 if dnumber else 0
    # The weighted sums stay below 1000, so "11 minus the sum modulo 11" is a lookup, not a division.
    check = ((11 - np.arange(1024) % 11) % 11).astype(np.int16)
    k1 = check[(k1_partial + shift * K1_WEIGHTS[0]).astype(np.int16)[:, None] + (4 * i1 + 5 * i2 + 2 * i3)]
    k2_base = (k2_partial + shift * K2_WEIGHTS[0]).astype(np.int16)[:, None] + (5 * i1 + 4 * i2 + 3 * i3)
    k2_base += 2 * k1
    usable = (k1 != 10) & (check[k2_base] != 10)
    del k1, k2_base
    in_range = np.where(born_2000s[:, None], individ >= 500, (individ < 500) | (individ >= 900))
    return np.flatnonzero(usable & in_range)


def birth_dates() -> int:
    return len(_birth_date_table()[0])


@functools.cache
def _check_tables() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Per individnummer its digits' share of K1 and K2; per weighted sum, its check digit (10: unusable)."""
    individ = np.arange(1000, dtype=np.int64)
    i1, i2, i3 = individ // 100, individ // 10 % 10, individ % 10
    check = (11 - np.arange(1024, dtype=np.int64) % 11) % 11
    return 4 * i1 + 5 * i2 + 2 * i3, 5 * i1 + 4 * i2 + 3 * i3, check


@functools.cache
def _birth_date_table() -> tuple[
    npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]
]:
    """Per possible birth date: DDMMYY (month + 80) as a number, its digits' share of K1 and K2."""
    days = (LATEST_BIRTH - EARLIEST_BIRTH).days + 1
    prefixes, k1_partial, k2_partial, born_2000s = [], [], [], []
    for offset in range(days):
        born = EARLIEST_BIRTH + timedelta(days=offset)
        text = f"{born.day:02d}{born.month + TENOR_MONTH_OFFSET:02d}{born.year % 100:02d}"
        digits = [int(c) for c in text]
        prefixes.append(int(text))
        k1_partial.append(sum(w * d for w, d in zip(K1_WEIGHTS, digits, strict=False)))
        k2_partial.append(sum(w * d for w, d in zip(K2_WEIGHTS, digits, strict=False)))
        born_2000s.append(born.year >= 2000)
    return (
        np.array(prefixes, dtype=np.int64),
        np.array(k1_partial, dtype=np.int64),
        np.array(k2_partial, dtype=np.int64),
        np.array(born_2000s, dtype=np.bool_),
    )
