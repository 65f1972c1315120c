"""“What your client will experience”: the delivery rules in plain sentences, for the settings
dialog and the `settings` command. Pure: a settings snapshot (saved or still being edited)
and a day in, sentences out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from gallery_desktop.catalog.delivery_rules import (
    SIZE_LABELS,
    DeliverySettings,
    DownloadVerdict,
    before_download_settings,
    before_show,
)
from gallery_desktop.catalog.store import Store, format_money

OK: Final = "ok"  # a sentence about something clients can do
NO: Final = "no"  # something they cannot (yet)
INFO: Final = "info"


@dataclass(frozen=True)
class Sentence:
    kind: str  # OK | NO | INFO
    text: str


def _sizes(verdict: DownloadVerdict) -> str:
    return ", ".join(SIZE_LABELS.get(s, s) for s in verdict.sizes)


def _how(verdict: DownloadVerdict) -> str:
    options = (("one photo at a time", verdict.single), ("as a zip", verdict.bulk))
    ways = [way for way, on in options if on]
    extras = [" and ".join(ways)]
    extras.append("watermarked" if verdict.watermarked else "without a watermark")
    if verdict.pin_required:
        extras.append("after entering the download PIN")
    return ", ".join(extras)


def _downloads(who: str, verdict: DownloadVerdict) -> Sentence:
    if not verdict.downloadable:
        return Sentence(NO, f"{who} cannot download: {verdict.reason}.")
    return Sentence(OK, f"{who} can download {_sizes(verdict)}: {_how(verdict)}.")


def _access(s: DeliverySettings, today: date) -> list[Sentence]:
    out: list[Sentence] = []
    if s.client_exclusive:
        out.append(Sentence(INFO, "Only the clients listed below can open it (client-exclusive)."))
    elif s.password:
        out.append(Sentence(INFO, "Anyone with the link and the password can open it."))
    else:
        out.append(Sentence(INFO, "Anyone with the link can open it, no password asked."))
    if s.visitor_email_capture:
        out.append(Sentence(INFO, "Visitors are asked for their email address first."))
    if s.expiry_date:
        past = s.expiry_date < today.isoformat()
        text = f"It {'expired' if past else 'expires'} on {s.expiry_date}"
        if s.reminder_days and not past:
            text += f"; clients are reminded {s.reminder_days} days before"
        out.append(Sentence(NO if past else INFO, text + "."))
    return out


def _galleries(s: DeliverySettings, today: date, guests: DownloadVerdict) -> list[Sentence]:
    out: list[Sentence] = []
    for g in s.galleries:
        if g.private:
            out.append(Sentence(INFO, f"“{g.name}” is private: clients do not see it."))
        if not g.override:
            continue
        verdict = before_download_settings(s, today, gallery_id=g.id)
        if verdict == guests:
            continue
        if not verdict.downloadable:
            out.append(Sentence(NO, f"In “{g.name}” downloads are off."))
        else:
            out.append(
                Sentence(
                    OK,
                    f"In “{g.name}” guests can download {_sizes(verdict)}, "
                    f"{'watermarked' if verdict.watermarked else 'clean'}.",
                )
            )
    return out


def _store(store: Store) -> Sentence:
    if not store.enabled:
        return Sentence(INFO, "The print store is off.")
    prices = [size.price_cents for p in store.products for size in p.sizes]
    text = f"Clients can order prints: {len(store.products)} product"
    text += "s" if len(store.products) != 1 else ""
    if prices:
        text += f" from {format_money(min(prices), store.currency)}"
    if store.minimum_order_cents:
        text += f", minimum order {format_money(store.minimum_order_cents, store.currency)}"
    return Sentence(OK, text + ".")


def client_experience(
    s: DeliverySettings,
    today: date,
    *,
    store: Store | None = None,
    client_names: dict[str, str] | None = None,
) -> list[Sentence]:
    show = before_show(s, today)
    out = [
        Sentence(
            OK if show.visible else NO,
            ("Clients can see this collection: " if show.visible else "Clients cannot see it: ")
            + show.reason
            + ".",
        )
    ]
    out.extend(_access(s, today))
    if not show.visible:  # what downloads would be is moot until they can see it
        return [*out, _store(store)] if store is not None else out
    guests = before_download_settings(s, today)
    out.append(_downloads("Guests" if not s.client_exclusive else "Anyone not listed", guests))
    if s.limit and guests.downloadable:
        out.append(Sentence(INFO, f"Each client can download at most {s.limit} files."))
    names = client_names or {}
    for email in sorted(s.clients):
        who = f"{names[email]} ({email})" if names.get(email) else email
        level = s.clients[email]
        if level != "download" and guests.downloadable:
            may = "view and favourite" if level == "favourite" else "only view"
            out.append(Sentence(NO, f"{who} can {may}, not download."))
        else:
            out.append(_downloads(who, before_download_settings(s, today, client=email)))
    out.extend(_galleries(s, today, guests))
    if store is not None:
        out.append(_store(store))
    return out


def as_text(sentences: Sequence[Sentence]) -> str:
    marks = {OK: "✓", NO: "✗", INFO: "•"}
    return "\n".join(f"{marks[s.kind]} {s.text}" for s in sentences)
