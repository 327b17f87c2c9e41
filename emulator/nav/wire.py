"""The feed's page on the wire: a `Trygdehendelse` joined from the events' cached JSON text."""

from __future__ import annotations

EMPTY_PAGE = b'{"antallHendelser":0,"hendelser":[],"totaltAntallHendelser":0}'


def page_body(fragments: list[str], total: int) -> bytes:
    """A `Trygdehendelse`: antallHendelser, hendelser, totaltAntallHendelser."""
    if not fragments and total == 0:
        return EMPTY_PAGE
    return (
        f'{{"antallHendelser":{len(fragments)},"hendelser":[{",".join(fragments)}],"totaltAntallHendelser":{total}}}'
    ).encode()
