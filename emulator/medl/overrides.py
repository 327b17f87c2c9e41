"""MEDL fields given with appended events (`medlemskapsunntak`), checked against MEDL's rules before any append.

For OPPRETTET any field may be given, for ENDRET those that change; the rest are generated as for the seeded
log. A batch is checked in order (a period made and changed in one batch included), and a field that breaks
a rule names its event and the rule, so nothing of the batch is appended.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from emulator.eventlog import AppendRejectedError, EventType, Group, NewEvent, PeriodIndex
from emulator.medl import codes
from emulator.medl.derivation import MAX_DAY, MIN_DAY, History, Record, derive, with_fields
from emulator.medl.history import history_of

_CODES: dict[str, tuple[str, ...]] = {
    "status": codes.STATUSES,
    "dekning": codes.DEKNINGER,
    "lovvalg": codes.LOVVALG,
    "grunnlag": codes.GRUNNLAG,
}
_BOOLEANS = ("helsedel", "medlem")
_DATES = ("fraOgMed", "tilOgMed")
_DERIVED = ("versjon", "registrert", "besluttet", "opprettet", "opprettetAv", "sistEndret", "sistEndretAv")
FIELDS = ("unntakId", "ident", *_DATES, "status", "statusaarsak", "dekning", *_BOOLEANS, "lovvalgsland", "lovvalg",
          "grunnlag", "sporingsinformasjon")  # fmt: skip


class MedlRuleError(ValueError):
    """A given field breaks one of MEDL's rules; the message names the field and the rule."""


def check_planned(periods: PeriodIndex, seed: int, planned: Sequence[NewEvent]) -> None:
    """AppendRejectedError naming the event and the rule when any MEDL field given with `planned` breaks one."""
    staged: dict[int, History] = {}
    for index, event in enumerate(planned, start=1):
        known = staged.get(event.period_id) or history_of(periods, event.period_id)
        history = _extended(known, event)
        if event.medl is not None:
            try:
                fields = check_fields(event, event.medl)
                version = history.versjon
                history = with_fields(history, version, fields)
                after = derive(seed, history)
                before = None if known is None or event.type is EventType.OPPRETTET else derive(seed, known)
                check_record(after, history.group, before)
            except MedlRuleError as error:
                raise AppendRejectedError(f"event {index} of {len(planned)}: medlemskapsunntak{error}") from None
        staged[event.period_id] = history


def check_fields(event: NewEvent, given: Mapping[str, Any]) -> dict[str, Any]:
    """The given fields, each of a known name, type and code; MedlRuleError otherwise."""
    if not isinstance(given, Mapping):
        raise MedlRuleError(": must be an object of MEDL's fields")
    if event.type is EventType.ANNULLERT:
        raise MedlRuleError(": ANNULLERT carries no fields; it sets status AVST and statusaarsak Feilregistrert")
    fields: dict[str, Any] = {}
    for name, value in given.items():
        if name not in FIELDS:
            raise MedlRuleError(
                f".{name}: not a field of Medlemskapsunntak that can be given (known: {', '.join(FIELDS)})"
            )
        if name == "unntakId":
            if value != event.period_id or isinstance(value, bool):
                raise MedlRuleError(f".unntakId: is the event's periodeId ({event.period_id}), not {value!r}")
        elif name == "ident":
            if value != event.personident:
                raise MedlRuleError(f".ident: is the event's personident ({event.personident}), not {value!r}")
        elif name == "sporingsinformasjon":
            fields[name] = _origin(event, value)
        else:
            fields[name] = _value(name, value)
    if event.type is EventType.ENDRET and not any(name in fields for name in FIELDS[2:-1]):
        raise MedlRuleError(": an ENDRET gives the fields that change, and none is given")
    return fields


def check_record(record: Record, group: Group, before: Record | None) -> None:
    """The rules every record keeps; for an ENDRET (`before` given), that it changes something."""
    if record.til_og_med < record.fra_og_med:
        raise MedlRuleError(
            f".tilOgMed: may not be before fraOgMed ({_iso(record.til_og_med)} is before {_iso(record.fra_og_med)})"
        )
    if group is Group.EOS:
        if not codes.is_eu_grunnlag(record.grunnlag):
            raise MedlRuleError(
                f".grunnlag: an EOS period's grunnlag is an article of the EU regulation (FO_…), not {record.grunnlag}"
            )
        if record.lovvalgsland not in codes.EEA_COUNTRIES:
            raise MedlRuleError(
                f".lovvalgsland: an EOS period's lovvalgsland is an EU/EEA country, not {record.lovvalgsland}"
            )
    elif not codes.is_national_or_bilateral(record.grunnlag):
        raise MedlRuleError(
            f".grunnlag: an OEVRIGE period's grunnlag is national law (FTL_…) or a bilateral agreement, "
            f"not {record.grunnlag}"
        )
    if record.status == codes.GYLD and record.statusaarsak is not None:
        raise MedlRuleError(f".statusaarsak: a GYLD period has none, not {record.statusaarsak}")
    if before is not None and before.fields() == record.fields():
        raise MedlRuleError(": an ENDRET changes at least one field, and these are the period's values already")


def _value(name: str, value: Any) -> Any:
    if name in _DATES:
        try:
            day = date.fromisoformat(value).toordinal() if isinstance(value, str) and len(value) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise MedlRuleError(f".{name}: must be a date like 2024-01-31, not {value!r}")
        if not MIN_DAY <= day <= MAX_DAY:
            raise MedlRuleError(f".{name}: must lie between {_iso(MIN_DAY)} and {_iso(MAX_DAY)}, not {value}")
        return value
    if name in _BOOLEANS:
        if not isinstance(value, bool):
            raise MedlRuleError(f".{name}: must be true or false, not {value!r}")
        return value
    if name == "statusaarsak":
        if value == codes.FEILREGISTRERT:
            raise MedlRuleError(".statusaarsak: Feilregistrert is what ANNULLERT sets; give Avvist or Opphort")
        if value is not None and value not in codes.STATUSAARSAKER:
            raise MedlRuleError(f".statusaarsak: unknown code {value!r} (known: Avvist, Opphort, or null)")
        return value
    if name == "lovvalgsland":
        if value is not None and value not in codes.COUNTRIES:
            raise MedlRuleError(
                f".lovvalgsland: unknown ISO 3166 alpha-3 code {value!r} (known: {', '.join(codes.COUNTRIES)})"
            )
        return value
    known = _CODES[name]
    if value not in known:
        raise MedlRuleError(f".{name}: unknown code {value!r} (known: {', '.join(known)})")
    return value


def _origin(event: NewEvent, value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise MedlRuleError(".sporingsinformasjon: must be an object")
    if event.type is not EventType.OPPRETTET:
        raise MedlRuleError(
            ".sporingsinformasjon: kilde and kildedokument are given when the period is made (OPPRETTET)"
        )
    origin: dict[str, str] = {}
    for name, given in value.items():
        if name in _DERIVED:
            raise MedlRuleError(f".sporingsinformasjon.{name}: follows the feed's events and cannot be given")
        known = {"kilde": codes.KILDER, "kildedokument": codes.KILDEDOKUMENTER}.get(name)
        if known is None:
            raise MedlRuleError(f".sporingsinformasjon.{name}: not a field that can be given (kilde, kildedokument)")
        if given not in known:
            raise MedlRuleError(f".sporingsinformasjon.{name}: unknown code {given!r} (known: {', '.join(known)})")
        origin[name] = given
    return origin


def _extended(history: History | None, event: NewEvent) -> History:
    """The period's history with `event` after it (the lifecycle is checked already)."""
    if history is None or event.type is EventType.OPPRETTET:
        return History(event.period_id, event.personident, event.group, event.created_ms, event.created_ms, 0, False)
    return History(
        period_id=history.period_id,
        ident=history.ident,
        group=history.group,
        opprettet_ms=history.opprettet_ms,
        sist_endret_ms=event.created_ms,
        versjon=history.versjon + (event.type is EventType.ENDRET),
        annulled=event.type is EventType.ANNULLERT,
        anchors=history.anchors,
    )


def _iso(day: int) -> str:
    return date.fromordinal(day).isoformat()
