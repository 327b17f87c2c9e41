"""The API's semantics: its three query parameters as Spring reads them, and the page they select.

Parameters are converted the way Spring MVC converts `@RequestParam Long/Integer/enum` (all whitespace
removed from numbers, hex accepted, the first of repeated values used, an empty value treated as absent),
so a request the emulator accepts is one NAV's backend accepts, and every rejection names its parameter.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from emulator.errors import BadRequestError
from emulator.eventlog import EventLog, GroupFilter, Rows

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 100
OPERATION = "hentTrygdehendelser"

_INT64 = (-(2**63), 2**63 - 1)
_INT32 = (-(2**31), 2**31 - 1)
# Java's Long.valueOf takes any Unicode decimal digit, as Python's \d and int() do.
_DECIMAL = re.compile(r"[+-]?\d+")
_HEX = re.compile(r"(-?)(?:0[xX]|#)([0-9a-fA-F]+)")
# java.lang.Character.isWhitespace, which Spring's StringUtils.trimAllWhitespace removes everywhere.
_JAVA_WHITESPACE = dict.fromkeys(
    map(ord, " \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\u1680\u2028\u2029\u205f\u3000"),
) | dict.fromkeys([*range(0x2000, 0x2007), *range(0x2008, 0x200B)])
# java.lang.String.trim: every character up to and including the space.
_JAVA_TRIMMED = "".join(map(chr, range(33)))
_JAVA_TYPES = {_INT64: "Long", _INT32: "Integer"}
# More digits than any int64 has; Python's int() refuses very long digit strings, Java reads them all.
_MAX_DIGITS = 20


@dataclass(frozen=True, slots=True)
class FeedQuery:
    from_number: int
    size: int = DEFAULT_PAGE_SIZE
    group_filter: GroupFilter = GroupFilter.ALLE


@dataclass(frozen=True, slots=True)
class Page:
    """The rows of the selected events and `totaltAntallHendelser`."""

    rows: Rows | slice
    total: int


def parse_query(first_value: Callable[[str], str | None]) -> FeedQuery:
    """Read the query from `first_value(name)`, the first value given for a name or None when absent."""
    from_number = _integer(first_value, "hendelsesnummer", _INT64, required=True)
    size = _integer(first_value, "antallHendelser", _INT32, required=False)
    group_filter = _group_filter(first_value("hjemmelgruppe"))
    assert from_number is not None
    if from_number < 0:
        raise BadRequestError(f"{OPERATION}.hendelsesnummer: must be greater than or equal to 0")
    if size is None:
        size = DEFAULT_PAGE_SIZE
    elif size < 1:
        raise BadRequestError(f"{OPERATION}.antallHendelser: must be greater than or equal to 1")
    elif size > MAX_PAGE_SIZE:
        raise BadRequestError(f"{OPERATION}.antallHendelser: must be less than or equal to {MAX_PAGE_SIZE}")
    return FeedQuery(from_number=from_number, size=size, group_filter=group_filter)


def select_page(log: EventLog, query: FeedQuery) -> Page:
    """Events numbered `from_number` or later that match the filter, ascending, at most `size` of them."""
    first_row = max(query.from_number, 1) - 1
    rows, total = log.rows_from(first_row, query.size, query.group_filter.group)
    return Page(rows=rows, total=total)


def _integer(
    first_value: Callable[[str], str | None], name: str, bounds: tuple[int, int], *, required: bool
) -> int | None:
    java_type = _JAVA_TYPES[bounds]
    raw = first_value(name)
    if raw is None or raw == "":
        if not required:
            return None
        state = "not present" if raw is None else "present but converted to null"
        raise BadRequestError(f"Required request parameter '{name}' for method parameter type {java_type} is {state}")
    trimmed = raw.translate(_JAVA_WHITESPACE)
    value = _java_number(trimmed)
    if value is None or not bounds[0] <= value <= bounds[1]:
        raise BadRequestError(
            f"Method parameter '{name}': Failed to convert value of type 'java.lang.String' to required type "
            f"'java.lang.{java_type}'; For input string: {_java_quoted(trimmed)}"
        )
    return value


def _java_number(text: str) -> int | None:
    if _DECIMAL.fullmatch(text):
        return _decimal(text)
    hexadecimal = _HEX.fullmatch(text)
    if hexadecimal:
        sign, digits = hexadecimal.groups()
        return -int(digits, 16) if sign else int(digits, 16)
    return None


def _decimal(text: str) -> int | None:
    """A decimal number of any length, as Long.valueOf reads it; None when it cannot fit in 64 bits."""
    sign = text[0] if text[0] in "+-" else ""
    digits = text[len(sign) :]
    if len(digits) > _MAX_DIGITS:
        # Leading zeros (of any script) do not count; whatever else is too long is out of range.
        significant = next((index for index, digit in enumerate(digits) if int(digit)), len(digits))
        digits = digits[significant:] or "0"
        if len(digits) > _MAX_DIGITS:
            return None
    return int(sign + digits)


def _group_filter(raw: str | None) -> GroupFilter:
    # Spring's StringToEnumConverterFactory trims the value (String.trim) and reads an empty one as absent.
    value = (raw or "").strip(_JAVA_TRIMMED)
    if not value:
        return GroupFilter.ALLE
    try:
        return GroupFilter(value)
    except ValueError:
        accepted = ", ".join(member.value for member in GroupFilter)
        raise BadRequestError(
            "Method parameter 'hjemmelgruppe': Failed to convert value of type 'java.lang.String' "
            f"to required type 'Hjemmelgruppe'; No enum constant Hjemmelgruppe.{value} "
            f"(accepted values: {accepted})"
        ) from None


def _java_quoted(raw: str) -> str:
    return '"' + raw.replace("\\", "\\\\").replace('"', '\\"') + '"'
