"""What the tester controls and observes, which no real system offers: faults, journal, consumers, metrics.

`Harness` holds them and is reset as one; its `observe` is the last step of every emulated request.
"""

from emulator.harness.faults import Decision, FaultKind, FaultSpec
from emulator.harness.journal import JournalEntry, redacted_query
from emulator.harness.progress import ConsumerView, Delivery
from emulator.harness.state import DASHBOARD_CONSUMER, Answered, Harness, consumer_name

__all__ = [
    "DASHBOARD_CONSUMER",
    "Answered",
    "ConsumerView",
    "Decision",
    "Delivery",
    "FaultKind",
    "FaultSpec",
    "Harness",
    "JournalEntry",
    "consumer_name",
    "redacted_query",
]
