"""`gallery-desktop media X --json | head` ends quietly when the reader stops reading."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SRC = Path(__file__).resolve().parents[1] / "src"


def test_closed_pipe_is_not_a_crash(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    base = [sys.executable, "-m", "gallery_desktop", "--home", str(tmp_path)]
    subprocess.run(
        [*base, "import", str(CORPUS / "photos")], env=env, check=True, capture_output=True
    )
    shell = f"{' '.join(base)} media photos --json | head -c 10"
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", shell], env=env, capture_output=True, timeout=60
    )
    assert done.stdout == b"[\n  {\n    "
    assert b"Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0
