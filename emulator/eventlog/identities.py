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
    same seed gives the same numbers on every platform and numpy version.
    """
    pool = np.empty(0, dtype=np.int64)
    while True:
        pool = np.concatenate(
            [pool, _candidate_numbers(rs, count - len(pool) // 2 + count // 4 + 16, dnumber_permille)]
        )
        # Keep the first occurrence of each number, in draw order.
        order = stable_argsort(pool)
        ordered = pool[order]
        first = order[np.concatenate([[True], ordered[1:] != ordered[:-1]])]
        if len(first) >= count:
            first.sort()
            numbers = pool[first[:count]]
            break
    return as_ident_bytes(numbers)


def as_ident_bytes(numbers: npt.NDArray[np.int64]) -> npt.NDArray[np.bytes_]:
    """11-digit numbers as zero-padded 11-byte ASCII strings."""
    ascii_digits = np.empty((len(numbers), 11), dtype=np.uint8)
    rest = numbers.copy()
    for place in range(10, -1, -1):
        ascii_digits[:, place] = rest % 10 + ord("0")
        rest //= 10
    return ascii_digits.view("S11").reshape(len(numbers))


def _candidate_numbers(rs: np.random.RandomState, size: int, dnumber_permille: int) -> npt.NDArray[np.int64]:
    prefixes, k1_partial, k2_partial, born_2000s = _birth_date_table()
    births = rs.randint(0, len(prefixes), size=size)
    dnumber = (rs.randint(0, 1000, size=size) < dnumber_permille).astype(np.int64)
    # 1940-1999: 000-499 or 900-999; 2000-2039: 500-999 (the earliest birth year is 1940).
    individ = rs.randint(0, 600, size=size)
    individ = np.where(born_2000s[births], 500 + individ % 500, np.where(individ < 500, individ, individ + 400))
    i1, i2, i3 = individ // 100, individ // 10 % 10, individ % 10
    # A D-nummer adds 4 to the first digit, so 4 times that digit's weight to each sum.
    k1 = (11 - (k1_partial[births] + 4 * K1_WEIGHTS[0] * dnumber + 4 * i1 + 5 * i2 + 2 * i3) % 11) % 11
    k2_sum = k2_partial[births] + 4 * K2_WEIGHTS[0] * dnumber + 5 * i1 + 4 * i2 + 3 * i3 + 2 * k1
    k2 = (11 - k2_sum % 11) % 11
    usable = (k1 != 10) & (k2 != 10)
    numbers = ((prefixes[births] + dnumber * 400_000) * 1000 + individ) * 100 + k1 * 10 + k2
    return np.asarray(numbers[usable], dtype=np.int64)


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
