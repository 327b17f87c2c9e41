"""Helpers for consumers' test suites: an in-process client for the emulator."""

from emulator.testing.client import InProcessClient

__all__ = ["InProcessClient"]
