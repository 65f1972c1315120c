"""A folder inside or around an imported collection is refused instead of catalogued twice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gallery_desktop.catalog.collections import list_collections
from gallery_desktop.catalog.db import Catalog
from gallery_desktop.errors import BadInputError
from gallery_desktop.ingest.importer import import_folder
from gallery_desktop.media.thumbnails import ThumbnailCache

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def test_nested_and_enclosing_folders_are_refused(tmp_path: Path) -> None:
    shoots = tmp_path / "Shoots"
    ceremony = shoots / "Wedding" / "Ceremony"
    ceremony.mkdir(parents=True)
    shutil.copy(CORPUS / "photos/exif/flower.jpg", ceremony / "a.jpg")
    catalog = Catalog(tmp_path / "home" / "catalog.sqlite")
    cache = ThumbnailCache(tmp_path / "home" / "thumbs")
    import_folder(catalog, cache, shoots / "Wedding")

    with pytest.raises(BadInputError, match="inside the folder of collection 'Wedding'"):
        import_folder(catalog, cache, ceremony)
    with pytest.raises(BadInputError, match="contains the folder of collection 'Wedding'"):
        import_folder(catalog, cache, shoots)
    # Importing the same folder again is a re-scan, not a refusal.
    again = import_folder(catalog, cache, shoots / "Wedding")
    assert again.unchanged == 1
    assert [c.name for c in list_collections(catalog)] == ["Wedding"]
    catalog.close()
