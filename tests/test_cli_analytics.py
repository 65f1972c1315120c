"""`gallery-desktop analytics COLLECTION [--json]`, through its own argparse parser (cli.py
wires it like the other command modules) over a real catalogue file."""

from __future__ import annotations

import argparse
import io
import json
from typing import Any

import pytest

from gallery_desktop import cli_analytics
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.errors import BadInputError
from test_analytics import PATHS, Activity, item, utc

A, B, C, CLIP = PATHS


def analytics(catalog: Catalog, *args: str) -> str:
    parser = argparse.ArgumentParser(prog="gallery-desktop")
    cli_analytics.add_parser(parser.add_subparsers(dest="command"))
    out = io.StringIO()
    assert cli_analytics.run(parser.parse_args(["analytics", *args]), catalog, out) == 0
    return out.getvalue()


@pytest.fixture
def cid(catalog: Catalog) -> int:
    act = Activity(catalog)
    cid = act.collection(paths=PATHS)
    act.client(cid, "ann@example.com", "Ann Smith", "download", last=utc(2025, 3, 1))
    act.download(cid, A, "ann@example.com", utc(2025, 3, 3, 12))
    act.download(cid, A, "ann@example.com", utc(2025, 3, 5, 12))
    act.download(cid, CLIP, "bob@example.com", utc(2025, 3, 5, 13))
    act.favourites(cid, "ann@example.com", [A, B])
    act.visitor(cid, "guest@example.com", utc(2025, 3, 2), visits=2)
    act.order(cid, "ann@example.com", utc(2025, 3, 6, 9), [item("Print", "8x10", 2, 1500)])
    act.order(
        cid,
        "ann@example.com",
        utc(2025, 3, 7, 9),
        [item("Print", "5x7", 1, 900)],
        status="refunded",
    )
    return cid


def test_json_has_every_part(catalog: Catalog, cid: int) -> None:
    data: dict[str, Any] = json.loads(analytics(catalog, "Smith Wedding", "--json", "--by", "day"))
    assert data["collection"] == {"id": cid, "name": "Smith Wedding"}
    s = data["summary"]
    assert (s["downloads"], s["photo_downloads"], s["video_downloads"]) == (3, 2, 1)
    assert s["revenue"] == [{"currency": "EUR", "cents": 3000}] and s["orders"] == 1
    buckets = data["downloads"]["buckets"]
    assert set(buckets[0]) == {"start", "end", "count", "photo", "video", "all"}
    assert buckets[0]["start"] in ("2025-03-03", "2025-03-04")  # noon UTC, as a local day
    assert (buckets[0]["photo"], buckets[0]["video"], buckets[0]["count"]) == (1, 0, 1)
    assert sum(b["all"] for b in buckets) == 3
    assert buckets[-1]["start"] >= "2025-03-05"  # zero-filled up to today
    assert [t["file_name"] for t in data["top_downloaded"]] == ["a.jpg", "clip.mp4"]
    assert data["top_favourited"][0]["count"] == 1
    people = {c["email"]: c for c in data["clients"]}
    assert people["ann@example.com"]["spend"] == [{"currency": "EUR", "cents": 3000}]
    assert people["bob@example.com"]["downloads"] == 1 and people["bob@example.com"]["access"] == ""
    assert [o["sale"] for o in data["orders"]] == [False, True]
    assert data["orders"][1]["placed_at"] == "2025-03-06T09:00:00+00:00"
    assert data["sales"]["currency"] == "EUR" and data["visitors"][0]["visits"] == 2


def test_by_and_kind_and_top(catalog: Catalog, cid: int) -> None:
    data = json.loads(
        analytics(catalog, str(cid), "--json", "--by", "month", "--kind", "video", "--top", "1")
    )
    assert data["downloads"]["unit"] == "month" and data["downloads"]["kind"] == "video"
    assert data["downloads"]["buckets"][0]["start"] == "2025-03-01"
    assert sum(b["count"] for b in data["downloads"]["buckets"]) == 1
    assert len(data["top_downloaded"]) == 1


def test_the_report_for_people(catalog: Catalog, cid: int) -> None:
    text = analytics(catalog, "smith wedding", "--by", "week")
    assert text.startswith("Smith Wedding: client activity, read from this computer")
    assert "3 (2 photos, 1 videos) by 2 people" in text
    assert "Downloads by week" in text and "Week of 3 Mar 2025" in text
    assert "Most downloaded" in text and "a.jpg" in text
    assert "ann@example.com" in text and "€30.00" in text
    assert "refunded (no sale)" in text and "Sales by week (EUR)" in text


def test_every_collection_and_an_empty_one(catalog: Catalog, cid: int) -> None:
    empty = Activity(catalog).collection("Empty")
    assert json.loads(analytics(catalog, "--json"))["collection"]["name"] == "All collections"
    text = analytics(catalog, str(empty))
    assert "No downloads yet." in text and text.count("none yet") == 5
    with pytest.raises(BadInputError, match="no collection"):
        analytics(catalog, "Nope")
