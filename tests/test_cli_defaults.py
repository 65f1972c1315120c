"""`gallery-desktop defaults ...` and `import --shoot-type`: the commands, their JSON, their
errors (exit 2, a clear message, nothing changed), against real catalogues and folders."""

from __future__ import annotations

import argparse
import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import CliResult, InProcessCli, copy_from_corpus, run_cli
from gallery_desktop import cli_defaults
from gallery_desktop.catalog.collection_defaults import SHOOT_TYPES
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.cli import build_parser
from gallery_desktop.errors import BadInputError, UserFacingError


def _shoot(parent: Path, name: str = "Smith Wedding") -> Path:
    folder = parent / name
    copy_from_corpus("photos/exif/flower.jpg", folder / "cover.jpg")
    copy_from_corpus("photos/exif/Reagan.jpg", folder / "Ceremony" / "a.jpg")
    return folder


def _registered() -> bool:
    subs = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return "defaults" in subs[0].choices


class DefaultsCli:
    """`gallery-desktop --home HOME defaults ARGS`: through cli.py once it registers the
    command; until then through the module's own parser, with cli.py's exit codes."""

    def __init__(self, cli: InProcessCli) -> None:
        self.cli = cli

    def __call__(self, *args: str) -> CliResult:
        if _registered():
            return self.cli("defaults", *args)
        parser = argparse.ArgumentParser(prog="gallery-desktop")
        cli_defaults.add_parser(parser.add_subparsers(dest="command"))
        parsed = parser.parse_args(["defaults", *args])
        out, err = io.StringIO(), io.StringIO()
        catalog = Catalog(self.cli.paths.ensure().catalog_file)
        try:
            code = cli_defaults.run(parsed, catalog, out)
        except UserFacingError as exc:
            err.write(f"gallery-desktop: error: {exc}\n")
            code = 2 if isinstance(exc, BadInputError) else 1
        finally:
            catalog.close()
        return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def defaults(cli: InProcessCli) -> DefaultsCli:
    return DefaultsCli(cli)


def _ok(r: CliResult) -> CliResult:
    assert r.code == 0, r.err
    return r


def _settings(cli: InProcessCli, collection: str) -> Any:
    return cli("settings", collection, "--json").json()["settings"]


def _in_days(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def test_import_with_a_shoot_type_starts_from_its_defaults(
    cli: InProcessCli, tmp_path: Path
) -> None:
    (summary,) = cli("import", str(_shoot(tmp_path)), "--shoot-type", "Wedding", "--json").json()
    assert summary["new"] == 2
    got = _settings(cli, "Smith Wedding")
    assert got["password"] is True and got["expiry_date"] == _in_days(180)
    assert got["downloadable"] is True and got["download_sizes"] == ["high", "web2048"]
    assert got["watermarked_downloads"] is False


def test_an_unknown_shoot_type_is_refused_before_any_work(
    cli: InProcessCli, tmp_path: Path
) -> None:
    r = cli("import", str(_shoot(tmp_path)), "--shoot-type", "weding")
    assert r.code == 2
    assert "unknown shoot type 'weding' (known: wedding, engagement" in r.err
    assert cli("collections", "--json").json() == []


def test_importing_again_with_another_type_keeps_the_settings_and_says_so(
    cli: InProcessCli, tmp_path: Path
) -> None:
    shoot = _shoot(tmp_path)
    _ok(cli("import", str(shoot), "--shoot-type", "event"))
    before = _settings(cli, "Smith Wedding")
    r = cli("import", str(shoot), "--shoot-type", "newborn")
    assert r.code == 0
    assert "'Smith Wedding' was already in the catalogue: its settings are kept" in r.err
    assert "gallery-desktop defaults 'newborn' apply 1" in r.err
    assert _settings(cli, "Smith Wedding") == before
    again = cli("import", str(shoot), "--shoot-type", "event")
    assert again.code == 0 and "already" not in again.err  # the same type: nothing to say


def test_defaults_show_every_type_and_one(defaults: DefaultsCli) -> None:
    data = defaults("--json").json()
    assert data["default_shoot_type"] is None
    assert [d["shoot_type"] for d in data["shoot_types"]] == list(SHOOT_TYPES)
    one = defaults("newborn", "--json").json()
    assert one == {**data["shoot_types"][SHOOT_TYPES.index("newborn")], "default_for_new": False}
    assert set(one) >= {
        "password_on",
        "expiry_days",
        "downloadable",
        "download_sizes",
        "watermarked_downloads",
        "visitor_email_capture",
        "store",
        "watermark",
        "template",
    }
    text = defaults().out
    assert text.startswith("new collections without a shoot type: no defaults\n")
    assert "wedding  [built in]\n  password required; expires after 180 days;" in text


def test_defaults_set_then_a_new_collection_gets_them(
    defaults: DefaultsCli, cli: InProcessCli, tmp_path: Path
) -> None:
    r = defaults(
        "wedding", "set", "expiry_days=30", "download_sizes=web2048", "password_on=off", "--json"
    )
    assert r.json()["expiry_days"] == 30 and r.json()["saved"] is True
    assert defaults("wedding", "--json").json() == r.json()
    _ok(cli("import", str(_shoot(tmp_path)), "--shoot-type", "wedding"))
    got = _settings(cli, "Smith Wedding")
    assert got["expiry_date"] == _in_days(30)
    assert got["download_sizes"] == ["web2048"] and got["password"] is False


def test_a_bad_key_or_value_is_exit_2_and_changes_nothing(defaults: DefaultsCli) -> None:
    _ok(defaults("portrait", "set", "store=off"))
    before = defaults("--json").json()
    r = defaults("portrait", "set", "expiry_days=45", "colour=red", "store=perhaps")
    assert r.code == 2 and r.out == ""
    assert r.err.startswith("gallery-desktop: error: nothing changed: ")
    assert "unknown setting 'colour' (known: password_on, expiry_days," in r.err
    assert "store='perhaps': use on/off" in r.err
    assert defaults("--json").json() == before
    assert defaults("portrait", "set").code == 2  # nothing to set


def test_custom_types_reset_remove_and_the_default_for_new_collections(
    defaults: DefaultsCli, cli: InProcessCli, tmp_path: Path
) -> None:
    _ok(defaults("Boudoir", "set", "password_on=on", "expiry_days=never"))
    data = defaults("--default-type", "boudoir", "--json").json()
    assert data["default_shoot_type"] == "boudoir"
    assert data["shoot_types"][-1]["shoot_type"] == "boudoir"
    assert "(new collections without a type)" in defaults("boudoir").out
    cli("import", str(_shoot(tmp_path)))
    got = _settings(cli, "Smith Wedding")
    assert got["password"] is True and got["expiry_date"] is None
    assert defaults("boudoir", "reset").code == 2
    assert defaults("wedding", "remove").code == 2
    assert defaults("boudoir", "remove").out == "removed shoot type 'boudoir'\n"
    assert defaults("--json").json()["default_shoot_type"] is None
    _ok(defaults("event", "set", "store=on"))
    assert defaults("event", "reset", "--json").json()["store"] is False
    assert defaults("--default-type", "weding").code == 2


def test_apply_gives_an_existing_collection_a_types_defaults(
    defaults: DefaultsCli, cli: InProcessCli, tmp_path: Path
) -> None:
    cli("import", str(_shoot(tmp_path)))
    assert _settings(cli, "Smith Wedding")["downloadable"] is False
    r = defaults("commercial", "apply", "Smith Wedding")
    assert r.out == "'Smith Wedding' now has the defaults of commercial\n"
    got = _settings(cli, "Smith Wedding")
    assert got["download_sizes"] == ["original", "high"] and got["password"] is True
    assert defaults("commercial", "apply").code == 2
    assert defaults("commercial", "apply", "Nope").code == 2


def test_a_bad_shoot_type_as_a_real_process(tmp_path: Path) -> None:
    proc = run_cli(tmp_path / "home", "import", str(_shoot(tmp_path)), "--shoot-type", "*")
    assert proc.returncode == 2
    assert b"Traceback" not in proc.stderr
    assert b"shoot type '*': use letters" in proc.stderr
