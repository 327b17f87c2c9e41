"""MEDL's query and headers as Spring reads them: dates, repeated codes, a boolean, the person's header.

Converted as Spring MVC converts `@RequestParam LocalDate/List<String>/enum/Boolean` and `@RequestHeader`:
an empty value counts as absent, lists also split on commas, and every rejection names its parameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from emulator.errors import BadRequestError
from emulator.medl import codes

PERSON_HEADER = "Nav-Personident"
OPERATION = "hentMedlemskapsunntakListe"
MED_MEDLEMSKAP, UTEN_MEDLEMSKAP = "MED_MEDLEMSKAP", "UTEN_MEDLEMSKAP"
_TYPES = (MED_MEDLEMSKAP, UTEN_MEDLEMSKAP)
_PERSONIDENT = re.compile(r"[0-9]{11}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# java.lang.String.trim: every character up to and including the space.
_JAVA_TRIMMED = "".join(map(chr, range(33)))
# Spring's StringToBooleanConverter.
_TRUE, _FALSE = ("true", "on", "yes", "1"), ("false", "off", "no", "0")
_LONG = (-(2**63), 2**63 - 1)
_HEX = re.compile(r"(-?)(?:0[xX]|#)([0-9a-fA-F]+)")

Query = Mapping[str, Sequence[str]]


@dataclass(frozen=True, slots=True)
class PersonQuery:
    from_day: int | None = None
    to_day: int | None = None
    statuses: frozenset[str] | None = None
    medlem: bool | None = None
    excluded_kilder: frozenset[str] = frozenset()
    traces: bool = False


def personident(raw: str | None) -> str:
    """The `Nav-Personident` header: present, and 11 digits (an empty one is present, and malformed)."""
    if raw is None:
        raise BadRequestError(
            f"Required request header '{PERSON_HEADER}' for method parameter type String is not present"
        )
    value = raw.strip()
    if not _PERSONIDENT.fullmatch(value):
        raise BadRequestError(f'{OPERATION}.{PERSON_HEADER}: must match "[0-9]{{11}}"')
    return value


def person_query(query: Query) -> PersonQuery:
    return PersonQuery(
        from_day=_date(query, "fraOgMed"),
        to_day=_date(query, "tilOgMed"),
        statuses=_codes(query, "statuser", codes.STATUSES),
        medlem=_type(query),
        excluded_kilder=_codes(query, "ekskluderKilder", None) or frozenset(),
        traces=traces(query),
    )


def traces(query: Query) -> bool:
    """`inkluderSporingsinfo`, false unless given."""
    raw = _first(query, "inkluderSporingsinfo")
    if raw is None:
        return False
    value = raw.strip(_JAVA_TRIMMED).lower()
    if value in _TRUE:
        return True
    if value in _FALSE or value == "":
        return False
    raise BadRequestError(
        "Method parameter 'inkluderSporingsinfo': Failed to convert value of type 'java.lang.String' to required "
        f"type 'java.lang.Boolean'; Invalid boolean value [{raw}]"
    )


def unntak_id(raw: str) -> int:
    """The path's `{unntakId}` as Spring converts a Long (whitespace removed, hex read)."""
    text = "".join(raw.split())
    value: int | None = None
    if re.fullmatch(r"[+-]?[0-9]{1,19}", text):
        value = int(text)
    elif hexadecimal := _HEX.fullmatch(text):
        sign, digits = hexadecimal.groups()
        value = -int(digits, 16) if sign else int(digits, 16)
    if value is None or not _LONG[0] <= value <= _LONG[1]:
        quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        raise BadRequestError(
            "Method parameter 'unntakId': Failed to convert value of type 'java.lang.String' to required type "
            f"'java.lang.Long'; For input string: {quoted}"
        )
    return value


def _first(query: Query, name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _date(query: Query, name: str) -> int | None:
    raw = _first(query, name)
    if raw is None or raw.strip() == "":
        return None
    try:
        if not _ISO_DATE.fullmatch(raw.strip()):
            raise ValueError(raw)
        return date.fromisoformat(raw.strip()).toordinal()
    except ValueError:
        raise BadRequestError(
            f"Method parameter '{name}': Failed to convert value of type 'java.lang.String' to required type "
            "'java.time.LocalDate'; Failed to convert from type [java.lang.String] to type "
            "[@org.springframework.web.bind.annotation.RequestParam @org.springframework.format.annotation."
            f"DateTimeFormat java.time.LocalDate] for value [{raw}]"
        ) from None


def _codes(query: Query, name: str, known: tuple[str, ...] | None) -> frozenset[str] | None:
    values = [part.strip(_JAVA_TRIMMED) for raw in query.get(name, ()) for part in raw.split(",")]
    values = [value for value in values if value]
    if not values:
        return None
    for value in values:
        if known is not None and value not in known:
            raise BadRequestError(
                f"Method parameter '{name}': Failed to convert value of type 'java.lang.String[]' to required type "
                f"'java.util.List'; No enum constant PeriodestatusMedl.{value} (accepted values: {', '.join(known)})"
            )
    return frozenset(values)


def _type(query: Query) -> bool | None:
    raw = _first(query, "type")
    value = (raw or "").strip(_JAVA_TRIMMED)
    if not value:
        return None
    if value not in _TYPES:
        raise BadRequestError(
            "Method parameter 'type': Failed to convert value of type 'java.lang.String' to required type "
            f"'MedlemskapType'; No enum constant MedlemskapType.{value} (accepted values: {', '.join(_TYPES)})"
        )
    return value == MED_MEDLEMSKAP
