"""`opprettetDato` text: instants in Europe/Oslo time, RFC 3339 with offset or Spring's offset-less form."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from emulator.settings import TimestampStyle

OSLO = ZoneInfo("Europe/Oslo")
_MS_PER_HOUR = 3_600_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class OsloTime:
    """Formats instants; remembers Oslo's UTC offset per hour, since DST changes fall on whole UTC hours."""

    def __init__(self) -> None:
        self._offset_ms_by_hour: dict[int, int] = {}

    def offset_ms(self, instant_ms: int) -> int:
        hour = instant_ms // _MS_PER_HOUR
        offset = self._offset_ms_by_hour.get(hour)
        if offset is None:
            moment = datetime.fromtimestamp(hour * 3600, tz=UTC).astimezone(OSLO)
            utc_offset = moment.utcoffset()
            assert utc_offset is not None
            offset = self._offset_ms_by_hour[hour] = int(utc_offset.total_seconds()) * 1000
        return offset

    def format(self, instants_ms: npt.NDArray[np.int64], style: TimestampStyle) -> list[str]:
        offsets = [self.offset_ms(instant) for instant in instants_ms.tolist()]
        local = (instants_ms + np.array(offsets, dtype=np.int64)).astype("datetime64[ms]")
        texts: Sequence[str] = np.datetime_as_string(local, unit="ms").tolist()
        if style is TimestampStyle.LOCAL:
            return [_trim_fraction(text) for text in texts]
        return [f"{text}{_offset_text(offset)}" for text, offset in zip(texts, offsets, strict=True)]

    def format_one(self, instant_ms: int, style: TimestampStyle) -> str:
        return self.format(np.array([instant_ms], dtype=np.int64), style)[0]


def _offset_text(offset_ms: int) -> str:
    minutes = abs(offset_ms) // 60_000
    sign = "-" if offset_ms < 0 else "+"
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _trim_fraction(text: str) -> str:
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


def parse_instant(text: str) -> int:
    """An ISO 8601 date-time as epoch milliseconds (finer digits dropped); no offset means Oslo time."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=OSLO)
    return check_instant((moment - _EPOCH) // timedelta(milliseconds=1))


# A day inside datetime's years 1-9999 on both sides, so any such instant can be written in Oslo time.
MIN_INSTANT_MS = (datetime(1, 1, 2, tzinfo=UTC) - _EPOCH) // timedelta(milliseconds=1)
MAX_INSTANT_MS = (datetime(9999, 12, 30, tzinfo=UTC) - _EPOCH) // timedelta(milliseconds=1)


class InstantOutOfRangeError(ValueError):
    """A well-formed instant that opprettetDato and the clock cannot be written for."""


def check_instant(instant_ms: int) -> int:
    """`instant_ms` if opprettetDato and the clock can be written for it; InstantOutOfRangeError otherwise."""
    if not MIN_INSTANT_MS <= instant_ms <= MAX_INSTANT_MS:
        raise InstantOutOfRangeError(f"{instant_ms} ms is outside the years 0001-9999")
    return instant_ms
