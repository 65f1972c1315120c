"""The Qt binding must not lose references to None or True (PySide6 6.12.0 on Python 3.11 did:
the app aborted with 'bool_dealloc' after some thousands of signals)."""

from __future__ import annotations

import subprocess
import sys

PROGRAM = """
import sys
from PySide6.QtCore import QCoreApplication, QObject, Signal
app = QCoreApplication([])
class Emitter(QObject):
    changed = Signal(int)
emitter = Emitter()
emitter.changed.connect(lambda v: None)
true_before, none_before = sys.getrefcount(True), sys.getrefcount(None)
for i in range(20_000):
    emitter.changed.emit(i)          # each emit lost a reference to True
    emitter.setObjectName("x")       # each call returning nothing lost one to None
print(sys.getrefcount(True) - true_before, sys.getrefcount(None) - none_before)
"""


def test_signals_and_void_calls_keep_their_references() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        capture_output=True,
        text=True,
        timeout=120,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-500:]
    true_lost, none_lost = (int(x) for x in done.stdout.split())
    assert abs(true_lost) < 100 and abs(none_lost) < 100, done.stdout
