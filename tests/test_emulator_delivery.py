"""The emulator's client delivery endpoints over real HTTP: the per-client list, the store's
price sheet, the design, a gallery's download override, sharing links and store orders."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from emulator.pytest_plugin import EmulatorHandle
from test_emulator import error_code, make_collection, make_gallery, photo_bytes, upload


def _shoot(client: httpx.Client, photos: int = 2) -> tuple[int, int, list[int]]:
    cid = make_collection(client)
    gid = make_gallery(client, cid)
    media = [int(upload(client, gid, photo_bytes(n))["media"]["id"]) for n in range(photos)]
    return cid, gid, media


def _data(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()["data"]


def test_the_client_list_is_replaced_whole_matched_by_email(emulator: EmulatorHandle) -> None:
    client = emulator.client()
    cid, _gid, media = _shoot(client)
    emulator.seed(
        cid,
        clients=[
            {"email": "ada@example.com", "name": "Ada", "access_level": "exclusive"},
            {"email": "ben@example.com", "access_level": "exclusive"},
            {"email": "gus@example.com", "access_level": "guest"},
        ],
        favorites=[{"client_email": "ada@example.com", "media_ids": media[:1]}],
        downloads=0,
        visitors=0,
        sharing_links=0,
    )
    before = {c["email"]: c for c in emulator.state()["clients"]}
    body = {
        "clients": [
            {"email": "ADA@example.com", "name": "Ada M.", "access": "download"},
            {"email": "cleo@example.com", "access": "view"},
            {"email": "cleo@example.com", "name": "Cleo", "access": "favourite"},
        ]
    }
    answer = _data(client.put(f"/collections/{cid}/clients", json=body))
    got = [(c["email"], c["name"], c["access"], c["access_level"]) for c in answer["clients"]]
    assert got == [
        ("ADA@example.com", "Ada M.", "download", "exclusive"),
        ("gus@example.com", "gus@example.com", "view", "guest"),  # a guest left out stays
        ("cleo@example.com", "Cleo", "favourite", "exclusive"),
    ]
    ada = answer["clients"][0]
    assert ada["id"] == before["ada@example.com"]["id"] and ada["favorites_count"] == 1
    listed = _data(client.get(f"/collections/{cid}/clients"))
    assert [c["email"] for c in listed] == [
        "ADA@example.com",
        "gus@example.com",
        "cleo@example.com",
    ]
    # ben left out: gone; an empty list removes every exclusive client, with their favourite
    # lists (the guest stays)
    _data(client.put(f"/collections/{cid}/clients", json={"clients": []}))
    state = emulator.state()
    assert [c["email"] for c in state["clients"]] == ["gus@example.com"]
    assert state["favorite_lists"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"clients": [{"email": "no-at-sign", "access": "view"}]}, "clients[0].email"),
        ({"clients": [{"email": "a@b.co", "access": "admin"}]}, "clients[0].access"),
        ({"clients": [{"email": "a@b.co"}]}, "clients[0].access"),
        ({"clients": [{"email": "a@b.co", "access": "view", "role": "x"}]}, "clients[0].role"),
        ({"clients": [{"email": "a@b.co", "name": "A\x01", "access": "view"}]}, "clients[0].name"),
        ({"clients": "everyone"}, "clients"),
        ({}, "clients"),
    ],
)
def test_a_bad_client_list_is_422_and_changes_nothing(
    shared_emulator: EmulatorHandle, body: dict[str, Any], field: str
) -> None:
    client = shared_emulator.client()
    cid = make_collection(client)
    response = client.put(f"/collections/{cid}/clients", json=body)
    assert response.status_code == 422 and field in response.json()["error"]["fields"]
    assert _data(client.get(f"/collections/{cid}/clients")) == []


def test_the_store_takes_its_price_sheet(shared_emulator: EmulatorHandle) -> None:
    client = shared_emulator.client()
    cid = make_collection(client)
    products = [
        {"name": "Print", "sizes": [{"label": "8x10", "price_cents": 2500}]},
        {"name": "Canvas", "sizes": [{"label": "20x30", "price_cents": 12000}]},
    ]
    body = {"enabled": True, "currency": "EUR", "minimum_order_cents": 5000, "products": products}
    answer = _data(client.put(f"/collections/{cid}/store", json=body))
    assert answer == {**body, "price_sheet": None}
    answer = _data(client.put(f"/collections/{cid}/store", json={"minimum_order_cents": 0}))
    assert answer["products"] == products and answer["minimum_order_cents"] == 0
    for bad, field in (
        ([{"name": "Print", "sizes": []}], "products[0].sizes"),
        ([{"name": "", "sizes": [{"label": "A4", "price_cents": 1}]}], "products[0].name"),
        ([{"name": "P", "sizes": [{"label": "A4", "price_cents": -1}]}], "products[0].sizes[0]"),
        ([{"name": "P", "sizes": [{"label": "A4"}]}], "products[0].sizes[0]"),
        ([{"name": "P", "sizes": [{"label": "A4", "price_cents": 1}], "x": 1}], "products[0].x"),
        ("Print", "products"),
    ):
        response = client.put(f"/collections/{cid}/store", json={"products": bad})
        assert response.status_code == 422, bad
        assert any(k.startswith(field) for k in response.json()["error"]["fields"]), response.text
    store = shared_emulator.state()["collections"]
    assert next(c for c in store if c["id"] == cid)["store"]["products"] == products


def test_the_design_merges_and_its_cover_is_media_of_the_collection(
    emulator: EmulatorHandle,
) -> None:
    client = emulator.client()
    cid, _gid, media = _shoot(client)
    other, _g, foreign = _shoot(client, photos=1)
    body = {
        "cover_layout": "left",
        "title_font": "sans",
        "colours": {"background": "#FFFFFF", "accent": "#aa3300"},
        "theme": "dark",
        "cover_media_id": media[1],
        "cover_focal_x": 0.25,
        "cover_focal_y": 1,
    }
    answer = _data(client.put(f"/collections/{cid}/design", json=body))
    assert answer == {
        **body,
        "colours": {"background": "#ffffff", "accent": "#aa3300"},
        "grid_style": "vertical",
        "thumbnail_size": "regular",
        "grid_spacing": "regular",
    }
    answer = _data(client.put(f"/collections/{cid}/design", json={"grid_style": "masonry"}))
    assert answer["grid_style"] == "masonry" and answer["cover_media_id"] == media[1]
    for bad, field in (
        ({"cover_media_id": foreign[0]}, "cover_media_id"),
        ({"cover_focal_x": 1.5}, "cover_focal_x"),
        ({"colours": {"bg": "white"}}, "colours"),
        ({"theme": ""}, "theme"),
        ({"font": "serif"}, "font"),
    ):
        response = client.put(f"/collections/{cid}/design", json=bad)
        assert response.status_code == 422 and field in response.json()["error"]["fields"], bad
    assert client.delete(f"/media/{media[1]}").status_code == 204
    state = {c["id"]: c for c in emulator.state()["collections"]}
    assert state[cid]["design"]["cover_media_id"] == media[1]  # stored as sent …
    answer = _data(client.put(f"/collections/{cid}/design", json={}))
    assert answer["cover_media_id"] is None  # … read as none once the photo is gone
    assert state[other]["design"]["cover_media_id"] is None


def test_a_gallery_overrides_the_collections_downloads(shared_emulator: EmulatorHandle) -> None:
    client = shared_emulator.client()
    cid = make_collection(client)
    gid = make_gallery(client, cid)
    client.put(f"/collections/{cid}/download_settings", json={"downloadable": True})
    gallery = _data(client.get(f"/galleries/{gid}"))
    assert (gallery["download"], gallery["download_override"]) == (True, None)
    override = {"downloadable": False, "sizes": ["web_1024"], "watermarked": True}
    gallery = _data(client.put(f"/galleries/{gid}", json={"download_override": override}))
    assert (gallery["download"], gallery["download_override"]) == (False, override)
    gallery = _data(client.put(f"/galleries/{gid}", json={"name": "Renamed"}))
    assert gallery["download_override"] == override  # left out: stays
    gallery = _data(client.put(f"/galleries/{gid}", json={"download_override": {}}))
    assert (gallery["download"], gallery["download_override"]) == (True, None)
    made = client.post(
        f"/collections/{cid}/galleries",
        json={"name": "Clean", "download_override": {"watermarked": False}},
    )
    assert _data(made, 201)["download_override"] == {"watermarked": False}
    for bad in ({"zip": True}, {"sizes": ["huge"]}, {"watermarked": "no"}, "off"):
        response = client.put(f"/galleries/{gid}", json={"download_override": bad})
        assert response.status_code == 422, bad
        assert any(k.startswith("download_override") for k in response.json()["error"]["fields"])


def test_sharing_links_are_made_changed_revoked_and_listed(emulator: EmulatorHandle) -> None:
    client = emulator.client()
    cid, _gid, media = _shoot(client)
    _other, _g, foreign = _shoot(client, photos=1)
    path = f"/collections/{cid}/photo_sharing_links"
    body = {"media_id": media[0], "expires_at": "2031-05-01T12:00:00+02:00"}
    first = client.post(path, json=body, headers={"Idempotency-Key": "link-1"})
    again = client.post(path, json=body, headers={"Idempotency-Key": "link-1"})
    link = _data(first, 201)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert link["media_id"] == media[0] and link["url"].startswith("https://")
    assert (link["expires_at"], link["revoked"]) == ("2031-05-01T10:00:00Z", False)
    never = _data(client.post(path, json={"media_id": media[1]}), 201)
    assert never["expires_at"] is None
    changed = _data(client.put(f"/photo_sharing_links/{link['id']}", json={"revoked": True}))
    assert changed["revoked"] is True and changed["expires_at"] == "2031-05-01T10:00:00Z"
    changed = _data(
        client.put(
            f"/photo_sharing_links/{link['id']}",
            json={"revoked": False, "expires_at": "2030-01-01T00:00:00.250000"},
        )
    )
    assert (changed["revoked"], changed["expires_at"]) == (False, "2030-01-01T00:00:00.250000Z")
    listed = _data(client.get(path))
    assert [x["id"] for x in listed] == [link["id"], never["id"]]
    for bad, field in (
        ({"media_id": foreign[0]}, "media_id"),
        ({"media_id": media[0], "expires_at": "next week"}, "expires_at"),
        ({}, "media_id"),
    ):
        response = client.post(path, json=bad)
        assert response.status_code == 422 and field in response.json()["error"]["fields"], bad
    assert client.put("/photo_sharing_links/12345", json={"revoked": True}).status_code == 404
    assert error_code(client.put("/photo_sharing_links/x", json={})) == "bad_request"
    assert len(emulator.state()["sharing_links"]) == 2


def test_store_orders_are_paged_newest_first_with_their_totals(emulator: EmulatorHandle) -> None:
    client = emulator.client()
    cid, _gid, media = _shoot(client)
    client.put(f"/collections/{cid}/store", json={"enabled": True, "currency": "GBP"})
    created = emulator.seed(
        cid,
        clients=0,
        favorites=0,
        downloads=0,
        visitors=0,
        sharing_links=0,
        store_orders=[
            {
                "client_email": "ada@example.com",
                "client_name": "Ada",
                "created_at": "2030-01-01T10:00:00Z",
                "items": [
                    {
                        "media_id": media[0],
                        "product": "Print",
                        "size": "8x10",
                        "quantity": 2,
                        "price_cents": 2500,
                    },
                    {
                        "media_id": media[1],
                        "product": "Canvas",
                        "size": "20x30",
                        "quantity": 1,
                        "price_cents": 12000,
                    },
                ],
            },
            {
                "client_email": "ben@example.com",
                "status": "refunded",
                "created_at": "2030-02-01T10:00:00Z",
                "items": [{"media_id": media[1]}],
            },
        ],
    )
    assert len(created["store_orders"]) == 2
    response = client.get(f"/collections/{cid}/store_orders", params={"per_page": 1})
    newest = _data(response)
    assert response.json()["meta"]["total_pages"] == 2
    assert newest[0]["client_email"] == "ben@example.com" and newest[0]["status"] == "refunded"
    (oldest,) = _data(client.get(f"/collections/{cid}/store_orders?per_page=1&page=2"))
    assert oldest == {
        "id": created["store_orders"][0],
        "client_email": "ada@example.com",
        "client_name": "Ada",
        "created_at": "2030-01-01T10:00:00Z",
        "currency": "GBP",
        "total_cents": 2 * 2500 + 12000,
        "status": "paid",
        "items": [
            {
                "media_id": media[0],
                "product": "Print",
                "size": "8x10",
                "quantity": 2,
                "price_cents": 2500,
            },
            {
                "media_id": media[1],
                "product": "Canvas",
                "size": "20x30",
                "quantity": 1,
                "price_cents": 12000,
            },
        ],
    }
    emulator.seed(cid, clients=1, favorites=0, downloads=0, visitors=0, store_orders=3, seed=3)
    assert len(_data(client.get(f"/collections/{cid}/store_orders"))) == 5
    assert client.get("/collections/12345678/store_orders").status_code == 404


def test_the_delivery_writes_need_the_csrf_token(emulator: EmulatorHandle) -> None:
    client = emulator.client()
    cid, gid, media = _shoot(client, photos=1)
    bare = emulator.client(signed_in=False)
    bare.cookies.set("gd_session", client.cookies["gd_session"])
    for method, path, body in (
        ("PUT", f"/collections/{cid}/clients", {"clients": []}),
        ("PUT", f"/collections/{cid}/design", {}),
        ("PUT", f"/galleries/{gid}", {"download_override": None}),
        ("POST", f"/collections/{cid}/photo_sharing_links", {"media_id": media[0]}),
    ):
        response = bare.request(method, path, json=body)
        assert response.status_code == 403 and error_code(response) == "csrf", path
