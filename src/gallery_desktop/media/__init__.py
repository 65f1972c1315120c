"""Pixels: safe decoding, thumbnails and previews (and later watermarks and export)."""
