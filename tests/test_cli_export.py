"""`gallery-desktop export` and `gallery-desktop watermark`: end to end, and in-process for the
options and the errors (one line on stderr, exit 2 for bad input, 1 when files failed)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any, Final

import pytest
from PIL import ExifTags, Image

from conftest import (
    SHOOT_MEDIA,
    CliResult,
    InProcessCli,
    copy_from_corpus,
    make_shoot,
    run_cli,
    set_culling,
)
from gallery_desktop.media.export import PRESETS

SUMMARY_KEYS: Final = {
    "target",
    "written",
    "files",
    "skipped",
    "failed",
    "clean_videos",
    "watermark",
    "cancelled",
}
BIG: Final = "Ceremony/big.jpg"  # photos/orientation/Landscape_6.jpg: 1800x1200 upright


def _no_traceback(text: str | bytes) -> None:
    shown = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    assert "Traceback" not in shown, shown


def _one_line_error(r: CliResult) -> None:
    _no_traceback(r.err)
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gallery-desktop: error: "), r.err


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def wedding(cli: InProcessCli, tmp_path: Path) -> Path:
    """The conftest shoot plus one photo big enough to be scaled by every web preset."""
    shoot = make_shoot(tmp_path / "shoots")
    copy_from_corpus("photos/orientation/Landscape_6.jpg", shoot / BIG)
    r = cli("import", str(shoot))
    assert r.code == 0, r.err
    return shoot


def _export(cli: InProcessCli, out: Path, *args: str, preset: str = "web640") -> CliResult:
    return cli("export", "Wedding", "--preset", preset, "--out", str(out), *args)


def _summary(r: CliResult) -> dict[str, Any]:
    """The --json summary, whatever the exit code."""
    _no_traceback(r.err)
    data = json.loads(r.out)
    assert isinstance(data, dict)
    return data


# -- end to end, as a real process ------------------------------------------------------------


def test_export_json_summary_end_to_end(tmp_path: Path) -> None:
    home = tmp_path / "home"
    shoot = make_shoot(tmp_path / "shoots")
    assert run_cli(home, "import", str(shoot)).returncode == 0
    added = run_cli(home, "watermark", "add", "Proof", "--text", "PROOF {filename}")
    assert added.returncode == 0, added.stderr
    out = tmp_path / "out"
    proc = run_cli(
        home, "export", "Wedding", "--preset", "web640", "--watermark", "Proof",
        "--out", str(out), "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == b"", "progress or noise on stderr although it is not a terminal"
    s = json.loads(proc.stdout)
    assert set(s) >= SUMMARY_KEYS
    assert Path(s["target"]) == out.resolve()
    assert s["written"] == len(SHOOT_MEDIA) == len(s["files"])
    assert sorted(s["files"]) == _files(out)
    assert s["skipped"] == [] and s["failed"] == []
    assert s["clean_videos"] == 1
    assert s["watermark"] == "Proof"
    assert s["cancelled"] is False
    for name in s["files"]:
        if name.endswith(".jpg"):
            assert Image.open(out / name).format == "JPEG"


def test_export_errors_are_one_line_without_traceback_in_a_real_process(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_cli(home, "import", str(make_shoot(tmp_path / "shoots"))).returncode == 0
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = run_cli(home, "export", "Wedding", "--preset", "web640", "--out", str(blocker))
    assert proc.returncode == 2
    _no_traceback(proc.stderr)
    assert proc.stderr.decode().count("\n") == 1
    assert proc.stdout == b""


# -- presets, options -------------------------------------------------------------------------


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset_from_the_command_line(
    cli: InProcessCli, wedding: Path, tmp_path: Path, preset: str
) -> None:
    out = tmp_path / "out"
    r = _export(cli, out, "--no-watermark", preset=preset)
    assert r.code == 0, r.err
    big = out / BIG
    long_edge = PRESETS[preset].long_edge
    if long_edge is None:  # Original without a watermark: the file itself
        assert _sha(big) == _sha(wedding / BIG)
        assert _sha(out / "Party" / "clip.mp4") == _sha(wedding / "Party" / "clip.mp4")
        return
    im = Image.open(big)
    assert im.format == "JPEG"
    assert max(im.size) == min(long_edge, 1800) and im.width > im.height  # upright landscape
    cover = Image.open(out / "Highlights" / "cover.jpg")
    assert cover.size == (480, 360)  # never enlarged


def test_zip_holds_what_the_summary_lists(cli: InProcessCli, wedding: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    s = _summary(_export(cli, out, "--zip", "--json", preset="original"))
    assert os.listdir(out) == [Path(s["target"]).name]
    assert Path(s["target"]).suffix == ".zip"
    with zipfile.ZipFile(s["target"]) as z:
        assert sorted(z.namelist()) == sorted(s["files"])
        assert z.read("Party/clip.mp4") == (wedding / "Party" / "clip.mp4").read_bytes()
        assert z.read(BIG) == (wedding / BIG).read_bytes()


def test_gallery_and_folder_options(cli: InProcessCli, wedding: Path, tmp_path: Path) -> None:
    party = _summary(_export(cli, tmp_path / "party", "--gallery", "Party", "--json"))
    assert sorted(party["files"]) == ["c.jpg", "clip.mp4"]
    flat = _summary(_export(cli, tmp_path / "flat", "--flat", "--json"))
    assert all("/" not in f for f in flat["files"]) and flat["written"] == len(SHOOT_MEDIA) + 1
    folders = _summary(
        _export(cli, tmp_path / "gf", "--gallery", "Party", "--gallery-folders", "--json")
    )
    assert sorted(folders["files"]) == ["Party/c.jpg", "Party/clip.mp4"]


def test_min_rating_exports_only_the_rated(
    cli: InProcessCli, wedding: Path, tmp_path: Path
) -> None:
    media = json.loads(cli("media", "Wedding", "--json").out)
    ids = {m["path"]: m["id"] for m in media}
    catalog = cli.open_catalog()
    try:
        set_culling(catalog, ids["Party/c.jpg"], rating=5)
        set_culling(catalog, ids["cover.jpg"], rating=2)
    finally:
        catalog.close()
    s = _summary(_export(cli, tmp_path / "out", "--min-rating", "4", "--json"))
    assert s["files"] == ["c.jpg"]  # one gallery left: no folder


def test_metadata_and_quality_options(cli: InProcessCli, wedding: Path, tmp_path: Path) -> None:
    # Party/c.jpg is exiv2-gc.jpg: camera make and model, a capture date
    for policy in ("all", "copyright", "none"):
        out = tmp_path / policy
        assert _export(cli, out, "--metadata", policy, "--no-watermark").code == 0
        exif = Image.open(out / "Party" / "c.jpg").getexif()
        if policy == "none":
            assert not exif
        else:
            assert exif.get(0x010F) and exif.get(0x0110)  # Make, Model
            assert exif.get(0x0112) in (None, 1)
            assert exif.get_ifd(ExifTags.IFD.Exif).get(0x9003)  # DateTimeOriginal
    low, high = tmp_path / "q20", tmp_path / "q95"
    assert _export(cli, low, "--quality", "20").code == 0
    assert _export(cli, high, "--quality", "95").code == 0
    assert (low / BIG).stat().st_size < (high / BIG).stat().st_size / 2


def test_videos_skipped_are_reported(cli: InProcessCli, wedding: Path, tmp_path: Path) -> None:
    r = _export(cli, tmp_path / "text", "--videos", "skip")
    assert r.code == 0, r.err  # skipping on purpose is not a failure
    assert "skipped: 1" in r.out and "Party/clip.mp4" in r.out
    assert not (tmp_path / "text" / "Party" / "clip.mp4").exists()
    s = _summary(_export(cli, tmp_path / "json", "--videos", "skip", "--json"))
    assert [x["media"] for x in s["skipped"]] == ["Party/clip.mp4"]
    assert s["skipped"][0]["reason"]


# -- watermarks: presets, the collection's choice, the note on videos --------------------------


def test_watermark_commands_and_the_collection_default(
    cli: InProcessCli, wedding: Path, tmp_path: Path
) -> None:
    assert cli("watermark", "add", "Proof", "--text", "PROOF", "--opacity", "80%").code == 0
    listed = json.loads(cli("watermark", "list", "--json").out)
    assert [p["name"] for p in listed] == ["Proof"]
    assert cli("watermark", "edit", "Proof", "--opacity", "0.3").code == 0
    shown = cli("watermark", "show", "Proof", "--json")
    assert shown.code == 0 and "0.3" in shown.out

    none_set = _summary(_export(cli, tmp_path / "plain", "--json"))
    assert none_set["clean_videos"] == 0 and "none" in none_set["watermark"]

    assert cli("watermark", "use", "Proof", "--collection", "Wedding").code == 0
    as_set = _export(cli, tmp_path / "marked")
    assert as_set.code == 0, as_set.err
    assert "Proof" in as_set.out
    assert "1 video(s) copied without a watermark" in as_set.out
    plain = Image.open(tmp_path / "plain" / BIG).convert("L")
    marked = Image.open(tmp_path / "marked" / BIG).convert("L")
    assert plain.size == marked.size and plain.tobytes() != marked.tobytes()

    clean = _summary(_export(cli, tmp_path / "clean", "--no-watermark", "--json"))
    assert clean["watermark"] == "none" and clean["clean_videos"] == 0
    assert (tmp_path / "clean" / BIG).read_bytes() == (tmp_path / "plain" / BIG).read_bytes()

    assert cli("watermark", "remove", "Proof").code == 0
    gone = _export(cli, tmp_path / "after", "--watermark", "Proof")
    assert gone.code == 2
    _one_line_error(gone)
    after = _summary(_export(cli, tmp_path / "after2", "--json"))
    assert after["clean_videos"] == 0  # the collection's choice went with the preset


# -- failures: exit 1 with the rest exported; bad input: exit 2, nothing written ---------------


def test_a_missing_original_fails_with_exit_1_and_the_rest_is_exported(
    cli: InProcessCli, wedding: Path, tmp_path: Path
) -> None:
    (wedding / "Ceremony" / "a.jpg").unlink()
    r = _export(cli, tmp_path / "text")
    assert r.code == 1
    _no_traceback(r.err)
    assert "failed: 1" in r.out and "Ceremony/a.jpg" in r.out and "missing" in r.out
    assert len(_files(tmp_path / "text")) == len(SHOOT_MEDIA)  # 6 media, one gone

    j = _export(cli, tmp_path / "json", "--json")
    assert j.code == 1
    s = _summary(j)
    assert [f["media"] for f in s["failed"]] == ["Ceremony/a.jpg"]
    assert "missing" in s["failed"][0]["reason"]
    assert s["written"] == len(SHOOT_MEDIA)


def test_a_broken_image_fails_with_exit_1(cli: InProcessCli, wedding: Path, tmp_path: Path) -> None:
    copy_from_corpus("bad/truncated/truncated_jpeg.jpg", wedding / "Party" / "broken.jpg")
    assert cli("rescan", "Wedding").code in (0, 1)
    s = _summary(j := _export(cli, tmp_path / "out", "--json"))
    assert j.code == 1
    assert [f["media"] for f in s["failed"]] == ["Party/broken.jpg"]
    assert s["failed"][0]["reason"]
    assert s["written"] == len(SHOOT_MEDIA) + 1


@pytest.mark.parametrize(
    "args",
    [
        ("--name", "{nope}"),
        ("--name", ""),
        ("--name", "fixed-name"),
        ("--watermark", "No Such Preset"),
        ("--quality", "0"),
        ("--quality", "101"),
        ("--gallery", "No Such Gallery"),
    ],
    ids=lambda a: " ".join(a) if isinstance(a, tuple) else str(a),
)
def test_bad_input_is_exit_2_with_one_line_and_nothing_written(
    cli: InProcessCli, wedding: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    out = tmp_path / "out"
    r = _export(cli, out, *args)
    assert r.code == 2, f"exit {r.code}: {r.err}"
    _one_line_error(r)
    assert r.out == ""
    assert not out.exists() or not any(out.iterdir())


def test_unknown_collection_is_exit_2(cli: InProcessCli, wedding: Path, tmp_path: Path) -> None:
    r = cli("export", "Nope", "--preset", "web640", "--out", str(tmp_path / "out"))
    assert r.code == 2
    _one_line_error(r)


def test_an_out_that_is_a_file_or_inside_one_is_exit_2(
    cli: InProcessCli, wedding: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_bytes(b"do not replace me")
    for out in (blocker, blocker / "sub"):
        for extra in ((), ("--zip",)):
            r = _export(cli, out, *extra)
            assert r.code == 2, r.err
            _one_line_error(r)
    assert blocker.read_bytes() == b"do not replace me"


def test_an_unwritable_out_is_exit_2(cli: InProcessCli, wedding: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        for sub in (locked, locked / "new"):
            r = _export(cli, sub)
            _no_traceback(r.err)
            if os.geteuid() != 0:  # root writes anywhere: no error to see
                assert r.code == 2, r.err
                _one_line_error(r)
                assert not any(locked.iterdir())
    finally:
        locked.chmod(0o700)


# -- names through the CLI ----------------------------------------------------------------------


def test_hostile_names_in_a_zip_from_the_command_line(cli: InProcessCli, tmp_path: Path) -> None:
    shoot = tmp_path / "shoots" / "CON"
    for name in ("aux.jpg", "a:b.jpg", "new\nline.jpg", "back\\slash.jpg", "Photo.JPG"):
        copy_from_corpus("photos/exif/flower.jpg", shoot / "Gal\\..\\lery" / name)
    copy_from_corpus("photos/exif/flower.jpg", shoot / "photo.jpg")
    assert cli("import", str(shoot)).code == 0
    out = tmp_path / "out"
    r = cli("export", "CON", "--preset", "web640", "--zip", "--out", str(out), "--json")
    s = _summary(r)
    assert r.code == 0
    zip_path = Path(s["target"])
    assert zip_path.parent == out.resolve() and not zip_path.name.lower().startswith("con.")
    with zipfile.ZipFile(zip_path) as z:
        names = z.namelist()
    assert len(names) == 6 and len({n.casefold() for n in names}) == 6
    for name in names:
        assert "\\" not in name and "\n" not in name and ":" not in name
        assert not name.startswith("/") and ".." not in name.split("/")
        for part in name.split("/"):
            assert part.split(".")[0].casefold() not in ("con", "aux")


def test_name_pattern_from_the_command_line(
    cli: InProcessCli, wedding: Path, tmp_path: Path
) -> None:
    s = _summary(_export(cli, tmp_path / "out", "--name", "{gallery}-{index}", "--flat", "--json"))
    assert len(s["files"]) == len(SHOOT_MEDIA) + 1
    assert all(f.split("-")[0] in ("Highlights", "Ceremony", "Party") for f in s["files"])
    assert len({f.rsplit(".", 1)[0] for f in s["files"]}) == len(s["files"])


def test_a_second_export_into_the_same_folder_adds_files(
    cli: InProcessCli, wedding: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = _summary(_export(cli, out, "--json"))
    hashes = {n: _sha(out / n) for n in first["files"]}
    second = _summary(_export(cli, out, "--json"))
    assert not set(first["files"]) & set(second["files"])
    assert all(" (2)." in n for n in second["files"])
    assert {n: _sha(out / n) for n in first["files"]} == hashes
    for name in second["files"]:
        if name.endswith(".jpg"):
            Image.open(io.BytesIO((out / name).read_bytes())).load()
