"""NAV's backend for the feed: the rules of GET /helse/v1/trygdehendelser/hendelser behind the gateway.

Spring-style conversion of its three parameters (and Spring's 400 when one cannot be read), the page a query
selects, the page's bytes in the order NAV documents, and a cache of event text so a page is a join.
"""

from emulator.nav.feed import FeedQuery, parse_query
from emulator.nav.fragments import PageAnswer
from emulator.nav.pages import Pages

__all__ = [
    "FeedQuery",
    "PageAnswer",
    "Pages",
    "parse_query",
]
