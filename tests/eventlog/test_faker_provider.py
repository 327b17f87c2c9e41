"""The Faker provider: seeded like any Faker provider, and only ever Tenor-style numbers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from faker import Faker

from emulator.eventlog.faker_provider import SyntheticIdentityProvider
from emulator.eventlog.identities import IdentityKind, is_synthetic, validate_synthetic


def _faker(seed: int) -> Faker:
    fake = Faker("no_NO")
    fake.add_provider(SyntheticIdentityProvider)
    fake.seed_instance(seed)
    return fake


def _provider(seed: int) -> SyntheticIdentityProvider:
    return SyntheticIdentityProvider(_faker(seed))


_METHODS: dict[str, Callable[[SyntheticIdentityProvider], str]] = {
    "fodselsnummer": lambda provider: provider.synthetic_fodselsnummer(),
    "dnummer": lambda provider: provider.synthetic_dnummer(),
    "personident": lambda provider: provider.synthetic_personident(),
}


@pytest.mark.parametrize("method", list(_METHODS), ids=list(_METHODS))
def test_same_seed_gives_the_same_numbers(method: str) -> None:
    draw = _METHODS[method]
    first, again = _provider(7), _provider(7)
    assert [draw(first) for _ in range(20)] == [draw(again) for _ in range(20)]


@pytest.mark.parametrize("method", list(_METHODS), ids=list(_METHODS))
def test_different_seeds_give_different_numbers(method: str) -> None:
    draw = _METHODS[method]
    one, other = _provider(7), _provider(8)
    assert [draw(one) for _ in range(20)] != [draw(other) for _ in range(20)]


def test_methods_are_reachable_through_the_faker_proxy() -> None:
    through_proxy = _faker(3)
    direct = _provider(3)
    assert through_proxy.synthetic_fodselsnummer() == direct.synthetic_fodselsnummer()
    assert through_proxy.synthetic_dnummer() == direct.synthetic_dnummer()
    assert through_proxy.synthetic_personident() == direct.synthetic_personident()


@pytest.mark.parametrize(
    ("method", "kind"),
    [("fodselsnummer", IdentityKind.FNR), ("dnummer", IdentityKind.DNR)],
    ids=["fodselsnummer", "dnummer"],
)
def test_every_number_is_a_valid_tenor_number_of_its_kind(method: str, kind: IdentityKind) -> None:
    draw = _METHODS[method]
    provider = _provider(11)
    for _ in range(500):
        ident = draw(provider)
        assert validate_synthetic(ident).kind is kind, ident
        assert 81 <= int(ident[2:4]) <= 92, ident


@pytest.mark.parametrize(
    ("share", "low", "high"),
    [(0.0, 0.0, 0.0), (0.3, 0.25, 0.35), (1.0, 1.0, 1.0)],
    ids=["never", "thirty-percent", "always"],
)
def test_personident_mixes_in_d_numbers_at_the_given_share(share: float, low: float, high: float) -> None:
    provider = _provider(12)
    kinds = [validate_synthetic(provider.synthetic_personident(dnumber_share=share)).kind for _ in range(1000)]
    assert low <= kinds.count(IdentityKind.DNR) / len(kinds) <= high


@pytest.mark.parametrize(
    ("method", "prefix"),
    [("fodselsnummer", "298224"), ("dnummer", "698224")],
    ids=["fodselsnummer", "dnummer"],
)
def test_a_given_birth_date_is_used(method: str, prefix: str) -> None:
    provider = _provider(13)
    born = date(2024, 2, 29)
    ident = provider.synthetic_fodselsnummer(born) if method == "fodselsnummer" else provider.synthetic_dnummer(born)
    assert ident.startswith(prefix)
    assert validate_synthetic(ident).birth_date == born


def test_never_produces_the_real_month_numbers_of_fakers_stock_ssn() -> None:
    stock, ours = _faker(21), _provider(21)
    stock_numbers = {stock.ssn() for _ in range(300)}
    our_numbers = {ours.synthetic_personident(dnumber_share=0.5) for _ in range(300)}
    # Faker's stock numbers have real months (01-12) and could belong to real people: the validator refuses
    # every one of them, and the provider never makes one.
    assert all(1 <= int(number[2:4]) <= 12 for number in stock_numbers)
    assert not any(is_synthetic(number) for number in stock_numbers)
    assert all(81 <= int(number[2:4]) <= 92 for number in our_numbers)
    assert not stock_numbers & our_numbers
