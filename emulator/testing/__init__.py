"""The test harness for consumers' own suites: an in-process client, credentials, a server process, its control."""

from emulator.testing.client import InProcessClient
from emulator.testing.control import EmulatorControl
from emulator.testing.credentials import api_headers
from emulator.testing.server import EmulatorProcess

__all__ = ["EmulatorControl", "EmulatorProcess", "InProcessClient", "api_headers"]
