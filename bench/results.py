"""What a run measured: its settings, and per log size the pages, start-up and memory; the tokens and the drain."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.consumer import DrainResult, feed_target
from bench.measurement import LoadResult
from bench.servers import Startup


@dataclass
class Settings:
    sizes: list[int]
    duration: int
    slice: int
    warmup: int
    connections: list[int]
    loadgen: str


@dataclass(frozen=True)
class Page:
    hjemmelgruppe: str
    position: str
    number: int

    @property
    def target(self) -> str:
        return feed_target(self.number, self.hjemmelgruppe)

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]


@dataclass
class PageRun:
    page: Page
    connections: int
    emulator: LoadResult
    baseline: LoadResult

    @property
    def ratio(self) -> float:
        return self.emulator.requests_per_s / self.baseline.requests_per_s if self.baseline.requests_per_s else 0.0


@dataclass
class SizeResult:
    events: int
    startup: Startup
    baseline_startup: Startup
    emulator_code: str = ""
    emulator_git: str | None = None
    page_bytes: dict[str, int] = field(default_factory=dict)
    runs: list[PageRun] = field(default_factory=list)
    rss_after_load_mb: float = 0.0
    peak_rss_after_load_mb: float = 0.0

    def runs_at(self, connections: int) -> list[PageRun]:
        return [run for run in self.runs if run.connections == connections]


@dataclass
class TokenRun:
    connections: int
    result: LoadResult
    assertions: int


@dataclass
class Results:
    settings: Settings
    sizes: list[SizeResult] = field(default_factory=list)
    tokens: list[TokenRun] = field(default_factory=list)
    token_events: int = 0
    drain: DrainResult | None = None

    @property
    def widest(self) -> int:
        """The most connections a page ran at: the runs the throughput targets judge."""
        return max(self.settings.connections)
