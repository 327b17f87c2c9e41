"""Medlemskapsregisteret (MEDL): the `medlemskapsunntak` API behind the feed's `periodeId`, derived from the log.

Every period the feed has announced is an unntak MEDL answers; its fields follow the period's events (and
any fields a tester gave with them) as a deterministic function of the seed, so nothing is stored beside the
log. The face:

- `Register(log, seed, periods=None)`: `.one(unntak_id, query) -> bytes`, `.of_person(personident, query) -> bytes`,
  `.record(id)`, `.records_of(ident)`, `.check(planned)`, `.nbytes`
- `check_planned(periods, seed, planned)`: the appender's and fixtures' check of `medlemskapsunntak` fields
- `medl_digest(register)`: sha256 over every record, beside the log's digest
- `PERSON_HEADER`: the header that names the person
"""

from emulator.medl.derivation import Record
from emulator.medl.digest import medl_digest
from emulator.medl.overrides import check_planned
from emulator.medl.parameters import PERSON_HEADER
from emulator.medl.register import Lookup, Register, read_lookup

__all__ = [
    "PERSON_HEADER",
    "Lookup",
    "Record",
    "Register",
    "check_planned",
    "medl_digest",
    "read_lookup",
]
