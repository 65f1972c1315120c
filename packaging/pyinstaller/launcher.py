"""PyInstaller entry point of the bundled app: the same main() as the `gallery-desktop` script."""

import sys

from gallery_desktop.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
