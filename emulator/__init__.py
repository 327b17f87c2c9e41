"""A local emulator of NAV's Helse Trygdehendelser API on a seeded synthetic event log."""

__version__ = "0.1.0"
