"""Exporting: what leaves the studio, into a folder or a zip."""
