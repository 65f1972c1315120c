"""Files that ship with the app (fonts, icons), installed as the package gallery_desktop.resources.

Read them with `gallery_desktop.paths.resource(...)` (importlib.resources), never through
`__file__`, so they are found in a checkout, an installed wheel and a bundle alike.
"""
