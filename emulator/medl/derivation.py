"""A period's MEDL record as a function of the seed and the period's events (and any fields given with them).

Nothing is stored per period. What a period is (its legal basis, country, source) is drawn once from
(seed, periodeId); each ENDRET changes one group of fields, in an order drawn per period: the dates (the end
moves), the status (round UAVK → GYLD → AVST) or the coverage (round the period's options), so every
ENDRET changes something. Version v's fields are closed-form in v: a group's value is its last anchor
(OPPRETTET, or an event that gave fields of that group) moved on by the number of its changes since.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from emulator.eventlog import Group
from emulator.medl import codes
from emulator.medl.changes import BASIS, COVERAGE, DATES, GROUP_OF_FIELD, PATTERNS, STATUS, Period, at, merge
from emulator.medl.draws import Draws

MIN_DAY = date(1900, 1, 1).toordinal()
# Late enough for any real period, early enough that the end can always move ZIGZAG steps of a year later.
MAX_DAY = date(9988, 12, 31).toordinal()
MS_PER_DAY = 86_400_000

# Purposes of the draws (see draws.Draws); new ones go at the end, or every seeded answer changes.
_GRUNNLAG, _COUNTRY, _NATIONAL, _KILDE, _KILDEDOKUMENT, _START, _LENGTH, _STEP = range(8)
_PATTERN, _STATUS, _LOVVALG, _UAVK_LOVVALG, _DEKNING, _STUDIELAND, _DELSTUDIE, _INNVILGET, _ACTOR = range(8, 17)


@dataclass(frozen=True, slots=True)
class History:
    """What MEDL needs of a period's events: counts, times and the fields given with them, as of a head."""

    period_id: int
    ident: str
    group: Group
    opprettet_ms: int
    sist_endret_ms: int
    versjon: int
    annulled: bool
    # (version, fields) in ascending version: fields given with OPPRETTET (version 0) or an ENDRET.
    anchors: tuple[tuple[int, Mapping[str, Any]], ...] = ()


@dataclass(frozen=True, slots=True)
class Studie:
    statsborgerland: str
    studieland: str
    delstudie: bool
    soeknad_innvilget: bool


@dataclass(frozen=True, slots=True)
class Record:
    """One Medlemskapsunntak; dates as ordinals, times as epoch milliseconds."""

    unntak_id: int
    ident: str
    fra_og_med: int
    til_og_med: int
    status: str
    statusaarsak: str | None
    dekning: str
    helsedel: bool
    medlem: bool
    lovvalgsland: str | None
    lovvalg: str
    grunnlag: str
    versjon: int
    kilde: str
    kildedokument: str
    opprettet_ms: int
    sist_endret_ms: int
    opprettet_av: str
    sist_endret_av: str
    studie: Studie | None = field(default=None)

    def fields(self) -> dict[str, Any]:
        """The record's changeable fields in MEDL's names (what ENDRET compares)."""
        return {
            "fraOgMed": self.fra_og_med,
            "tilOgMed": self.til_og_med,
            "status": self.status,
            "statusaarsak": self.statusaarsak,
            "dekning": self.dekning,
            "helsedel": self.helsedel,
            "medlem": self.medlem,
            "lovvalgsland": self.lovvalgsland,
            "lovvalg": self.lovvalg,
            "grunnlag": self.grunnlag,
        }


def derive(seed: int, history: History) -> Record:
    """The period's record after its last event in `history`."""
    draws = Draws(seed, history.period_id)
    given = dict(history.anchors[0][1]) if history.anchors and history.anchors[0][0] == 0 else {}
    period, values = _opening(draws, history, given)
    anchors = dict.fromkeys((DATES, STATUS, COVERAGE, BASIS), (0, values))
    later = [(version, fields) for version, fields in history.anchors if 0 < version <= history.versjon]
    for version, fields in later:
        now = at(period, anchors, version, history.group)
        touched = {GROUP_OF_FIELD[name] for name in fields if name in GROUP_OF_FIELD}
        if "medlem" in fields:
            touched.add(COVERAGE)  # the coverage options follow membership: restart their round here
        merged = merge(period, now, fields)
        for group in touched:
            anchors[group] = (version, merged)
    current = at(period, anchors, history.versjon, history.group)
    if history.annulled:
        current = {**current, "status": codes.AVST, "statusaarsak": codes.FEILREGISTRERT}
    actor = _actor(draws, period.kilde, 0)
    last_actor = actor if history.versjon == 0 else _actor(draws, period.kilde, history.versjon)
    studie = None
    if period.kilde == codes.LAANEKASSEN:
        studie = Studie(
            statsborgerland=codes.NORWAY,
            studieland=draws.pick(_STUDIELAND, codes.STUDY_COUNTRIES),
            delstudie=draws.chance(_DELSTUDIE, 200),
            soeknad_innvilget=draws.chance(_INNVILGET, 850),
        )
    return Record(
        unntak_id=history.period_id,
        ident=history.ident,
        fra_og_med=current["fraOgMed"],
        til_og_med=current["tilOgMed"],
        status=current["status"],
        statusaarsak=current["statusaarsak"],
        dekning=current["dekning"],
        helsedel=current["helsedel"],
        medlem=current["medlem"],
        lovvalgsland=current["lovvalgsland"],
        lovvalg=current["lovvalg"],
        grunnlag=current["grunnlag"],
        versjon=history.versjon,
        kilde=period.kilde,
        kildedokument=period.kildedokument,
        opprettet_ms=history.opprettet_ms,
        sist_endret_ms=history.sist_endret_ms,
        opprettet_av=actor,
        sist_endret_av=last_actor,
        studie=studie,
    )


def day_of(instant_ms: int) -> int:
    """The date (as an ordinal) an instant falls on in Norway; close enough for a period's dates."""
    return date(1970, 1, 1).toordinal() + (instant_ms + 3_600_000) // MS_PER_DAY


def _opening(draws: Draws, history: History, given: dict[str, Any]) -> tuple[Period, dict[str, Any]]:
    group = history.group
    if group is Group.EOS:
        country = codes.NORWAY if draws.chance(_COUNTRY, 450) else draws.pick(_COUNTRY, codes.EEA_COUNTRIES[1:])
        grunnlag = draws.weighted(_GRUNNLAG, codes.EU_GRUNNLAG)
        medlem = country == codes.NORWAY
        kilde = draws.weighted(_KILDE, codes.EOS_KILDER)
    else:
        bilateral = not draws.chance(_NATIONAL, 750)
        if bilateral:
            grunnlag = draws.pick(_GRUNNLAG, tuple(codes.BILATERAL_GRUNNLAG))
            country, medlem = codes.BILATERAL_GRUNNLAG[grunnlag], False
        else:
            grunnlag = draws.pick(_GRUNNLAG, tuple(codes.NATIONAL_GRUNNLAG))
            country, medlem = codes.NORWAY, codes.NATIONAL_GRUNNLAG[grunnlag]
        kilde = draws.weighted(_KILDE, codes.OEVRIGE_KILDER)
        if kilde == codes.LAANEKASSEN and not medlem:
            kilde = "MEDL"  # Lånekassen reports students who stay members
    origin = given.get("sporingsinformasjon") or {}
    kilde = origin.get("kilde", kilde)
    documents = codes.KILDEDOKUMENT_OF_KILDE.get(kilde, codes.DEFAULT_KILDEDOKUMENTER)
    kildedokument = origin.get("kildedokument", draws.pick(_KILDEDOKUMENT, documents))
    basis = {"grunnlag": grunnlag, "lovvalgsland": country, "medlem": medlem}
    for name in ("grunnlag", "lovvalgsland", "medlem"):
        basis[name] = given.get(name, basis[name])
    if "lovvalgsland" in given and "medlem" not in given:
        basis["medlem"] = given["lovvalgsland"] == codes.NORWAY
    start = min(max(day_of(history.opprettet_ms) - 400 + draws.below(_START, 460), MIN_DAY), MAX_DAY - 1200)
    length = (30, 180, 365, 730, 1095)[draws.below(_LENGTH, 5)] - 1
    status = codes.GYLD if draws.chance(_STATUS, 700) else codes.UAVK
    uavk_lovvalg = codes.FORL if draws.chance(_UAVK_LOVVALG, 500) else codes.UAVK
    lovvalg = (codes.ENDL if draws.chance(_LOVVALG, 850) else codes.FORL) if status == codes.GYLD else uavk_lovvalg
    options = codes.COVERAGE_OPTIONS[(group, bool(basis["medlem"]))]
    dekning = options[0] if draws.chance(_DEKNING, 600) else draws.pick(_DEKNING, options)
    period = Period(
        pattern=draws.pick(_PATTERN, PATTERNS),
        step_days=30 + draws.below(_STEP, 336),
        uavk_lovvalg=uavk_lovvalg,
        kilde=kilde,
        kildedokument=kildedokument,
    )
    values: dict[str, Any] = {
        **basis,
        "fraOgMed": start,
        "tilOgMed": start + length,
        "status": status,
        "statusaarsak": None,
        "lovvalg": lovvalg,
        "dekning": dekning,
        "helsedel": codes.HELSEDEL[dekning],
    }
    return period, merge(period, values, given)


def _actor(draws: Draws, kilde: str, version: int) -> str:
    """Who registered or changed the period: the source's service user, or a caseworker's synthetic Z-ident."""
    if kilde.startswith("srv"):
        return kilde
    return f"Z99{draws.below(_ACTOR + 64 * version, 10_000):04d}"


def with_fields(history: History, version: int, fields: Mapping[str, Any]) -> History:
    """`history` with fields given at `version` (its last event), for checking them before they are appended."""
    return replace(history, anchors=(*history.anchors, (version, fields)))
