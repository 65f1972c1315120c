"""An emulator of the Gallery API contract (docs/api/gallery-api.yaml) for tests and for trying
the app without an account. It lives with the tests and never ships as the real thing.

`python -m emulator --port 8765 --state DIR` (with tests/ on sys.path) serves it in the
foreground; `EmulatorServer` serves it from a background thread; `pytest_plugin` gives the
`emulator` fixture.
"""

from emulator.server import EmulatorServer
from emulator.state import EMAIL, PASSWORD

__all__ = ["EMAIL", "PASSWORD", "EmulatorServer"]
