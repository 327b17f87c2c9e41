"""A record as MEDL's JSON: the fields in the order NAV's consumers list them, empty ones left out."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from emulator.eventlog import OsloTime
from emulator.medl import codes
from emulator.medl.derivation import Record


def record_object(record: Record, oslo: OsloTime, *, traces: bool) -> dict[str, Any]:
    """A `Medlemskapsunntak`; `sporingsinformasjon` only when asked for (`inkluderSporingsinfo=true`)."""
    body: dict[str, Any] = {
        "unntakId": record.unntak_id,
        "ident": record.ident,
        "fraOgMed": date.fromordinal(record.fra_og_med).isoformat(),
        "tilOgMed": date.fromordinal(record.til_og_med).isoformat(),
        "status": record.status,
        "statusaarsak": record.statusaarsak,
        "dekning": record.dekning,
        "helsedel": record.helsedel,
        "medlem": record.medlem,
        "lovvalgsland": record.lovvalgsland,
        "lovvalg": record.lovvalg,
        "grunnlag": record.grunnlag,
    }
    if traces:
        # LocalDateTime, as Jackson writes it: Oslo time without an offset, trailing zeros of the fraction dropped.
        opprettet = local_date_time(oslo, record.opprettet_ms)
        sist_endret = local_date_time(oslo, record.sist_endret_ms)
        body["sporingsinformasjon"] = {
            "versjon": record.versjon,
            "registrert": opprettet[:10],
            "besluttet": None if record.status == codes.UAVK else sist_endret[:10],
            "kilde": record.kilde,
            "kildedokument": record.kildedokument,
            "opprettet": opprettet,
            "opprettetAv": record.opprettet_av,
            "sistEndret": sist_endret,
            "sistEndretAv": record.sist_endret_av,
        }
    if record.studie is not None:
        body["studieinformasjon"] = {
            "statsborgerland": record.studie.statsborgerland,
            "studieland": record.studie.studieland,
            "delstudie": record.studie.delstudie,
            "soeknadInnvilget": record.studie.soeknad_innvilget,
        }
    return _without_nulls(body)


_EPOCH = datetime(1970, 1, 1)


def local_date_time(oslo: OsloTime, instant_ms: int) -> str:
    """Oslo time as Jackson writes a LocalDateTime (TimestampStyle.LOCAL), a microsecond's work instead of numpy's."""
    text = (_EPOCH + timedelta(milliseconds=instant_ms + oslo.offset_ms(instant_ms))).isoformat(timespec="milliseconds")
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


def _without_nulls(body: dict[str, Any]) -> dict[str, Any]:
    # MEDL's JSON leaves empty fields out rather than writing null (as in the answers NAV's consumers test with).
    return {
        name: _without_nulls(value) if isinstance(value, dict) else value
        for name, value in body.items()
        if value is not None
    }
