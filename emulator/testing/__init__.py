"""Helpers for consumers' test suites: an in-process client and credentials the emulator accepts."""

from emulator.testing.client import InProcessClient
from emulator.testing.credentials import api_headers

__all__ = ["InProcessClient", "api_headers"]
