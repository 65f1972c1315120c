"""gallery_desktop: an offline, local-first gallery manager for working photographers."""

__version__ = "0.1.0"
