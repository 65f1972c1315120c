"""Folders dropped onto the app, as raw bytes: names that are not UTF-8 survive the trip."""

from __future__ import annotations

import os

from PySide6.QtCore import QByteArray, QUrl


def local_folders(urls: list[QUrl]) -> list[str | bytes]:
    out: list[str | bytes] = []
    for url in urls:
        if not url.isLocalFile():
            continue
        encoded = url.path(QUrl.ComponentFormattingOption.FullyEncoded)
        raw = bytes(QByteArray.fromPercentEncoding(encoded.encode("ascii")).data())
        if os.path.isdir(raw):
            out.append(raw)
    return out
