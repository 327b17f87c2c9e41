"""The HTTP layer: thin routes that parse, call the backend and return bytes."""
