"""opprettetDato text: Oslo time across DST changes, both styles, Jackson's fraction trimming, parsing."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from emulator.eventlog.timestamps import OsloTime, parse_instant
from emulator.settings import TimestampStyle

_OSLO = ZoneInfo("Europe/Oslo")


def _utc_ms(text: str) -> int:
    """Epoch milliseconds of a UTC wall time `YYYY-MM-DDTHH:MM:SS.mmm`, by the standard library alone."""
    moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1000 + moment.microsecond // 1000


@pytest.mark.parametrize(
    ("instant_ms", "offset_text", "local_text"),
    [
        (_utc_ms("2024-03-31T00:59:59.999"), "2024-03-31T01:59:59.999+01:00", "2024-03-31T01:59:59.999"),
        (_utc_ms("2024-03-31T01:00:00.000"), "2024-03-31T03:00:00.000+02:00", "2024-03-31T03:00:00"),
        (_utc_ms("2024-03-31T01:00:00.001"), "2024-03-31T03:00:00.001+02:00", "2024-03-31T03:00:00.001"),
        (_utc_ms("2024-10-27T00:59:59.999"), "2024-10-27T02:59:59.999+02:00", "2024-10-27T02:59:59.999"),
        (_utc_ms("2024-10-27T01:00:00.000"), "2024-10-27T02:00:00.000+01:00", "2024-10-27T02:00:00"),
        (_utc_ms("2024-10-27T00:30:00.000"), "2024-10-27T02:30:00.000+02:00", "2024-10-27T02:30:00"),
        (_utc_ms("2024-10-27T01:30:00.000"), "2024-10-27T02:30:00.000+01:00", "2024-10-27T02:30:00"),
        (_utc_ms("2025-03-04T11:34:56.789"), "2025-03-04T12:34:56.789+01:00", "2025-03-04T12:34:56.789"),
        (_utc_ms("2024-12-31T23:00:00.000"), "2025-01-01T00:00:00.000+01:00", "2025-01-01T00:00:00"),
        (_utc_ms("2024-02-28T23:30:00.000"), "2024-02-29T00:30:00.000+01:00", "2024-02-29T00:30:00"),
        (0, "1970-01-01T01:00:00.000+01:00", "1970-01-01T01:00:00"),
        (-1, "1970-01-01T00:59:59.999+01:00", "1970-01-01T00:59:59.999"),
    ],
    ids=[
        "last-winter-ms-before-spring-forward",
        "first-summer-ms-after-spring-forward",
        "just-after-spring-forward",
        "last-summer-ms-before-fall-back",
        "first-winter-ms-after-fall-back",
        "first-0230-on-fall-back-night",
        "second-0230-on-fall-back-night",
        "winter-day",
        "new-year-in-oslo-not-utc",
        "leap-day-in-oslo-not-utc",
        "epoch",
        "before-epoch",
    ],
)
def test_oslo_time_in_both_styles(instant_ms: int, offset_text: str, local_text: str) -> None:
    oslo = OsloTime()
    assert oslo.format_one(instant_ms, TimestampStyle.OFFSET) == offset_text
    assert oslo.format_one(instant_ms, TimestampStyle.LOCAL) == local_text


@pytest.mark.parametrize(
    ("millisecond", "local_fraction"),
    [(0, ""), (1, ".001"), (10, ".01"), (100, ".1"), (120, ".12"), (123, ".123"), (500, ".5"), (999, ".999")],
    ids=[".000", ".001", ".010", ".100", ".120", ".123", ".500", ".999"],
)
def test_local_style_drops_trailing_fraction_zeros_like_jackson(millisecond: int, local_fraction: str) -> None:
    oslo = OsloTime()
    instant = _utc_ms("2025-06-01T10:00:00.000") + millisecond
    assert oslo.format_one(instant, TimestampStyle.LOCAL) == f"2025-06-01T12:00:00{local_fraction}"
    assert oslo.format_one(instant, TimestampStyle.OFFSET) == f"2025-06-01T12:00:00.{millisecond:03d}+02:00"


def test_local_style_keeps_zero_seconds_and_minutes() -> None:
    # Jackson writes ISO_LOCAL_DATE_TIME, which always has seconds (LocalDateTime.toString() would drop them).
    assert OsloTime().format_one(_utc_ms("2025-01-01T11:00:00.000"), TimestampStyle.LOCAL) == "2025-01-01T12:00:00"


def test_a_batch_spanning_both_changes_formats_each_instant_with_its_own_offset() -> None:
    instants = [
        _utc_ms("2024-10-27T01:00:00.000"),
        _utc_ms("2024-03-31T00:59:59.999"),
        _utc_ms("2024-03-31T01:00:00.000"),
        _utc_ms("2024-10-27T00:59:59.999"),
        _utc_ms("2024-03-31T01:00:00.000"),
    ]
    texts = OsloTime().format(np.array(instants, dtype=np.int64), TimestampStyle.OFFSET)
    assert texts == [
        "2024-10-27T02:00:00.000+01:00",
        "2024-03-31T01:59:59.999+01:00",
        "2024-03-31T03:00:00.000+02:00",
        "2024-10-27T02:59:59.999+02:00",
        "2024-03-31T03:00:00.000+02:00",
    ]


def test_an_empty_batch_formats_to_nothing() -> None:
    assert OsloTime().format(np.empty(0, dtype=np.int64), TimestampStyle.OFFSET) == []


@given(st.integers(_utc_ms("1950-01-01T00:00:00.000"), _utc_ms("2100-01-01T00:00:00.000")))
def test_offset_style_agrees_with_zoneinfo(instant_ms: int) -> None:
    expected = datetime.fromtimestamp(instant_ms / 1000, UTC).astimezone(_OSLO)
    expected = expected.replace(microsecond=instant_ms % 1000 * 1000)
    assert OsloTime().format_one(instant_ms, TimestampStyle.OFFSET) == expected.isoformat(timespec="milliseconds")


@given(st.integers(_utc_ms("1900-01-01T00:00:00.000"), _utc_ms("2200-01-01T00:00:00.000")))
def test_offset_style_parses_back_to_the_same_instant(instant_ms: int) -> None:
    assert parse_instant(OsloTime().format_one(instant_ms, TimestampStyle.OFFSET)) == instant_ms


@given(st.integers(_utc_ms("1990-01-01T00:00:00.000"), _utc_ms("2100-01-01T00:00:00.000")))
def test_local_style_parses_back_outside_the_repeated_autumn_hour(instant_ms: int) -> None:
    # An Oslo wall time in the hour repeated when summer time ends names two instants, read as the first.
    assume(datetime.fromtimestamp(instant_ms // 1000, UTC).astimezone(_OSLO).fold == 0)
    assert parse_instant(OsloTime().format_one(instant_ms, TimestampStyle.LOCAL)) == instant_ms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-31T03:00:00.000+02:00", _utc_ms("2024-03-31T01:00:00.000")),
        ("2024-03-31T01:00:00Z", _utc_ms("2024-03-31T01:00:00.000")),
        ("2024-03-31T01:00:00.000+00:00", _utc_ms("2024-03-31T01:00:00.000")),
        ("2025-03-04T12:34:56.789", _utc_ms("2025-03-04T11:34:56.789")),
        ("2025-07-04T12:34:56", _utc_ms("2025-07-04T10:34:56.000")),
        ("2025-03-04T12:34:56.789999+01:00", _utc_ms("2025-03-04T11:34:56.789")),
        ("2024-10-27T02:30:00", _utc_ms("2024-10-27T00:30:00.000")),
        ("1969-12-31T23:59:59.999+00:00", -1),
    ],
    ids=[
        "offset",
        "z-suffix",
        "utc-offset",
        "no-offset-is-oslo-winter",
        "no-offset-is-oslo-summer",
        "finer-digits-dropped",
        "repeated-hour-reads-as-the-first",
        "before-epoch",
    ],
)
def test_parse_instant(text: str, expected: int) -> None:
    assert parse_instant(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "yesterday", "2024-13-01T00:00:00", "2024-02-30T00:00:00"],
    ids=["empty", "words", "month-13", "30th-of-february"],
)
def test_parse_instant_rejects_what_is_not_a_date_time(text: str) -> None:
    with pytest.raises(ValueError, match=r"Invalid isoformat|must be in|day is out of range"):
        parse_instant(text)
