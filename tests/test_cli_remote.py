"""`gallery-desktop remote ...` as real processes against the emulator: sign in, publish, sync,
pull, status; and the session secrets found nowhere but in their own store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import cli_env, json_out, run_cli
from test_sync import small_shoot


def _login(home: Path, emulator: Any, *extra: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "gallery_desktop",
            "--home",
            str(home),
            "-v",
            "remote",
            "login",
            "--server",
            emulator.base_url,
            "--email",
            emulator.email,
            "--password-stdin",
            *extra,
        ],
        input=(emulator.password + "\n").encode(),
        capture_output=True,
        env=cli_env(),
        timeout=60,
        check=False,
    )


def test_without_a_keyring_login_says_so_and_stores_nothing(emulator: Any, tmp_path: Path) -> None:
    home = tmp_path / "home"
    proc = _login(home, emulator)
    assert proc.returncode != 0
    err = proc.stderr.decode()
    assert "keyring" in err and "--insecure-store" in err and "Traceback" not in err
    assert not (home / "secrets.json").exists()


def test_publish_sync_pull_and_status(emulator: Any, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shoot = small_shoot(tmp_path / "shoots", photos=4)
    assert run_cli(home, "import", str(shoot)).returncode == 0
    assert _login(home, emulator, "--insecure-store").returncode == 0
    env = {"GALLERY_DESKTOP_SECRETS_FILE": "1"}  # the documented variable works as the flag
    status = json_out(run_cli(home, "remote", "status", "--json", env=env))
    assert status["connection"] == "online" and status["email"] == emulator.email
    link = run_cli(home, "remote", "link", "Lake", env=env)
    assert link.returncode == 0 and b"operations queued" in link.stdout
    assert json_out(run_cli(home, "remote", "status", "--json", env=env))["queue"]["pending"] > 0
    sync = run_cli(home, "remote", "sync", "--once", "--json", env=env)
    result = json_out(sync)
    assert result["failed"] == [] and result["queue"]["pending"] == 0
    state = emulator.state()
    assert len(state["media"]) == 5 and [c["name"] for c in state["collections"]] == ["Lake"]

    remote_id = state["collections"][0]["id"]
    emulator.seed(remote_id)
    pulled = json_out(run_cli(home, "remote", "pull", "--json", env=env))
    assert pulled["collections"] == 1 and pulled["clients"] >= 1 and pulled["favourites"] >= 1

    unlink = run_cli(home, "remote", "unlink", "Lake", env=env)
    assert unlink.returncode == 0 and b"no longer published" in unlink.stdout


def test_signed_out_commands_say_sign_in(emulator: Any, tmp_path: Path) -> None:
    home = tmp_path / "home"
    proc = run_cli(home, "remote", "sync", "--once", "--server", emulator.base_url)
    assert proc.returncode != 0
    assert b"remote login" in proc.stderr and b"Traceback" not in proc.stderr


def test_the_session_is_found_nowhere_but_in_its_store(emulator: Any, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shoot = small_shoot(tmp_path / "shoots", photos=2)
    assert run_cli(home, "import", str(shoot)).returncode == 0
    assert _login(home, emulator, "--insecure-store").returncode == 0
    stored = json.loads((home / "secrets.json").read_text())
    (account,) = stored["accounts"].values()
    # (the emulator's password, "emulator", is too common a word to search for)
    canaries = [account["cookie"].encode(), account["csrf_token"].encode()]
    assert all(len(c) >= 16 for c in canaries)
    env = {"GALLERY_DESKTOP_SECRETS_FILE": "1"}
    for args in (
        ("remote", "link", "Lake"),
        ("remote", "sync", "--once"),
        ("remote", "status"),
        ("remote", "pull"),
    ):
        assert run_cli(home, "-v", *args, env=env).returncode == 0
    emulator.fault(method="GET", path=r"/data/bootstrap", kind="status", status=500, times=1)
    run_cli(home, "-v", "remote", "status", env=env)  # an error path writes logs too
    leaks = []
    for dirpath, _dirs, files in os.walk(home):
        for name in files:
            path = Path(dirpath) / name
            if path == home / "secrets.json":
                continue
            data = path.read_bytes()
            leaks += [f"{path.relative_to(home)}" for c in canaries if c in data]
    assert leaks == []
    assert (home / "secrets.json").stat().st_mode & 0o077 == 0
