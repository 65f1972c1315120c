"""`kill -9` a syncing process at random points, over and over: after recovery the remote holds
exactly the local media (by content hash), nothing twice, and the catalogue is sound."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Final

from sqlalchemy import text

from conftest import cli_env, run_cli
from gallery_desktop.catalog.check import check_catalog
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.media import list_media
from gallery_desktop.catalog.watermarks import add_watermark
from gallery_desktop.media.watermark import WatermarkSpec
from gallery_desktop.paths import AppPaths
from gallery_desktop.remote.outbox import queue_counts
from test_sync import small_shoot

KILLS: Final = 100


def _sync_cmd(home: Path, server: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gallery_desktop",
        "--home",
        str(home),
        "remote",
        "sync",
        "--once",
        "--server",
        server,
        "--insecure-store",
    ]


def test_kill_9_at_random_points_never_duplicates_or_loses(emulator: Any, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shoot = small_shoot(tmp_path / "shoots", photos=18)
    assert run_cli(home, "import", str(shoot)).returncode == 0
    login = subprocess.run(
        [
            sys.executable,
            "-m",
            "gallery_desktop",
            "--home",
            str(home),
            "remote",
            "login",
            "--server",
            emulator.base_url,
            "--email",
            emulator.email,
            "--password-stdin",
            "--insecure-store",
        ],
        input=(emulator.password + "\n").encode(),
        capture_output=True,
        env=cli_env(),
        timeout=60,
        check=False,
    )
    assert login.returncode == 0, login.stderr.decode()
    assert run_cli(home, "remote", "link", "Lake").returncode == 0
    # Slow the uploads down a little so that kills land inside them, not only between them.
    emulator.fault(method="PATCH", path=r"/uploads/", kind="latency", delay=0.03, times=100_000)
    emulator.fault(method="POST", path=r"/uploads$", kind="latency", delay=0.02, times=100_000)

    rng = random.Random(20261129)
    finished_early = requeued = mid_upload = 0
    preset: int | None = None
    for _ in range(KILLS):
        proc = subprocess.Popen(
            _sync_cmd(home, emulator.base_url),
            env=cli_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.6, 1.6))  # start-up takes ~0.6 s: kill while it works
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        else:
            finished_early += 1
        proc.wait(timeout=30)
        catalog = Catalog(AppPaths.at_home(home).catalog_file)
        try:
            drained = queue_counts(catalog)["pending"] == 0
            with catalog.engine.connect() as conn:
                mid_upload += bool(
                    conn.execute(
                        text(
                            "SELECT count(*) FROM syncop WHERE op = 'upload' AND state = "
                            "'pending' AND payload_json LIKE '%upload_id%'"
                        )
                    ).scalar()
                )
        finally:
            catalog.close()
        if drained:
            # Everything went through: change every file (new content hashes) so that the
            # next kills land in replacing uploads (new bytes for the same media).
            for path in sorted(p for p in shoot.rglob("*") if p.is_file()):
                with path.open("ab") as f:
                    f.write(b"\0")
            assert run_cli(home, "rescan", "Lake").returncode == 0
            # ... and switch watermarked uploads, so that the photos' renditions really change
            # (a byte appended to a JPEG renders the same): their new bytes replace the
            # service's media in place (`replaces`), and the kills land in those uploads too.
            catalog = Catalog(AppPaths.at_home(home).catalog_file)
            try:
                if preset is None:
                    preset = add_watermark(catalog, "Proof", WatermarkSpec(text="PROOF")).id
                with catalog.write_conn() as conn:
                    conn.execute(
                        text(
                            "UPDATE collection SET watermark_id = :w, "
                            "download_watermarked = NOT download_watermarked"
                        ),
                        {"w": preset},
                    )
            finally:
                catalog.close()
            requeued += 1

    final = subprocess.run(
        _sync_cmd(home, emulator.base_url),
        env=cli_env(),
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert final.returncode == 0, final.stderr.decode()

    catalog = Catalog(AppPaths.at_home(home).catalog_file)
    try:
        assert check_catalog(catalog).catalogue_ok
        assert queue_counts(catalog)["pending"] == 0
        cid = list_media(catalog, None)[0]
        local = Counter(m.content_hash for m in list_media(catalog, None) if m.state == "ok")
    finally:
        catalog.close()
    state = emulator.state()
    assert len(state["collections"]) == 1 and len(state["galleries"]) == 2
    live = [m for m in state["media"]]
    remote = Counter(m["client_ref"] for m in live)
    assert remote == local, (remote, local)
    assert finished_early < KILLS // 2, "most runs must be killed mid-way for this to mean much"
    assert cid is not None
    assert requeued >= 1  # the kills covered replacing uploads too
    assert mid_upload >= 10, f"only {mid_upload} kills landed inside an upload"
