"""A Faker provider for synthetic Norwegian identity numbers, the same ones the emulator's feed carries.

from faker import Faker
from emulator.eventlog.faker_provider import SyntheticIdentityProvider

fake = Faker("no_NO")
fake.add_provider(SyntheticIdentityProvider)
fake.seed_instance(7)
fake.synthetic_fodselsnummer()   # e.g. "01928312345": month + 80, never a real person's number
"""

from __future__ import annotations

from datetime import date

from faker.providers import BaseProvider

from emulator.eventlog.identities import synthetic_identity


class SyntheticIdentityProvider(BaseProvider):
    """Tenor-style fødselsnummer and D-nummer; use instead of Faker's stock `ssn()`, which can be real."""

    def synthetic_fodselsnummer(self, birth_date: date | None = None) -> str:
        return synthetic_identity(self.generator.random, birth_date=birth_date)

    def synthetic_dnummer(self, birth_date: date | None = None) -> str:
        return synthetic_identity(self.generator.random, birth_date=birth_date, dnumber=True)

    def synthetic_personident(self, dnumber_share: float = 0.1) -> str:
        """A fødselsnummer, or with probability `dnumber_share` a D-nummer."""
        dnumber = self.generator.random.random() < dnumber_share
        return synthetic_identity(self.generator.random, dnumber=dnumber)
