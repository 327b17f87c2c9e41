"""The cache of generated logs: a hit serves the same log, and a damaged, stale or half-written entry is rebuilt."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from emulator import configuration
from emulator.configuration import SettingsError
from emulator.eventlog import cache as cache_module
from emulator.eventlog.cache import CacheError, LogCache
from emulator.eventlog.canonical import event_fragments
from emulator.eventlog.digest import log_digest
from emulator.eventlog.events import EventType, Group, NewEvent
from emulator.eventlog.generator import GENERATOR_VERSION, Recipe, generate
from emulator.eventlog.log import EventLog
from emulator.eventlog.timestamps import OsloTime
from emulator.settings import Settings, TimestampStyle

RECIPE = Recipe(seed=5, events=3000)


class Builds:
    """A build function that counts its calls."""

    def __init__(self, recipe: Recipe) -> None:
        self.recipe = recipe
        self.calls = 0

    def __call__(self) -> EventLog:
        self.calls += 1
        return generate(self.recipe)


def _cached(directory: Path, recipe: Recipe = RECIPE) -> tuple[EventLog, bool, int]:
    builds = Builds(recipe)
    log, hit = LogCache.open(directory).load_or_build(recipe, builds)
    return log, hit, builds.calls


def _pages(log: EventLog) -> list[str]:
    oslo = OsloTime()
    return [
        ",".join(event_fragments(log, slice(start, min(start + 500, len(log))), oslo, TimestampStyle.OFFSET))
        for start in range(0, len(log), 500)
    ]


def _entry(directory: Path) -> Path:
    return LogCache(directory).entry(RECIPE)


def test_the_first_start_builds_and_the_next_maps_the_same_log(tmp_path: Path) -> None:
    first, first_hit, first_builds = _cached(tmp_path)
    second, second_hit, second_builds = _cached(tmp_path)
    built = generate(RECIPE)
    assert (first_hit, first_builds, second_hit, second_builds) == (False, 1, True, 0)
    assert log_digest(first) == log_digest(second) == log_digest(built)
    assert _pages(second) == _pages(built)
    assert len(second.idents) == len(built.idents)
    for group in Group:
        assert second.group_rows(group).tolist() == built.group_rows(group).tolist()


def test_entries_are_plain_npy_files_with_a_manifest(tmp_path: Path) -> None:
    _cached(tmp_path)
    entry = _entry(tmp_path)
    manifest = json.loads((entry / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == cache_module.FORMAT
    assert manifest["recipe"]["events"] == "3000"
    created = np.load(entry / "created_ms.npy")
    assert created.tolist() == generate(RECIPE).created_ms.values.tolist()


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[200] ^= 0x5A
    path.write_bytes(bytes(data))


def _break_header(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[:6] = b"NOTNPY"
    path.write_bytes(bytes(data))


def _other_generator(path: Path) -> None:
    manifest = path.parent / "manifest.json"
    document = json.loads(manifest.read_text(encoding="utf-8"))
    document["generator"] += 1
    manifest.write_text(json.dumps(document), encoding="utf-8")


def _remove_manifest(path: Path) -> None:
    (path.parent / "manifest.json").unlink()


def _delete_column(path: Path) -> None:
    path.unlink()


@pytest.mark.parametrize(
    ("column", "damage"),
    [
        ("created_ms", _truncate),
        ("idents", _truncate),
        ("period_id", _flip_a_byte),
        ("rows_1", _flip_a_byte),
        ("kind", _break_header),
        ("person", _other_generator),
        ("group", _remove_manifest),
        ("period_id", _delete_column),
    ],
    ids=["truncated", "truncated-idents", "corrupt", "corrupt-rows", "bad-header", "stale", "no-manifest", "missing"],
)
def test_a_damaged_or_stale_entry_is_rebuilt_never_served(
    tmp_path: Path, column: str, damage: Callable[[Path], None]
) -> None:
    _cached(tmp_path)
    damage(_entry(tmp_path) / f"{column}.npy")
    rebuilt, hit, builds = _cached(tmp_path)
    assert (hit, builds) == (False, 1)
    assert log_digest(rebuilt) == log_digest(generate(RECIPE))
    again, hit, builds = _cached(tmp_path)
    assert (hit, builds) == (True, 0)
    assert log_digest(again) == log_digest(rebuilt)


def test_a_write_killed_midway_leaves_no_entry_and_is_cleaned_up(tmp_path: Path) -> None:
    # What a kill during the write leaves: a staging directory with some columns, never the entry itself.
    staging = tmp_path / f".{_entry(tmp_path).name}.x1y2z3"
    staging.mkdir()
    (staging / "period_id.npy").write_bytes(b"\x93NUMPY half")
    log, hit, builds = _cached(tmp_path)
    assert (hit, builds) == (False, 1)
    assert not staging.exists()
    assert log_digest(log) == log_digest(generate(RECIPE))


def test_a_new_generator_version_uses_an_entry_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _cached(tmp_path)
    monkeypatch.setattr(cache_module, "GENERATOR_VERSION", GENERATOR_VERSION + 1)
    _, hit, builds = _cached(tmp_path)
    assert (hit, builds) == (False, 1)
    assert len([path for path in tmp_path.iterdir() if path.name.startswith("log-")]) == 2


def test_another_recipe_is_another_entry(tmp_path: Path) -> None:
    _cached(tmp_path)
    other = Recipe(seed=6, events=3000)
    log, hit, builds = _cached(tmp_path, other)
    assert (hit, builds) == (False, 1)
    assert log_digest(log) == log_digest(generate(other))


def _event(log: EventLog, number: int) -> NewEvent:
    return NewEvent(
        period_id=90_000_000 + number,
        personident="01818012345",
        group=Group.EOS,
        type=EventType.OPPRETTET,
        created_ms=int(log.created_ms.values[-1]) + number,
    )


def test_a_mapped_log_takes_appends_and_resets_without_touching_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_module, "HEADROOM", 500)
    _cached(tmp_path)
    log, _, _ = _cached(tmp_path)
    seeded_digest, persons = log_digest(log), len(log.idents)
    # Past the room kept after the rows too, where the columns move into memory of their own.
    log.append([_event(log, index) for index in range(400)])
    log.append([_event(log, index) for index in range(400, 510)])
    assert log.event(RECIPE.events + 1).period_id == 90_000_000
    assert log.event(RECIPE.events + 510).period_id == 90_000_509
    assert len(log) == RECIPE.events + 510
    log.truncate(RECIPE.events, persons)
    assert log_digest(log) == seeded_digest
    fresh, hit, _ = _cached(tmp_path)
    assert hit
    assert log_digest(fresh) == seeded_digest


def test_a_few_appends_stay_in_the_mapping(tmp_path: Path) -> None:
    _cached(tmp_path)
    log, _, _ = _cached(tmp_path)
    log.append([_event(log, 1), _event(log, 2)])
    assert log.event(RECIPE.events + 2).period_id == 90_000_002
    fresh, _, _ = _cached(tmp_path)
    assert len(fresh) == RECIPE.events


_START = """
import sys
from pathlib import Path
from emulator.eventlog.cache import LogCache
from emulator.eventlog.digest import log_digest
from emulator.eventlog.generator import GENERATOR_VERSION, Recipe, generate
recipe = Recipe(seed=5, events=20_000)
log, hit = LogCache.open(Path(sys.argv[1])).load_or_build(recipe, lambda: generate(recipe))
print(hit, log_digest(log))
"""


@pytest.mark.slow
def test_concurrent_first_starts_build_once_and_agree(tmp_path: Path) -> None:
    starts = [
        subprocess.Popen([sys.executable, "-c", _START, str(tmp_path)], stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    results = [start.communicate(timeout=120)[0].split() for start in starts]
    assert all(start.returncode == 0 for start in starts)
    assert sorted(hit for hit, _ in results) == ["False", "True", "True"]
    assert len({digest for _, digest in results}) == 1
    assert results[0][1] == log_digest(generate(Recipe(seed=5, events=20_000)))
    assert [path.name for path in tmp_path.iterdir() if not path.name.endswith(".lock")] == [
        LogCache(tmp_path).entry(Recipe(seed=5, events=20_000)).name
    ]


def test_a_cache_dir_that_cannot_be_used_is_a_cache_error(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory", encoding="utf-8")
    with pytest.raises(CacheError, match="cannot use"):
        LogCache.open(blocked)


def test_the_setting_names_the_option_when_the_cache_dir_cannot_be_used(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"^--cache-dir \(EMULATOR_CACHE_DIR\): cannot use"):
        configuration.seeded_log(Settings(events=10, cache_dir=blocked))


def test_the_seeded_log_comes_from_the_cache_when_one_is_set(tmp_path: Path) -> None:
    first = configuration.seeded_log(Settings(events=500, seed=9, cache_dir=tmp_path))
    second = configuration.seeded_log(Settings(events=500, seed=9, cache_dir=tmp_path))
    assert first.identity == second.identity == configuration.seeded_log(Settings(events=500, seed=9)).identity
    assert log_digest(second.log) == log_digest(generate(Recipe(seed=9, events=500)))
    assert any(path.name.startswith("log-") for path in tmp_path.iterdir())
