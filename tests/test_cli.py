"""`gallery-desktop` commands: end to end as a real process, and in-process for the details."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any, Final

import pytest

from conftest import (
    SHOOT_GALLERIES,
    SHOOT_MEDIA,
    InProcessCli,
    copy_from_corpus,
    json_out,
    make_shoot,
    run_cli,
)
from gallery_desktop import __version__
from gallery_desktop.paths import HOME_ENV

MEDIA_FIELDS: Final = {
    "id",
    "gallery",
    "path",
    "kind",
    "format",
    "state",
    "error",
    "width",
    "height",
    "orientation",
    "taken_at",
    "camera",
    "content_hash",
    "size_bytes",
    "rating",
    "pick",
    "label",
    "thumbnail",
}
LATIN1_NAME: Final = b"caf\xe9.jpg"


def _no_traceback(text: str | bytes) -> None:
    shown = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    assert "Traceback" not in shown, shown


# -- end to end, as a real process ---------------------------------------------------------------


def test_import_then_media_json_end_to_end(tmp_path: Path) -> None:
    home = tmp_path / "home"
    shoot = make_shoot(tmp_path / "shoots")
    copy_from_corpus("bad/truncated/truncated_jpeg.jpg", shoot / "Party" / "broken.jpg")
    copy_from_corpus(
        "photos/exif/exiv2-nikon-d70.jpg", os.fsencode(shoot / "Party") + b"/" + LATIN1_NAME
    )

    proc = run_cli(home, "import", str(shoot), "--json")
    assert proc.returncode == 0, proc.stderr  # bad files do not fail the import
    _no_traceback(proc.stderr)
    (summary,) = json.loads(proc.stdout)
    assert summary["collection"] == "Wedding"
    assert summary["new"] == len(SHOOT_MEDIA) + 2
    assert summary["errors"] == 1
    assert summary["error_files"][0]["path"] == "Party/broken.jpg"

    media = json_out(run_cli(home, "media", "Wedding", "--json"))
    assert isinstance(media, list)
    assert all(set(m) >= MEDIA_FIELDS for m in media)
    by_path = {m["path"]: m for m in media}
    assert set(by_path) == {*SHOOT_MEDIA, "Party/broken.jpg", "Party/caf\\xe9.jpg"}
    for path, gallery in SHOOT_GALLERIES.items():
        assert by_path[path]["gallery"] == gallery
        assert by_path[path]["state"] == "ok"
    assert by_path["Party/clip.mp4"]["kind"] == "video"
    assert by_path["Party/broken.jpg"]["state"] == "error" and by_path["Party/broken.jpg"]["error"]
    latin1 = by_path["Party/caf\\xe9.jpg"]
    assert (latin1["state"], latin1["width"], latin1["height"]) == ("ok", 91, 150)
    assert latin1["thumbnail"] and Path(latin1["thumbnail"]).is_file()

    # By id, the same array.
    assert json_out(run_cli(home, "media", str(summary["collection_id"]), "--json")) == media

    (col,) = json_out(run_cli(home, "collections", "--json"))
    assert (col["id"], col["name"], col["media"]) == (
        summary["collection_id"],
        "Wedding",
        len(media),
    )
    assert col["galleries"] == len(set(SHOOT_GALLERIES.values()))

    check = run_cli(home, "check")
    assert check.returncode == 0, check.stdout
    assert b"everything is in order" in check.stdout
    assert (home / "catalog.sqlite").is_file()


def test_home_from_the_environment(tmp_path: Path) -> None:
    home = tmp_path / "env-home"
    shoot = make_shoot(tmp_path / "shoots")
    proc = run_cli(None, "import", str(shoot), env={HOME_ENV: str(home)})
    assert proc.returncode == 0, proc.stderr
    assert (home / "catalog.sqlite").is_file()
    assert b"Wedding" in proc.stdout
    (col,) = json_out(run_cli(None, "collections", "--json", env={HOME_ENV: str(home)}))
    assert col["name"] == "Wedding"
    # --home and the variable name the same place.
    assert json_out(run_cli(home, "collections", "--json")) == [col]


def test_folder_with_a_non_utf8_name(tmp_path: Path) -> None:
    home = tmp_path / "home"
    folder = os.fsencode(tmp_path) + b"/Sh\xe9oot"
    os.makedirs(folder + b"/S\xffet")
    copy_from_corpus("photos/exif/flower.jpg", folder + b"/S\xffet/" + LATIN1_NAME)
    proc = run_cli(home, "import", folder, "--json")
    assert proc.returncode == 0, proc.stderr
    (summary,) = json.loads(proc.stdout)
    assert summary["collection"] == "Sh\\xe9oot"
    (m,) = json_out(run_cli(home, "media", str(summary["collection_id"]), "--json"))
    assert (m["gallery"], m["path"], m["state"]) == ("S\\xffet", "S\\xffet/caf\\xe9.jpg", "ok")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("import", "{tmp}/no-such-folder"), "folder not found"),
        (("import", "{tmp}/file.txt"), "not a folder"),
        (("media", "Nope"), "no collection 'Nope'"),
        (("rescan", "Nope"), "no collection 'Nope'"),
        (("frobnicate",), "invalid choice"),
        (("media",), "required"),
        (("import",), "required"),
    ],
    ids=[
        "missing-folder",
        "file-not-folder",
        "unknown-collection",
        "rescan-unknown",
        "unknown-command",
        "media-no-arg",
        "import-no-arg",
    ],
)
def test_usage_errors_exit_non_zero_with_a_message(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    (tmp_path / "file.txt").write_text("x")
    proc = run_cli(tmp_path / "home", *(a.format(tmp=tmp_path) for a in args))
    assert proc.returncode != 0
    assert message in proc.stderr.decode(), proc.stderr
    _no_traceback(proc.stderr)
    assert proc.stdout == b""


# -- in-process ----------------------------------------------------------------------------


def test_bad_folder_argument_is_refused_before_any_work(cli: InProcessCli, tmp_path: Path) -> None:
    shoot = make_shoot(tmp_path / "shoots")
    r = cli("import", str(shoot), str(tmp_path / "missing"))
    assert r.code == 2 and "folder not found" in r.err
    assert cli("collections", "--json").json() == []


def test_several_folders_in_one_import(cli: InProcessCli, tmp_path: Path) -> None:
    a = make_shoot(tmp_path / "a", "Wedding")
    b = make_shoot(tmp_path / "b", "Portraits")
    summaries = cli("import", str(a), str(b), "--json").json()
    assert [s["collection"] for s in summaries] == ["Wedding", "Portraits"]
    names = [c["name"] for c in cli("collections", "--json").json()]
    assert names == ["Wedding", "Portraits"]


def test_human_readable_output(cli: InProcessCli, shoot: Path) -> None:
    r = cli("import", str(shoot))
    assert r.code == 0
    assert "'Wedding'" in r.out and f"{len(SHOOT_MEDIA)} new" in r.out
    listing = cli("media", "Wedding")
    assert listing.code == 0
    assert all(f"/{p}" in listing.out for p in SHOOT_MEDIA)
    cols = cli("collections")
    assert "Wedding" in cols.out and "3 galleries" in cols.out


def test_collections_when_there_are_none(cli: InProcessCli) -> None:
    r = cli("collections")
    assert r.code == 0 and "no collections yet" in r.out
    assert cli("collections", "--json").json() == []


def test_media_accepts_name_in_any_case_and_refuses_ambiguous_names(
    cli: InProcessCli, tmp_path: Path
) -> None:
    cli("import", str(make_shoot(tmp_path / "2023", "Wedding")))
    assert len(cli("media", "wedding", "--json").json()) == len(SHOOT_MEDIA)
    cli("import", str(make_shoot(tmp_path / "2024", "Wedding")))
    r = cli("media", "Wedding", "--json")
    assert r.code == 2 and "several collections" in r.err
    assert len(cli("media", "2", "--json").json()) == len(SHOOT_MEDIA)


def test_rescan_and_check_follow_the_disk(cli: InProcessCli, shoot: Path) -> None:
    cli("import", str(shoot))
    assert cli("check").code == 0
    (shoot / "Party" / "c.jpg").unlink()
    r = cli("check")
    assert r.code == 1
    assert "not on disk" in r.out and "Wedding/Party/c.jpg" in r.out
    summaries = cli("rescan", "--json").json()
    assert [s["missing"] for s in summaries] == [1]
    states = {m["path"]: m["state"] for m in cli("media", "Wedding", "--json").json()}
    assert states["Party/c.jpg"] == "missing"
    assert cli("check").code == 0
    (shoot / "Party" / "new.jpg").write_bytes((shoot / "cover.jpg").read_bytes())
    assert [s["new"] for s in cli("rescan", "Wedding", "--json").json()] == [1]
    assert [s["unchanged"] for s in cli("rescan", "1", "--json").json()] == [len(SHOOT_MEDIA)]


def test_rescan_all_skips_an_unplugged_folder(cli: InProcessCli, tmp_path: Path) -> None:
    a = make_shoot(tmp_path / "a", "Wedding")
    b = make_shoot(tmp_path / "b", "Portraits")
    cli("import", str(a), str(b))
    a.rename(tmp_path / "a" / "unplugged")
    r = cli("rescan", "--json")
    assert r.code == 0
    assert [s["collection"] for s in json.loads(r.out)] == ["Portraits"]
    assert "skipped" in r.err and "Wedding" in r.err
    states = {m["state"] for m in cli("media", "Wedding", "--json").json()}
    assert states == {"ok"}  # an unplugged drive does not make everything missing


@pytest.mark.parametrize("catalog_engine", ["sqlite"])  # about the file itself
def test_a_catalogue_that_is_not_sqlite_is_a_clear_error(cli: InProcessCli) -> None:
    cli.paths.ensure()
    cli.paths.catalog_file.write_bytes(b"not a database at all " * 100)
    r = cli("collections")
    assert r.code == 1
    assert "not a usable catalogue" in r.err
    _no_traceback(r.err)


@pytest.mark.parametrize("catalog_engine", ["sqlite"])  # about the file itself
def test_a_catalogue_from_a_newer_version_is_a_clear_error(cli: InProcessCli) -> None:
    assert cli("collections").code == 0
    con = sqlite3.connect(cli.paths.catalog_file)
    con.execute("UPDATE alembic_version SET version_num = 'ffff_newer'")
    con.commit()
    con.close()
    r = cli("collections")
    assert r.code == 1
    assert "newer version" in r.err


def test_version(capsys: pytest.CaptureFixture[str], cli: InProcessCli) -> None:
    with pytest.raises(SystemExit) as info:
        cli("--version")
    assert info.value.code == 0
    assert __version__ in capsys.readouterr().out


def _as_json(value: Any) -> Any:
    return json.loads(json.dumps(value))


def test_media_json_is_one_array_of_plain_values(cli: InProcessCli, shoot: Path) -> None:
    cli("import", str(shoot))
    r = cli("media", "Wedding", "--json")
    data = json.loads(r.out)
    assert isinstance(data, list) and len(data) == len(SHOOT_MEDIA)
    assert _as_json(data) == data
    assert r.out.strip().startswith("[") and r.out.strip().endswith("]")
