#!/usr/bin/env bash
# Smoke-run the BUNDLED app (make package): version, CLI imports of corpus folders (JPEG with
# EXIF, HEIC/AVIF/WebP/TIFF..., camera RAW, video), the catalogue's listing and check, then the
# GUI offscreen (and under Xvfb with the xcb plugin when xvfb-run is installed), all in a
# temporary home. Exits non-zero on the first failure.
#   packaging/smoke.sh [dist/gallery-desktop/gallery-desktop]
set -euo pipefail
cd "$(dirname "$0")/.."
APP=$(realpath "${1:-dist/gallery-desktop/gallery-desktop}")
CORPUS=$(realpath "${CORPUS:-../shared/corpus}")
PY=${PYTHON:-python3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/home/.config" XDG_DATA_HOME="$TMP/home/.local/share"
export XDG_CACHE_HOME="$TMP/home/.cache" XDG_RUNTIME_DIR="$TMP/run"
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
CAT="$TMP/catalogue"
fail() { echo "smoke: FAIL: $*" >&2; exit 1; }
step() { echo "smoke: $*"; }

want=$("$PY" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
got=$("$APP" --version)
[[ $got == "gallery-desktop $want" ]] || fail "--version said '$got', pyproject says $want"
step "version ok ($got)"

"$APP" --home "$CAT" import "$CORPUS/photos/exif" "$CORPUS/photos/formats" "$CORPUS/raw" \
  "$CORPUS/video" --json >"$TMP/import.json" || fail "import exited $?"
"$PY" - "$TMP/import.json" <<'PYEOF' || fail "import summaries"
import json, sys
runs = json.load(open(sys.argv[1]))
assert [r["collection"] for r in runs] == ["exif", "formats", "raw", "video"], runs
for r in runs:
    assert r["files"] > 0 and r["new"] == r["files"] and r["errors"] == 0, r
    assert r["thumbnails"] > 0, r
print("smoke: import ok:", ", ".join(f"{r['collection']} {r['files']} files" for r in runs), flush=True)
PYEOF

"$APP" --home "$CAT" collections --json >"$TMP/collections.json" || fail "collections exited $?"
for c in formats raw video; do
  "$APP" --home "$CAT" media "$c" --json >"$TMP/media-$c.json" || fail "media $c exited $?"
done
"$PY" - "$TMP" <<'PYEOF' || fail "catalogue contents"
import json, sys, pathlib
tmp = pathlib.Path(sys.argv[1])
cols = {c["name"]: c for c in json.loads((tmp / "collections.json").read_text())}
assert set(cols) == {"exif", "formats", "raw", "video"}, cols
assert cols["exif"]["photos"] == 24 and cols["video"]["videos"] >= 1, cols
for name in ("formats", "raw", "video"):
    media = json.loads((tmp / f"media-{name}.json").read_text())
    assert media and all(m["state"] == "ok" for m in media), name
    sized = [m for m in media if m["width"] and m["height"]]
    # (one corpus MP4 has no video stream: no size; the rest must have been read)
    assert len(sized) >= len(media) - 1, (name, media)
    if name == "video":  # PyAV (FFmpeg) in the bundle read the streams
        assert sum(1 for m in media if m["duration"]) >= 2, media
    if name == "raw":  # LibRaw / TIFF-based RAW parsing in the bundle
        assert all(m["width"] for m in media), media
formats = {m["format"] for m in json.loads((tmp / "media-formats.json").read_text())}
assert {"HEIF", "AVIF", "WEBP", "TIFF", "PNG", "JPEG"} <= {f.upper() for f in formats}, formats
print("smoke: catalogue ok:", {n: c["media"] for n, c in cols.items()}, "formats", sorted(formats))
PYEOF
"$APP" --home "$CAT" check >"$TMP/check.txt" || { cat "$TMP/check.txt"; fail "check exited non-zero"; }
step "check ok"

# The GUI: opens the catalogue, imports one more folder as if dropped on the window, and quits
# once idle (GALLERY_DESKTOP_TEST_QUIT_AFTER_MS, the app's test hook in ui/app.py).
gui() {  # gui PLATFORM [wrapper...]
  local platform=$1; shift
  QT_QPA_PLATFORM=$platform GALLERY_DESKTOP_TEST_QUIT_AFTER_MS=500 timeout 120 \
    "$@" "$APP" --home "$CAT" "$CORPUS/photos/orientation" >"$TMP/gui.out" 2>"$TMP/gui.err" \
    || { rc=$?; cat "$TMP/gui.out" "$TMP/gui.err"; fail "GUI ($platform) exited $rc"; }
  grep -q "gallery-desktop-test: quitting" "$TMP/gui.out" || { cat "$TMP/gui.out" "$TMP/gui.err"; fail "GUI ($platform) did not reach its idle quit"; }
  ! grep -q "Traceback" "$TMP/gui.err" || { cat "$TMP/gui.err"; fail "GUI ($platform) logged a traceback"; }
}
gui offscreen
"$APP" --home "$CAT" collections --json | "$PY" -c '
import json, sys
cols = {c["name"]: c for c in json.load(sys.stdin)}
assert cols.get("orientation", {}).get("media", 0) > 0, cols
' || fail "the GUI did not import the folder it was given"
step "GUI offscreen ok (window shown, folder imported, exit 0)"
if command -v xvfb-run >/dev/null 2>&1; then
  gui xcb xvfb-run -a -s "-screen 0 1280x800x24"
  step "GUI xcb under Xvfb ok"
else
  step "GUI xcb skipped (no xvfb-run)"
fi
step "all ok: $APP"
