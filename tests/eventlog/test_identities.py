"""Synthetic identity numbers: check digits, the century table, generation and the Tenor-only validator."""

from __future__ import annotations

import functools
import random
from datetime import date

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.eventlog.identities import (
    EARLIEST_BIRTH,
    LATEST_BIRTH,
    IdentityKind,
    InvalidIdentityError,
    as_ident_bytes,
    century_of,
    check_digits,
    generate_identities,
    individnummer_range,
    is_synthetic,
    synthetic_identity,
    validate_synthetic,
)

# The weights of reference.md §6, written out again so the tests do not lean on the module's own tables.
_K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _reference_check_digits(first_nine: str) -> tuple[int, int] | None:
    """K1 and K2 as reference.md §6 states them: 11 − (weights · digits) mod 11; 11 → 0; 10 → unusable."""
    digits = [int(c) for c in first_nine]
    k1 = 11 - sum(w * d for w, d in zip(_K1_WEIGHTS, digits, strict=True)) % 11
    k1 = 0 if k1 == 11 else k1
    if k1 == 10:
        return None
    k2 = 11 - sum(w * d for w, d in zip(_K2_WEIGHTS, [*digits, k1], strict=True)) % 11
    k2 = 0 if k2 == 11 else k2
    if k2 == 10:
        return None
    return k1, k2


def _complete(prefix: str, individnummers: range) -> str:
    """DDMMYY plus the first individnummer from `individnummers` whose check digits exist, made whole."""
    for individnummer in individnummers:
        first_nine = f"{prefix}{individnummer:03d}"
        checks = _reference_check_digits(first_nine)
        if checks is not None:
            return f"{first_nine}{checks[0]}{checks[1]}"
    raise AssertionError(f"no usable individnummer for {prefix}")


# ---------------------------------------------------------------------------------------------- check digits


@pytest.mark.parametrize(
    ("first_nine", "expected"),
    [
        # 0,1,8,5,8,5,0,0,0 · 3,7,6,1,8,9,4,5,2 = 0+7+48+5+64+45 = 169; 169 mod 11 = 4 → K1 = 7.
        # 0,1,8,5,8,5,0,0,0,7 · 5,4,3,2,7,6,5,4,3,2 = 0+4+24+10+56+30+14 = 138; 138 mod 11 = 6 → K2 = 5.
        ("018585000", (7, 5)),
        # 1,5,9,1,8,5,1,2,3 · K1 weights = 3+35+54+1+64+45+4+10+6 = 222; mod 11 = 2 → K1 = 9.
        # 1,5,9,1,8,5,1,2,3,9 · K2 weights = 5+20+27+2+56+30+5+8+9+18 = 180; mod 11 = 4 → K2 = 7.
        ("159185123", (9, 7)),
        # K1 sum 169 + 2·9 = 187 = 17·11 → 11 − 0 = 11 → K1 = 0.
        # K2 sum 124 + 3·9 + 2·0 = 151; mod 11 = 8 → K2 = 3.
        ("018585009", (0, 3)),
        # K1 sum 169 + 2·6 = 181; mod 11 = 5 → K1 = 6. K2 sum 124 + 3·6 + 2·6 = 154 = 14·11 → K2 = 0.
        ("018585006", (6, 0)),
    ],
    ids=["plain", "tenor-november", "k1-eleven-becomes-zero", "k2-eleven-becomes-zero"],
)
def test_check_digits_match_hand_computed_vectors(first_nine: str, expected: tuple[int, int]) -> None:
    assert check_digits(first_nine) == expected


@pytest.mark.parametrize(
    "first_nine",
    [
        # K1 sum 169 + 2·4 = 177; mod 11 = 1 → K1 = 10.
        "018585004",
        # K1 sum 169 + 2·5 = 179; mod 11 = 3 → K1 = 8. K2 sum 124 + 3·5 + 2·8 = 155; mod 11 = 1 → K2 = 10.
        "018585005",
    ],
    ids=["k1-is-ten", "k2-is-ten"],
)
def test_a_check_digit_of_ten_makes_the_individnummer_unusable(first_nine: str) -> None:
    assert check_digits(first_nine) is None


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_check_digits_agree_with_the_reference_weights(first_nine: str) -> None:
    assert check_digits(first_nine) == _reference_check_digits(first_nine)


# ------------------------------------------------------------------------------- individnummer and century


@pytest.mark.parametrize(
    ("year", "ranges"),
    [
        (1854, [(500, 750)]),
        (1899, [(500, 750)]),
        (1900, [(0, 500)]),
        (1939, [(0, 500)]),
        (1940, [(0, 500), (900, 1000)]),
        (1999, [(0, 500), (900, 1000)]),
        (2000, [(500, 1000)]),
        (2039, [(500, 1000)]),
    ],
    ids=["1854", "1899", "1900", "1939", "1940", "1999", "2000", "2039"],
)
def test_individnummer_range_follows_the_century_table(year: int, ranges: list[tuple[int, int]]) -> None:
    assert individnummer_range(year) == ranges


@pytest.mark.parametrize("year", [1853, 2040, 1800], ids=["1853", "2040", "1800"])
def test_individnummer_range_rejects_years_no_number_encodes(year: int) -> None:
    with pytest.raises(ValueError, match=str(year)):
        individnummer_range(year)


@pytest.mark.parametrize(
    ("two_digit_year", "individnummer", "year"),
    [
        (0, 0, 1900),
        (99, 499, 1999),
        (54, 500, 1854),
        (99, 749, 1899),
        (53, 500, None),
        (54, 750, None),
        (40, 900, 1940),
        (99, 999, 1999),
        (39, 900, 2039),
        (39, 500, 2039),
        (0, 999, 2000),
        (0, 500, 2000),
        (40, 899, None),
        (45, 800, None),
        (40, 500, None),
    ],
    ids=[
        "000-yy00-1900",
        "499-yy99-1999",
        "500-yy54-1854",
        "749-yy99-1899",
        "500-yy53-impossible",
        "750-yy54-impossible",
        "900-yy40-1940",
        "999-yy99-1999",
        "900-yy39-2039",
        "500-yy39-2039",
        "999-yy00-2000",
        "500-yy00-2000",
        "899-yy40-impossible",
        "800-yy45-impossible",
        "500-yy40-impossible",
    ],
)
def test_century_of_follows_the_century_table(two_digit_year: int, individnummer: int, year: int | None) -> None:
    assert century_of(two_digit_year, individnummer) == year


@given(st.integers(1854, 2039), st.data())
def test_every_individnummer_of_a_year_decodes_to_that_year(year: int, data: st.DataObject) -> None:
    low, high = data.draw(st.sampled_from(individnummer_range(year)))
    individnummer = data.draw(st.integers(low, high - 1))
    assert century_of(year % 100, individnummer) == year


@given(st.integers(0, 99), st.integers(0, 999))
def test_a_decoded_year_lists_its_individnummer(two_digit_year: int, individnummer: int) -> None:
    year = century_of(two_digit_year, individnummer)
    if year is not None:
        assert year % 100 == two_digit_year
        assert any(low <= individnummer < high for low, high in individnummer_range(year))


# ------------------------------------------------------------------------------------- single generation


@functools.cache
def _sample(dnumber: bool) -> tuple[str, ...]:
    rng = random.Random(20240331)
    return tuple(synthetic_identity(rng, dnumber=dnumber) for _ in range(2000))


@pytest.mark.parametrize("dnumber", [False, True], ids=["fodselsnummer", "dnummer"])
def test_generated_numbers_always_have_a_tenor_month(dnumber: bool) -> None:
    for ident in _sample(dnumber):
        assert 81 <= int(ident[2:4]) <= 92, ident
        assert _reference_check_digits(ident[:9]) == (int(ident[9]), int(ident[10])), ident


@pytest.mark.parametrize("dnumber", [False, True], ids=["fodselsnummer", "dnummer"])
def test_generated_numbers_without_a_birth_date_fall_in_the_generation_window(dnumber: bool) -> None:
    births = [validate_synthetic(ident).birth_date for ident in _sample(dnumber)]
    assert min(births) >= EARLIEST_BIRTH
    assert max(births) <= LATEST_BIRTH
    # Spread over the window, not stuck at one end.
    assert len({born.year for born in births}) > 50


def test_d_number_adds_40_to_the_day() -> None:
    ident = synthetic_identity(random.Random(1), birth_date=date(1985, 11, 15), dnumber=True)
    assert ident[:6] == "559185"
    assert validate_synthetic(ident).kind is IdentityKind.DNR


def test_fodselsnummer_keeps_the_day_and_adds_80_to_the_month() -> None:
    ident = synthetic_identity(random.Random(1), birth_date=date(2003, 2, 1))
    assert ident[:6] == "018203"
    assert 500 <= int(ident[6:9]) <= 999
    assert validate_synthetic(ident).kind is IdentityKind.FNR


def test_synthetic_identity_is_deterministic_for_a_seeded_rng() -> None:
    first = [synthetic_identity(random.Random(99)) for _ in range(3)]
    again = [synthetic_identity(random.Random(99)) for _ in range(3)]
    other = synthetic_identity(random.Random(100))
    assert first == again
    assert other != first[0]


@given(
    st.dates(min_value=date(1854, 1, 1), max_value=date(2039, 12, 31)),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_any_birth_date_gives_a_valid_number_that_decodes_back(born: date, dnumber: bool, seed: int) -> None:
    ident = synthetic_identity(random.Random(seed), birth_date=born, dnumber=dnumber)
    decoded = validate_synthetic(ident)
    assert decoded.ident == ident
    assert decoded.birth_date == born
    assert decoded.kind is (IdentityKind.DNR if dnumber else IdentityKind.FNR)
    assert int(ident[0:2]) == born.day + (40 if dnumber else 0)
    assert int(ident[2:4]) == born.month + 80


# --------------------------------------------------------------------------------------------- validation

_VALID = "15918512397"  # 15 Nov 1985, individnummer 123 (hand-computed above)


@pytest.mark.parametrize(
    ("ident", "reason"),
    [
        ("", "not 11 digits"),
        ("1591851239", "not 11 digits"),
        ("159185123970", "not 11 digits"),
        ("1591851239a", "not 11 digits"),
        ("15918512 97", "not 11 digits"),
        ("-1591851239", "not 11 digits"),
        ("١٥٩١٨٥١٢٣٩٧", "not 11 digits"),  # Arabic-Indic digits: str.isdigit() says yes
        ("15918512398", "wrong check digits"),
        ("15918512387", "wrong check digits"),
        ("01858500400", "wrong check digits"),  # K1 would be 10: no check digits exist
        ("51918512397", "wrong check digits"),  # digits swapped
    ],
    ids=[
        "empty",
        "ten-digits",
        "twelve-digits",
        "letter",
        "space",
        "minus-sign",
        "non-ascii-digits",
        "bad-k2",
        "bad-k1",
        "unusable-individnummer",
        "transposed",
    ],
)
def test_validator_rejects_malformed_numbers(ident: str, reason: str) -> None:
    with pytest.raises(InvalidIdentityError, match=reason):
        validate_synthetic(ident)
    assert not is_synthetic(ident)


@pytest.mark.parametrize(
    "prefix",
    ["151185", "010100", "311299", "551185", "010185"],
    ids=["real-november", "real-january", "real-december", "real-d-number", "real-first-of-month"],
)
def test_validator_rejects_real_looking_numbers(prefix: str) -> None:
    ident = _complete(prefix, range(100, 500))
    with pytest.raises(InvalidIdentityError, match="month must be 81-92"):
        validate_synthetic(ident)


@pytest.mark.parametrize(
    "prefix",
    ["155185", "014185", "315285", "555185"],
    ids=["nav-test-november", "nav-test-january", "nav-test-december", "nav-test-d-number"],
)
def test_validator_rejects_nav_test_numbers_with_month_plus_40(prefix: str) -> None:
    ident = _complete(prefix, range(100, 500))
    with pytest.raises(InvalidIdentityError, match="month must be 81-92"):
        validate_synthetic(ident)


@pytest.mark.parametrize(
    "prefix",
    ["018085", "019385", "019985", "010085"],
    ids=["month-80", "month-93", "month-99", "month-00"],
)
def test_validator_rejects_months_just_outside_81_to_92(prefix: str) -> None:
    ident = _complete(prefix, range(100, 500))
    with pytest.raises(InvalidIdentityError, match="month must be 81-92"):
        validate_synthetic(ident)


@pytest.mark.parametrize(
    ("prefix", "individnummers"),
    [
        ("318285", range(0, 500)),  # 31 February 1985
        ("308284", range(0, 500)),  # 30 February 1984 (a leap year)
        ("298223", range(500, 1000)),  # 29 February 2023
        ("298223", range(0, 500)),  # 29 February 1923
        ("318485", range(0, 500)),  # 31 April
        ("008185", range(0, 500)),  # day 00
        ("408185", range(0, 500)),  # day 40: neither a day nor a D-number day
        ("728185", range(0, 500)),  # D-number day 72 = 32nd
        ("698223", range(500, 1000)),  # D-number 29 February 2023
        ("998185", range(0, 500)),  # day 99
    ],
    ids=[
        "31st-of-month-82",
        "30th-of-february-leap-year",
        "29th-february-2023",
        "29th-february-1923",
        "31st-of-april",
        "day-00",
        "day-40",
        "d-number-day-72",
        "d-number-29th-february-2023",
        "day-99",
    ],
)
def test_validator_rejects_impossible_dates(prefix: str, individnummers: range) -> None:
    ident = _complete(prefix, individnummers)
    with pytest.raises(InvalidIdentityError, match="does not encode a real birth date"):
        validate_synthetic(ident)


@pytest.mark.parametrize(
    ("prefix", "individnummers"),
    [
        ("018545", range(500, 750)),  # 500-749 needs YY >= 54
        ("018553", range(500, 750)),
        ("018550", range(750, 900)),  # 750-899 only for YY <= 39
        ("018599", range(750, 900)),
    ],
    ids=["500-749-with-yy45", "500-749-with-yy53", "750-899-with-yy50", "750-899-with-yy99"],
)
def test_validator_rejects_an_individnummer_that_does_not_fit_the_year(prefix: str, individnummers: range) -> None:
    ident = _complete(prefix, individnummers)
    with pytest.raises(InvalidIdentityError, match="cannot go with year"):
        validate_synthetic(ident)


@pytest.mark.parametrize(
    ("ident", "kind", "born"),
    [
        (_VALID, IdentityKind.FNR, date(1985, 11, 15)),
        ("01858500075", IdentityKind.FNR, date(1985, 5, 1)),
        (_complete("298224", range(500, 1000)), IdentityKind.FNR, date(2024, 2, 29)),
        (_complete("428399", range(900, 1000)), IdentityKind.DNR, date(1999, 3, 2)),
        (_complete("418254", range(500, 750)), IdentityKind.DNR, date(1854, 2, 1)),
    ],
    ids=["hand-computed", "hand-computed-may", "leap-day-2024", "d-number-march-2nd-1999", "d-number-1854"],
)
def test_validator_accepts_and_decodes_tenor_numbers(ident: str, kind: IdentityKind, born: date) -> None:
    decoded = validate_synthetic(ident)
    assert (decoded.ident, decoded.kind, decoded.birth_date) == (ident, kind, born)
    assert is_synthetic(ident)


# ---------------------------------------------------------------------------------- vectorised generation


@functools.cache
def _generated(seed: int, count: int, dnumber_permille: int) -> npt.NDArray[np.bytes_]:
    numbers = generate_identities(np.random.RandomState(seed), count, dnumber_permille=dnumber_permille)
    numbers.flags.writeable = False
    return numbers


def test_generate_identities_gives_distinct_valid_11_byte_numbers() -> None:
    numbers = _generated(5, 5000, 120)
    assert numbers.dtype == np.dtype("S11")
    assert numbers.shape == (5000,)
    texts = [number.decode("ascii") for number in numbers.tolist()]
    assert len(set(texts)) == len(texts)
    for text in texts:
        decoded = validate_synthetic(text)
        assert EARLIEST_BIRTH <= decoded.birth_date <= LATEST_BIRTH


@pytest.mark.parametrize(
    ("permille", "low", "high"),
    [(0, 0.0, 0.0), (120, 0.10, 0.14), (500, 0.47, 0.53), (1000, 1.0, 1.0)],
    ids=["none", "default-share", "half", "all"],
)
def test_generate_identities_gives_roughly_the_d_number_share(permille: int, low: float, high: float) -> None:
    numbers = _generated(11, 5000, permille)
    kinds = [validate_synthetic(number.decode("ascii")).kind for number in numbers.tolist()]
    share = kinds.count(IdentityKind.DNR) / len(kinds)
    assert low <= share <= high


def test_generate_identities_is_deterministic_for_a_seed() -> None:
    first = generate_identities(np.random.RandomState(3), 1000, dnumber_permille=120)
    again = generate_identities(np.random.RandomState(3), 1000, dnumber_permille=120)
    other = generate_identities(np.random.RandomState(4), 1000, dnumber_permille=120)
    assert first.tolist() == again.tolist()
    assert len(set(first.tolist()) & set(other.tolist())) < 10


@pytest.mark.parametrize("count", [0, 1, 2, 17], ids=["zero", "one", "two", "seventeen"])
def test_generate_identities_gives_exactly_count_numbers(count: int) -> None:
    numbers = generate_identities(np.random.RandomState(8), count, dnumber_permille=500)
    assert len(numbers) == count
    assert len(set(numbers.tolist())) == count
    assert all(is_synthetic(number.decode("ascii")) for number in numbers.tolist())


def test_generate_identities_stays_distinct_when_draws_collide() -> None:
    # Many draws from one birth-date table collide; a large count still comes out unique.
    numbers = _generated(21, 20_000, 0)
    assert len(set(numbers.tolist())) == 20_000


def test_as_ident_bytes_zero_pads_to_eleven_digits() -> None:
    numbers = np.array([1858500075, 15918512397, 0, 99_999_999_999], dtype=np.int64)
    assert as_ident_bytes(numbers).tolist() == [
        b"01858500075",
        b"15918512397",
        b"00000000000",
        b"99999999999",
    ]


def test_as_ident_bytes_leaves_its_input_alone() -> None:
    numbers = np.array([1858500075], dtype=np.int64)
    as_ident_bytes(numbers)
    assert numbers.tolist() == [1858500075]
