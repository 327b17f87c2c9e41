"""MEDL's digest beside the log's: sha256 over every period's record, in unntakId order, as of the head."""

from __future__ import annotations

import hashlib

import orjson

from emulator.eventlog import OsloTime
from emulator.medl.register import Register
from emulator.medl.wire import record_object


def medl_digest(register: Register, oslo: OsloTime | None = None) -> str:
    """`sha256:<hex>` of `[record,record,...]`: each period as MEDL answers it with its sporingsinformasjon.

    Records change with every ENDRET, so this is computed afresh each time (tens of microseconds a period).
    """
    oslo = oslo or OsloTime()
    hasher = hashlib.sha256(b"[")
    for index, record in enumerate(register.records()):
        hasher.update((b"," if index else b"") + orjson.dumps(record_object(record, oslo, traces=True)))
    hasher.update(b"]")
    return f"sha256:{hasher.hexdigest()}"
