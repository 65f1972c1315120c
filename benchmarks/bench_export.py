"""Watermarked Web 2048 export against a naive Pillow loop and ImageMagick: N 24 MP JPEGs.

    python benchmarks/bench_export.py [--n 40] [--repeat 3] [--workers W] [--no-pipeline]
                                      [--no-tuned] [--json] [--strict]

Every side turns the same N synthetic 6000x4000 JPEGs (the photos of bench_import.py) into
upright 2048 px JPEGs at quality 90 with the same mark (PNG logo above a text) in the
bottom-right corner, and writes them into a temporary folder. The files are in the page cache
before any timing.
Targets: ours on 1 worker >= 2x the naive Pillow loop and >= 1.2x ImageMagick per core.
Exit status: 0 ran (target met or not, unless --strict), 1 outputs not comparable or --strict
miss, 2 ImageMagick is not installed.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageOps, ImageStat

from _synthetic import (
    CACHE_DIR,
    PHOTO_GENERATOR_VERSION,
    cpu_count,
    ensure_photo_set,
    fresh_home,
    log,
    photo_name,
    photo_set_dir,
    read_all,
)
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.catalog.watermarks import add_watermark
from gallery_desktop.export.items import ExportRequest
from gallery_desktop.export.run import run_export
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.ingest.parallel import run_parallel
from gallery_desktop.media.export import PRESETS, ExportSettings, draft_box_for, fit, render_photo
from gallery_desktop.media.watermark import (
    TokenValues,
    WatermarkSpec,
    anchor_box,
    find_font,
    render_mark,
)

TARGET_NAIVE: Final = 2.0  # ours (1 worker) / naive Pillow loop
TARGET_MAGICK: Final = 1.2  # ours (1 worker) / ImageMagick per core
PRESET: Final = PRESETS["web2048"]
LONG_EDGE: Final = 2048
QUALITY: Final = 90
OPACITY: Final = 0.8  # of logo and text alike, so ImageMagick's single dissolve matches it
WATERMARK_NAME: Final = "Bench"
OTHER_LOAD_WARNING: Final = 0.25  # cores kept busy by other processes during a timed side

# Comparability of the outputs (mean absolute difference, 0-255, over R, G and B):
MARK_MIN_DIFF: Final = 25.0  # under the mark's opaque parts, against the clean rendition
MARK_MAX_DIFF_TO_OURS: Final = 0.35  # ... against ours, as a share of ours against clean
REST_MAX_DIFF: Final = 4.0  # away from the mark, against the clean rendition
MASK_ALPHA: Final = 150  # mark pixels at least this opaque make the "under the mark" mask

OURS_1, OURS_ALL, PIPELINE, NAIVE, MAGICK, MAGICK_TUNED = (
    "ours_1",
    "ours_all",
    "export_run",
    "naive",
    "magick",
    "magick_tuned",
)


def cpu_seconds(who: int) -> float:
    """User + system CPU time of this process (all threads) or of its reaped children."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


class BenchmarkError(Exception):
    """A side failed or produced something else than the others; the figures would mislead."""


# -- inputs -------------------------------------------------------------------------------------


def photo_files(n: int) -> list[Path]:
    """The n photos of bench_import.py. Photo i is the same file in every set of this generator
    version, so missing ones are hard-linked from a bigger cached set before any is generated."""
    target = photo_set_dir(n) / "shoot"
    wanted = [photo_name(i) for i in range(n)]
    for other in sorted(CACHE_DIR.glob(f"photos-g{PHOTO_GENERATOR_VERSION}-n*/shoot")):
        if other == target:
            continue
        for name in wanted:
            src, dst = other / name, target / name
            if dst.exists() or not src.is_file():
                continue
            target.mkdir(parents=True, exist_ok=True)
            try:
                os.link(src, dst)
            except OSError:  # no hard links here: copy, as atomically as the generator writes
                tmp = dst.with_name(f".tmp-{name}")
                shutil.copyfile(src, tmp)
                tmp.replace(dst)
    return ensure_photo_set(n)


def make_logo() -> bytes:
    """A studio logo as a photographer has one: an RGBA PNG, a translucent badge with a name."""
    w, h = 640, 320
    logo = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(logo)
    draw.rounded_rectangle((8, 8, w - 8, h - 8), radius=60, fill=(150, 20, 30, 220))
    draw.rounded_rectangle((24, 24, w - 24, h - 24), radius=48, outline=(255, 255, 255), width=8)
    draw.ellipse((56, 90, 196, 230), fill=(255, 255, 255, 255))
    font_path = find_font("DejaVuSans-Bold")
    font = ImageFont.truetype(str(font_path), 110) if font_path else ImageFont.load_default(110)
    draw.text((220, 160), "LUMEN", font=font, fill=(255, 255, 255, 255), anchor="lm")
    buf = io.BytesIO()
    logo.save(buf, "PNG")
    return buf.getvalue()


@dataclass(frozen=True)
class Job:
    """Everything the sides share: inputs, the watermark and the mark as the others get it."""

    files: list[Path]
    spec: WatermarkSpec
    tokens: TokenValues
    settings: ExportSettings
    out_size: tuple[int, int]  # as stored (before orientation)
    mark_png: Path  # the mark at full opacity: ImageMagick dissolves it, naive fades it
    margin_px: int
    draft_box: tuple[int, int]


def prepare_job(files: list[Path], work: Path) -> Job:
    with Image.open(files[0]) as first:
        size = first.size
    for path in files[1:]:
        with Image.open(path) as im:
            if im.size != size:
                raise BenchmarkError(f"{path.name} is {im.size}, not {size} like the others")
    out_size = fit(size[0], size[1], LONG_EDGE)
    short_edge = min(out_size)  # the same for landscape and portrait outputs
    spec = WatermarkSpec(
        text="© Studio Lumen",
        font="DejaVuSans",
        logo=make_logo(),
        opacity=OPACITY,
        logo_opacity=OPACITY,
        position="bottom-right",
    )
    spec.check()
    tokens = TokenValues(collection="Bench", date="2026-11-29")
    full = render_mark(replace(spec, opacity=1.0, logo_opacity=1.0), short_edge, tokens)
    mark_png = work / "mark.png"
    full.save(mark_png, "PNG")
    return Job(
        files=files,
        spec=spec,
        tokens=tokens,
        settings=ExportSettings(PRESET),
        out_size=out_size,
        mark_png=mark_png,
        margin_px=round(spec.margin * short_edge),
        draft_box=draft_box_for(size[0], size[1], LONG_EDGE),
    )


# -- the sides ----------------------------------------------------------------------------------


def machine_busy_seconds() -> float | None:
    """CPU time the whole machine has been busy (all processes, all cores); None off Linux."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal: all but idle and iowait
    return (sum(ticks[0:3]) + sum(ticks[5:8])) / os.sysconf("SC_CLK_TCK")


def timed(n: int, who: int, body: Callable[[], None]) -> dict[str, Any]:
    """Wall and CPU time of `body` (`who`: this process or its children), and how many cores
    other processes kept busy meanwhile (they slow the wall-clock figures, not the CPU ones)."""
    busy_before = machine_busy_seconds()
    ours_before = cpu_seconds(resource.RUSAGE_SELF) + cpu_seconds(resource.RUSAGE_CHILDREN)
    cpu_before = cpu_seconds(who)
    started = time.perf_counter()
    body()
    seconds = time.perf_counter() - started
    cpu = cpu_seconds(who) - cpu_before
    ours = cpu_seconds(resource.RUSAGE_SELF) + cpu_seconds(resource.RUSAGE_CHILDREN) - ours_before
    busy_after = machine_busy_seconds()
    others = None
    if busy_before is not None and busy_after is not None:
        others = round(max(0.0, busy_after - busy_before - ours) / seconds, 2)
    return {
        "seconds": round(seconds, 3),
        "images_per_s": round(n / seconds, 2),
        "cpu_ms_per_image": round(1000 * cpu / n, 1),
        "other_processes_cores": others,
    }


def run_ours(job: Job, out: Path, workers: int) -> dict[str, Any]:
    """`render_photo` per file on a thread pool of `workers`, as an export run does."""

    def one(path: Path) -> None:
        rendition = render_photo(path.read_bytes(), job.settings, job.spec, job.tokens)
        assert rendition.data is not None
        (out / path.name).write_bytes(rendition.data)

    def body() -> None:
        for _path, _ in run_parallel(one, job.files, workers=workers):
            pass

    return timed(len(job.files), resource.RUSAGE_SELF, body)


def run_naive(job: Job, out: Path) -> dict[str, Any]:
    """What a Pillow tutorial does: decode everything, turn, resize, paste the mark, save."""

    def body() -> None:
        with Image.open(job.mark_png) as loaded:
            mark = loaded.convert("RGBA")
        mark.putalpha(mark.getchannel("A").point(lambda a: round(a * OPACITY)))
        m = job.margin_px
        for path in job.files:
            with Image.open(path) as im:
                im.load()  # full 24 MP decode, no draft
                upright = ImageOps.exif_transpose(im)
            scale = LONG_EDGE / max(upright.size)
            size = (round(upright.width * scale), round(upright.height * scale))
            small = upright.resize(size, Image.Resampling.LANCZOS)
            small.paste(mark, (small.width - mark.width - m, small.height - mark.height - m), mark)
            small.save(out / path.name, "JPEG", quality=QUALITY)

    return timed(len(job.files), resource.RUSAGE_SELF, body)


def magick_command(
    exe: list[str], job: Job, src: Path, dst: Path, *, tuned: bool = False
) -> list[str]:
    """One image, as a shell script would: upright, fit in 2048x2048, dissolve the mark in."""
    hint = ["-define", "jpeg:size={}x{}".format(*job.draft_box)] if tuned else []
    return [
        *exe,
        *hint,
        str(src),
        "-auto-orient",
        "-resize",
        f"{LONG_EDGE}x{LONG_EDGE}",
        str(job.mark_png),
        "-gravity",
        "southeast",
        "-geometry",
        f"+{job.margin_px}+{job.margin_px}",
        "-compose",
        "dissolve",
        "-define",
        f"compose:args={round(OPACITY * 100)}",
        "-composite",
        "-quality",
        str(QUALITY),
        str(dst),
    ]


def magick_env() -> dict[str, str]:
    """One thread per ImageMagick process (it uses OpenMP on every core otherwise)."""
    return {**os.environ, "MAGICK_THREAD_LIMIT": "1", "OMP_NUM_THREADS": "1"}


def run_magick(exe: list[str], job: Job, out: Path, *, tuned: bool = False) -> dict[str, Any]:
    """One ImageMagick process per image, one after the other, each on one thread."""
    env = magick_env()

    def body() -> None:
        for path in job.files:
            cmd = magick_command(exe, job, path, out / path.name, tuned=tuned)
            done = subprocess.run(cmd, capture_output=True, env=env, check=False)
            if done.returncode:
                text = done.stderr.decode(errors="replace").strip()
                raise BenchmarkError(f"ImageMagick failed on {path.name}: {text}")

    return timed(len(job.files), resource.RUSAGE_CHILDREN, body)


def find_magick() -> tuple[list[str], str] | None:
    """ImageMagick 7 (`magick`) or 6 (`convert`) and its version line; None if neither."""
    for name in ("magick", "convert"):
        exe = shutil.which(name)
        if exe is None:
            continue
        try:
            done = subprocess.run(
                [exe, "-version"], capture_output=True, text=True, timeout=30, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        first = done.stdout.strip().splitlines()[0] if done.stdout.strip() else ""
        if done.returncode == 0 and first.startswith("Version: ImageMagick"):
            version = first.removeprefix("Version: ").split(" https:")[0]
            return [exe], f"{version}, `{name}`"
    return None


@dataclass
class Pipeline:
    """An imported collection with the watermark set, for whole `run_export` runs."""

    catalog: Catalog
    collection_id: int
    setup_seconds: float

    def run(self, job: Job, out: Path, workers: int) -> dict[str, Any]:
        request = ExportRequest(collection_id=self.collection_id, watermark=WATERMARK_NAME)
        summaries = []

        def body() -> None:
            summaries.append(run_export(self.catalog, request, job.settings, out, workers=workers))

        r = timed(len(job.files), resource.RUSAGE_SELF, body)
        s = summaries[0]
        if len(s.written) != len(job.files) or s.failed or s.skipped:
            raise BenchmarkError(
                f"run_export wrote {len(s.written)} of {len(job.files)} "
                f"(failed {s.failed[:3]}, skipped {s.skipped[:3]})"
            )
        return r


# -- are the outputs comparable? ----------------------------------------------------------------


def _mean(stat: ImageStat.Stat) -> float:
    return sum(stat.mean[:3]) / 3


def check_outputs(job: Job, dirs: dict[str, Path]) -> dict[str, Any]:
    """Every side's output of every photo against our un-watermarked rendition of it: same
    size (2048 px long edge, same orientation), the mark where it belongs, the rest alike."""
    with Image.open(job.mark_png) as loaded:
        mark = loaded.convert("RGBA")
    mask_full = mark.getchannel("A").point(lambda a: 255 if a * OPACITY >= MASK_ALPHA else 0)
    worst: dict[str, dict[str, float]] = {
        side: {"mark_vs_clean_min": 1e9, "mark_vs_ours_share_max": 0.0, "rest_vs_clean_max": 0.0}
        for side in dirs
    }
    problems: list[str] = []
    for path in job.files:
        clean_jpeg = render_photo(path.read_bytes(), job.settings, None).data
        assert clean_jpeg is not None
        clean = Image.open(io.BytesIO(clean_jpeg)).convert("RGB")
        box = anchor_box(job.spec.position, clean.size, mark.size, job.spec.margin)
        region = (box[0], box[1], box[0] + mark.width, box[1] + mark.height)
        # Away from the mark: the top half, well clear of a bottom-right corner mark.
        rest = (0, 0, clean.width, clean.height // 2)
        images = {}
        for side, folder in dirs.items():
            out = folder / path.name
            if not out.is_file():
                problems.append(f"{side}: no output for {path.name}")
                continue
            with Image.open(out) as im:
                images[side] = im.convert("RGB")
        ours = images.get(OURS_1)
        ours_diff = None
        if ours is not None and ours.size == clean.size:
            d = ImageChops.difference(ours.crop(region), clean.crop(region))
            ours_diff = _mean(ImageStat.Stat(d, mask_full))
        for side, im in images.items():
            if im.size != clean.size or max(im.size) != LONG_EDGE:
                problems.append(f"{side}: {path.name} is {im.size}, expected {clean.size}")
                continue
            d = ImageChops.difference(im.crop(region), clean.crop(region))
            mark_diff = _mean(ImageStat.Stat(d, mask_full))
            rest_diff = _mean(
                ImageStat.Stat(ImageChops.difference(im.crop(rest), clean.crop(rest)))
            )
            w = worst[side]
            w["mark_vs_clean_min"] = min(w["mark_vs_clean_min"], mark_diff)
            w["rest_vs_clean_max"] = max(w["rest_vs_clean_max"], rest_diff)
            if mark_diff < MARK_MIN_DIFF:
                problems.append(
                    f"{side}: {path.name}: no watermark where it belongs "
                    f"(differs from the clean rendition by {mark_diff:.1f})"
                )
            if rest_diff > REST_MAX_DIFF:
                problems.append(
                    f"{side}: {path.name}: away from the mark differs from the clean rendition "
                    f"by {rest_diff:.1f} (> {REST_MAX_DIFF})"
                )
            if side != OURS_1 and ours is not None and ours_diff:
                to_ours = _mean(
                    ImageStat.Stat(
                        ImageChops.difference(im.crop(region), ours.crop(region)), mask_full
                    )
                )
                share = to_ours / ours_diff
                w["mark_vs_ours_share_max"] = max(w["mark_vs_ours_share_max"], share)
                if share > MARK_MAX_DIFF_TO_OURS:
                    problems.append(
                        f"{side}: {path.name}: its mark differs from ours by {to_ours:.1f} "
                        f"({share:.0%} of the mark itself; > {MARK_MAX_DIFF_TO_OURS:.0%})"
                    )
    if problems:
        more = f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise BenchmarkError("outputs are not comparable:\n  " + "\n  ".join(problems[:10]) + more)
    sizes = {
        side: round(sum(p.stat().st_size for p in folder.glob("*.jpg")) / len(job.files) / 1e3)
        for side, folder in dirs.items()
    }
    return {
        side: {k: round(v, 2) for k, v in w.items()} | {"kb_per_image": sizes[side]}
        for side, w in worst.items()
    }


# -- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--n", type=int, default=40, help="number of 24 MP photos (default 40)")
    p.add_argument("--repeat", type=int, default=3, help="timed runs of each side; median shown")
    p.add_argument("--workers", type=int, default=None, help="'all cores' workers (default: all)")
    p.add_argument(
        "--no-pipeline", action="store_true", help="skip the whole run_export (no import needed)"
    )
    p.add_argument("--no-tuned", action="store_true", help="skip ImageMagick with a jpeg:size hint")
    p.add_argument("--json", action="store_true", help="print the results as one JSON object")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = p.parse_args(argv)
    if args.n < 1 or args.repeat < 1 or (args.workers is not None and args.workers < 1):
        p.error("--n, --repeat and --workers must be at least 1")

    magick = find_magick()
    if magick is None:
        log(
            "ImageMagick is not installed; it is a baseline of this benchmark.\n"
            "  `make bench` installs it (Debian package imagemagick), or run:\n"
            "  sudo apt-get install -y imagemagick"
        )
        return 2
    magick_exe, magick_version = magick

    cores = cpu_count()
    workers = args.workers or cores
    files = photo_files(args.n)
    started = time.perf_counter()
    total_bytes = read_all(files)
    log(
        f"warmed the page cache: {len(files)} files, {total_bytes / 1e6:.0f} MB "
        f"({total_bytes / len(files) / 1e6:.1f} MB/photo) in {time.perf_counter() - started:.1f} s"
    )

    runs: dict[str, list[dict[str, Any]]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="gd-bench-export-") as tmp,
        fresh_home("gd-bench-export-home-") as (catalog, cache),
    ):
        work = Path(tmp)
        try:
            job = prepare_job(files, work)
            pipeline = None
            if not args.no_pipeline:
                t0 = time.perf_counter()
                summary = import_folder(catalog, cache, files[0].parent)
                if summary.new != args.n or summary.errors:
                    raise BenchmarkError(f"import: {summary.new} new, {summary.errors} errors")
                add_watermark(catalog, WATERMARK_NAME, job.spec)
                pipeline = Pipeline(catalog, summary.collection_id, time.perf_counter() - t0)
                log(f"setup (not timed): imported the photos in {pipeline.setup_seconds:.1f} s")

            sides: list[tuple[str, Callable[[Path], dict[str, Any]]]] = [
                (OURS_1, lambda out: run_ours(job, out, 1)),
                (OURS_ALL, lambda out: run_ours(job, out, workers)),
                (NAIVE, lambda out: run_naive(job, out)),
                (MAGICK, lambda out: run_magick(magick_exe, job, out)),
            ]
            if pipeline is not None:
                pipe = pipeline
                sides.append((PIPELINE, lambda out: pipe.run(job, out, workers)))
            if not args.no_tuned:
                sides.append(
                    (MAGICK_TUNED, lambda out: run_magick(magick_exe, job, out, tuned=True))
                )
            first_outputs: dict[str, Path] = {}
            for i in range(args.repeat):
                # Rotate the order, so no side always gets the cooler (or warmer) machine.
                for side, run in sides[i % len(sides) :] + sides[: i % len(sides)]:
                    out = work / f"{side}-{i}"
                    out.mkdir()
                    r = run(out)
                    runs.setdefault(side, []).append(r)
                    log(
                        f"  run {i + 1}: {side} {r['seconds']:.2f} s, "
                        f"{r['cpu_ms_per_image']} ms CPU/img, "
                        f"other processes {r['other_processes_cores']} cores"
                    )
                    if i == 0:
                        first_outputs[side] = out
                    else:
                        shutil.rmtree(out)
            log("checking the outputs (not timed)...")
            checks = check_outputs(job, first_outputs)
        except BenchmarkError as exc:
            log(f"FAILED: {exc}")
            return 1

    med: dict[str, dict[str, Any]] = {}
    for side, rs in runs.items():
        seconds = statistics.median(r["seconds"] for r in rs)
        med[side] = {
            "seconds": seconds,
            "images_per_s": round(args.n / seconds, 2),
            "cpu_ms_per_image": statistics.median(r["cpu_ms_per_image"] for r in rs),
            "runs": rs,
            "check": checks.get(side),
        }
    rate = {side: m["images_per_s"] for side, m in med.items()}
    vs_naive = rate[OURS_1] / rate[NAIVE]
    vs_magick = rate[OURS_1] / rate[MAGICK]
    met_naive, met_magick = vs_naive >= TARGET_NAIVE, vs_magick >= TARGET_MAGICK
    ow, oh = job.out_size
    result: dict[str, Any] = {
        "benchmark": "export",
        "photos": args.n,
        "photo_size": "6000x4000",
        "output": f"{ow}x{oh} (long edge {LONG_EDGE}), JPEG q{QUALITY}, logo + text watermark",
        "mb_per_photo": round(total_bytes / args.n / 1e6, 2),
        "cores": cores,
        "workers": workers,
        "repeat": args.repeat,
        "imagemagick": magick_version,
        "imagemagick_command": " ".join(
            magick_command(["convert"], job, Path("in.jpg"), Path("out.jpg"))
        ).replace(str(job.mark_png), "mark.png"),
        "sides": med,
        "ratio_vs_naive": round(vs_naive, 3),
        "target_vs_naive": TARGET_NAIVE,
        "ratio_vs_imagemagick": round(vs_magick, 3),
        "target_vs_imagemagick": TARGET_MAGICK,
        "target_met": met_naive and met_magick,
        "pipeline_setup_seconds": round(pipeline.setup_seconds, 2) if pipeline else None,
        "cache": str(photo_set_dir(args.n)),
    }
    labels = {
        OURS_1: "ours, render_photo, 1 worker",
        OURS_ALL: f"ours, render_photo, {workers} workers",
        PIPELINE: f"ours, whole run_export, {workers} workers",
        NAIVE: "naive Pillow loop, 1 worker",
        MAGICK: "ImageMagick, 1 process (1 thread) at a time",
        MAGICK_TUNED: "ImageMagick + jpeg:size hint (no target)",
    }
    others = [
        (r["other_processes_cores"], side)
        for side, rs in runs.items()
        for r in rs
        if r["other_processes_cores"] is not None
    ]
    busiest = max(others, default=None)
    result["other_processes_max_cores"] = busiest[0] if busiest else None
    lines = [
        f"ours (1 worker) / naive: {vs_naive:.2f} (target >= {TARGET_NAIVE}) "
        + ("OK" if met_naive else "MISSED"),
        f"ours (1 worker) / ImageMagick per core: {vs_magick:.2f} (target >= {TARGET_MAGICK}) "
        + ("OK" if met_magick else "MISSED"),
        f"ours ({workers} workers): {rate[OURS_ALL]:.1f} img/s "
        f"({rate[OURS_ALL] / rate[OURS_1]:.2f}x 1 worker)",
    ]
    if args.json:
        for line in lines:
            log(line)
        print(json.dumps(result, indent=2))
    else:
        print(
            f"{args.n} photos 6000x4000, {result['mb_per_photo']} MB each -> {ow}x{oh} q{QUALITY} "
            f"with logo + text; {cores} cores, median of {args.repeat} run(s); {magick_version}"
        )
        for side in (OURS_1, OURS_ALL, PIPELINE, NAIVE, MAGICK, MAGICK_TUNED):
            if side not in med:
                continue
            m, c = med[side], med[side]["check"]
            print(
                f"  {labels[side]:<43} {m['images_per_s']:6.2f} img/s  "
                f"{m['seconds']:6.2f} s  {m['cpu_ms_per_image']:6.1f} ms CPU/img  "
                f"{c['kb_per_image']:4d} KB/img"
            )
        print(
            "outputs checked: every side "
            f"{LONG_EDGE} px long edge; mark vs clean >= "
            + f"{min(c['mark_vs_clean_min'] for c in checks.values()):.1f} "
            + f"(need {MARK_MIN_DIFF:g}); mark vs ours <= "
            + f"{max(c['mark_vs_ours_share_max'] for c in checks.values()):.0%} of that "
            + f"(allowed {MARK_MAX_DIFF_TO_OURS:.0%}); elsewhere vs clean <= "
            + f"{max(c['rest_vs_clean_max'] for c in checks.values()):.1f} "
            + f"(allowed {REST_MAX_DIFF:g})"
        )
        for line in lines:
            print(line)
    if busiest is not None and busiest[0] >= OTHER_LOAD_WARNING:
        log(
            f"note: other processes kept up to {busiest[0]:.2f} of the {cores} cores busy during "
            f"the timing (in a run of {busiest[1]}); the wall-clock figures (img/s, ratios) are "
            "low where that happened, the CPU ms/img are not: run again on a quiet machine"
        )
    return 1 if args.strict and not (met_naive and met_magick) else 0


if __name__ == "__main__":
    sys.exit(main())
