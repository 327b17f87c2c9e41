"""The synthetic population: the size of the identity space, persons drawn from it, and recipes naming persons."""

from __future__ import annotations

import numpy as np
import pytest

from emulator.eventlog import draws
from emulator.eventlog.fixture import FixtureError, recipe_of
from emulator.eventlog.generator import LARGE_LOG_PERSONS, LEGACY_MAX_EVENTS, Recipe, generate
from emulator.eventlog.identities import IdentityKind, usable_slots, validate_synthetic
from emulator.eventlog.population import DNR_SPACE, FNR_SPACE, capacity, sample_identities


@pytest.mark.slow
def test_the_space_sizes_are_what_the_slots_count() -> None:
    assert (len(usable_slots(False)), len(usable_slots(True))) == (FNR_SPACE, DNR_SPACE)


def test_capacity_follows_the_d_number_share() -> None:
    assert capacity(0) == FNR_SPACE
    assert capacity(1000) == DNR_SPACE
    assert capacity(120) == FNR_SPACE + DNR_SPACE


@pytest.mark.parametrize("count", [0, 1, 500, 40_000])
@pytest.mark.parametrize("permille", [0, 120, 1000])
def test_sampled_identities_are_distinct_valid_and_of_the_share(count: int, permille: int) -> None:
    numbers = sample_identities(np.random.RandomState(count + permille), count, dnumber_permille=permille)
    texts = [number.decode("ascii") for number in numbers.tolist()]
    assert len(set(texts)) == count
    kinds = [validate_synthetic(text).kind for text in texts]
    if count >= 500:
        share = kinds.count(IdentityKind.DNR) / count
        assert abs(share - permille / 1000) < 0.05


@pytest.mark.slow
def test_a_share_of_the_space_past_a_quarter_is_drawn_as_a_shuffle_and_stays_distinct() -> None:
    count = FNR_SPACE // 4 + 1
    numbers = sample_identities(np.random.RandomState(1), count, dnumber_permille=0)
    assert len(np.unique(numbers)) == count


def test_more_persons_than_numbers_exist_is_refused() -> None:
    with pytest.raises(ValueError, match="persons must be at most 14,640,511"):
        Recipe(events=10, persons=FNR_SPACE + 1, dnumber_permille=0)
    with pytest.raises(ValueError, match="persons must be at least 1"):
        Recipe(events=10, persons=0)
    assert Recipe(events=10, persons=FNR_SPACE + DNR_SPACE).persons == FNR_SPACE + DNR_SPACE


def test_a_recipe_fixture_refuses_too_many_persons_in_one_line() -> None:
    with pytest.raises(FixtureError, match=r"^f\.json: persons must be at most"):
        recipe_of({"events": 100, "persons": 40_000_000}, "f.json")


def test_the_default_population_is_a_quarter_of_the_events_then_fixed() -> None:
    assert Recipe(events=1000).population == 274
    assert Recipe(events=LEGACY_MAX_EVENTS).population == 10_000_024
    assert Recipe(events=LEGACY_MAX_EVENTS + 1).population == LARGE_LOG_PERSONS
    assert Recipe(events=100_000_000).population == LARGE_LOG_PERSONS < capacity(120) // 2


def test_a_recipe_naming_its_persons_uses_exactly_those() -> None:
    log = generate(Recipe(seed=3, events=5000, persons=40))
    assert len(log.idents) == 40
    persons = set(log.person.values.tolist())
    assert len(persons) <= 40
    assert len(persons) > 30
    periods_of_person: dict[int, set[int]] = {}
    for person, period in zip(log.person.values.tolist(), log.period_id.values.tolist(), strict=True):
        periods_of_person.setdefault(person, set()).add(period)
    # Each period keeps one person, and with few persons each has many periods.
    assert max(len(periods) for periods in periods_of_person.values()) > 10


def test_a_recipe_naming_its_persons_is_deterministic() -> None:
    first = generate(Recipe(seed=3, events=2000, persons=100))
    again = generate(Recipe(seed=3, events=2000, persons=100))
    assert first.idents.values.tolist() == again.idents.values.tolist()
    assert first.person.values.tolist() == again.person.values.tolist()


def test_chunked_draws_give_the_values_of_one_draw(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(draws, "CHUNK", 7)
    table = ((0, 5), (3, 2), (9, 1))
    chunked = np.random.RandomState(2)
    whole = np.random.RandomState(2)
    assert draws.weighted(chunked, table, 100).tolist() == [
        table[int(i)][0] for i in np.searchsorted([5, 7, 8], whole.randint(0, 8, size=100), side="right")
    ]
    assert draws.below(chunked, 50, 1000, 300).tolist() == (whole.randint(0, 1000, size=50) < 300).tolist()
    assert (
        draws.uniform_below(chunked, 10**9, 30).tolist() == (whole.random_sample(30) * 10**9).astype(np.int64).tolist()
    )
