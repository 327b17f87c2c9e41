"""How a period's fields move from version to version: the groups of fields, the order they change in, and
each group's value at a version as its last anchor moved on by the changes since (closed-form in the version).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from emulator.eventlog import Group
from emulator.medl import codes

DATES, STATUS, COVERAGE, BASIS = "dates", "status", "coverage", "basis"
GROUP_OF_FIELD = {
    "fraOgMed": DATES,
    "tilOgMed": DATES,
    "status": STATUS,
    "statusaarsak": STATUS,
    "lovvalg": STATUS,
    "dekning": COVERAGE,
    "helsedel": COVERAGE,
    "medlem": BASIS,
    "lovvalgsland": BASIS,
    "grunnlag": BASIS,
}
# The order a period's changes come in, repeated: one is drawn per period.
PATTERNS = (
    (DATES,),
    (DATES, STATUS),
    (STATUS, DATES, COVERAGE),
    (DATES, DATES, STATUS),
    (COVERAGE, DATES),
    (DATES, STATUS, DATES, COVERAGE),
)
# The end moves out and back in steps (0, 1, ..., K, K-1, ..., 1, 0, 1, ...): always by one step, never far.
ZIGZAG = 8


@dataclass(frozen=True, slots=True)
class Period:
    """What never changes by itself: drawn from (seed, periodeId) and the OPPRETTET's fields."""

    pattern: tuple[str, ...]
    step_days: int
    uavk_lovvalg: str
    kilde: str
    kildedokument: str


def merge(period: Period, values: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    """`values` with the given fields set, and the fields that follow them (reason, choice of law, health part)."""
    merged = dict(values)
    for name in ("fraOgMed", "tilOgMed"):
        if name in fields:
            merged[name] = date.fromisoformat(fields[name]).toordinal()
    for name in ("medlem", "lovvalgsland", "grunnlag"):
        if name in fields:
            merged[name] = fields[name]
    if "status" in fields:
        merged["status"] = fields["status"]
        merged["statusaarsak"] = fields.get("statusaarsak", reason_of(fields["status"], via_cycle=False))
        merged["lovvalg"] = fields.get("lovvalg", lovvalg_of(period, fields["status"]))
    else:
        merged["statusaarsak"] = fields.get("statusaarsak", merged["statusaarsak"])
        merged["lovvalg"] = fields.get("lovvalg", merged["lovvalg"])
    if "dekning" in fields:
        merged["dekning"] = fields["dekning"]
        merged["helsedel"] = fields.get("helsedel", codes.HELSEDEL[fields["dekning"]])
    else:
        merged["helsedel"] = fields.get("helsedel", merged["helsedel"])
    return merged


def at(
    period: Period, anchors: Mapping[str, tuple[int, Mapping[str, Any]]], version: int, group: Group
) -> dict[str, Any]:
    """Every field at `version`: each group's anchor moved on by its changes since."""
    values: dict[str, Any] = dict(anchors[BASIS][1])
    start, anchor = anchors[DATES]
    moves = _changes(period.pattern, DATES, start, version)
    values["fraOgMed"] = anchor["fraOgMed"]
    values["tilOgMed"] = anchor["tilOgMed"] + period.step_days * (ZIGZAG - abs(ZIGZAG - moves % (2 * ZIGZAG)))
    start, anchor = anchors[STATUS]
    moves = _changes(period.pattern, STATUS, start, version)
    if moves:
        status = codes.STATUS_CYCLE[(codes.STATUS_CYCLE.index(anchor["status"]) + moves) % len(codes.STATUS_CYCLE)]
        values.update(status=status, statusaarsak=reason_of(status, via_cycle=True), lovvalg=lovvalg_of(period, status))
    else:
        values.update(status=anchor["status"], statusaarsak=anchor["statusaarsak"], lovvalg=anchor["lovvalg"])
    start, anchor = anchors[COVERAGE]
    moves = _changes(period.pattern, COVERAGE, start, version)
    if moves:
        options = codes.COVERAGE_OPTIONS[(group, bool(values["medlem"]))]
        place = options.index(anchor["dekning"]) if anchor["dekning"] in options else -1
        dekning = options[(place + moves) % len(options)]
        values.update(dekning=dekning, helsedel=codes.HELSEDEL[dekning])
    else:
        values.update(dekning=anchor["dekning"], helsedel=anchor["helsedel"])
    return values


def _changes(pattern: Sequence[str], group: str, after: int, upto: int) -> int:
    """How many of the versions after..upto (ENDRET number v is pattern[(v - 1) % len]) change `group`."""
    return _changes_upto(pattern, group, upto) - _changes_upto(pattern, group, after)


def _changes_upto(pattern: Sequence[str], group: str, version: int) -> int:
    rounds, rest = divmod(version, len(pattern))
    return rounds * pattern.count(group) + pattern[:rest].count(group)


def reason_of(status: str, *, via_cycle: bool) -> str | None:
    if status != codes.AVST:
        return None
    # Going round the cycle, AVST follows GYLD: a valid period that ended. Set directly: a rejected one.
    return codes.OPPHORT if via_cycle else codes.AVVIST


def lovvalg_of(period: Period, status: str) -> str:
    return period.uavk_lovvalg if status == codes.UAVK else codes.ENDL
