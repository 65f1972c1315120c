"""A killed import (SIGKILL, power cut) leaves a sound catalogue that the next run completes."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SRC = Path(__file__).resolve().parents[1] / "src"


def _cli(home: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.Popen(
        [sys.executable, "-m", "gallery_desktop", "--home", str(home), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return int(con.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # tables not created yet
    finally:
        con.close()


def _big_shoot(tmp_path: Path) -> tuple[Path, int]:
    shoot = tmp_path / "Big Shoot"
    originals = sorted((CORPUS / "photos" / "orientation").glob("*.jpg"))
    n = 0
    for i in range(12):
        gallery = shoot / f"Set {i % 3}"
        gallery.mkdir(parents=True, exist_ok=True)
        for src in originals:
            # Distinct content per copy (a trailing comment byte), so no two files share a hash.
            data = src.read_bytes() + f"copy {i}".encode()
            (gallery / f"{i:02d}_{src.name}").write_bytes(data)
            n += 1
    return shoot, n


def _wait_for_rows(
    proc: subprocess.Popen[bytes], db: Path, sql: str = "SELECT count(*) FROM media"
) -> None:
    deadline = time.monotonic() + 60
    while _count(db, sql) == 0:
        assert proc.poll() is None, "import finished before it could be stopped"
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_ctrl_c_stops_cleanly_with_a_summary(tmp_path: Path) -> None:
    shoot, n = _big_shoot(tmp_path)
    home = tmp_path / "home"
    db = home / "catalog.sqlite"
    proc = _cli(home, "import", str(shoot))
    _wait_for_rows(proc, db, "SELECT count(*) FROM media WHERE thumb_state = 'ok'")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert out.startswith(b"cancelled 'Big Shoot'"), out
    assert b"run it again to finish" in err
    assert b"Traceback" not in err
    # It stopped short: files not catalogued yet, or thumbnails not made yet.
    finished = _count(db, "SELECT count(*) FROM media WHERE thumb_state = 'ok'")
    assert 0 < finished < n
    again = _cli(home, "import", str(shoot))
    again.communicate(timeout=120)
    assert again.returncode == 0
    assert _count(db, "SELECT count(*) FROM media WHERE state = 'ok'") == n
    assert _count(db, "SELECT count(*) FROM media WHERE thumb_state = 'ok'") == n


def test_killed_import_is_consistent_and_completed_by_the_next_run(tmp_path: Path) -> None:
    shoot, n = _big_shoot(tmp_path)
    home = tmp_path / "home"
    db = home / "catalog.sqlite"

    proc = _cli(home, "import", str(shoot))
    _wait_for_rows(proc, db)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    catalogued = _count(db, "SELECT count(*) FROM media")
    assert 0 < catalogued <= n

    check = _cli(home, "check")
    out, err = check.communicate(timeout=60)
    assert b"catalogue file: ok" in out, out + err

    again = _cli(home, "import", "--json", str(shoot))
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert _count(db, "SELECT count(*) FROM media") == n
    assert _count(db, "SELECT count(DISTINCT rel_path) FROM media") == n
    assert _count(db, "SELECT count(*) FROM media WHERE state != 'ok'") == 0
    assert _count(db, "SELECT count(*) FROM media WHERE thumb_state != 'ok'") == 0
    shutil.rmtree(shoot)
