# Two commands: `make run` opens the app, `make test` runs the checks. Both set up everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
QT_ENV := QT_QPA_PLATFORM=offscreen
PY_RUN ?= $(BIN)/python

# Debian packages the app needs at run time (Qt's GL, fonts, xcb platform plugin) and for tests.
RUNTIME_DEBS := libgl1 libegl1 libopengl0 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 \
	libglib2.0-0 libdbus-1-3 fonts-dejavu-core libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 \
	libxcb-image0 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 \
	libxcb-xkb1 libx11-xcb1
BENCH_DEBS := libvips-tools imagemagick
# The tests validate the .desktop entry and the AppStream metainfo with the distribution's tools.
TEST_DEBS := desktop-file-utils appstream flatpak-builder postgresql

.PHONY: package wheel-check run test lint typecheck pytest bench system-deps bench-deps screenshots clean emulator

$(STAMP): pyproject.toml | system-deps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

system-deps:
	@packaging/ensure-debs.sh $(RUNTIME_DEBS) $(TEST_DEBS)

bench-deps:
	@packaging/ensure-debs.sh $(BENCH_DEBS)

run: $(STAMP)
	$(BIN)/gallery-desktop $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(QT_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint typecheck pytest

bench: $(STAMP) bench-deps system-deps
	$(BIN)/python benchmarks/bench_import.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/bench_rescan.py $(BENCH_ARGS_RESCAN)
	$(BIN)/python benchmarks/bench_watch.py $(BENCH_ARGS_WATCH)
	$(BIN)/python benchmarks/bench_grid.py $(BENCH_ARGS_GRID)
	$(BIN)/python benchmarks/bench_export.py $(BENCH_ARGS_EXPORT)
	$(BIN)/python benchmarks/bench_engines.py $(BENCH_ARGS_ENGINES)
	$(BIN)/python benchmarks/bench_seats.py $(BENCH_ARGS_SEATS)

# The Gallery API emulator (tests/emulator) in the foreground, for trying the remote side without
# an account: `make emulator PORT=8765`, sign in as photographer@example.com / emulator.
emulator: $(STAMP)
	PYTHONPATH=tests $(BIN)/python -m emulator --port $(or $(PORT),8765) --state .emulator-state/$(or $(PORT),8765)

screenshots: $(STAMP)
	@packaging/ensure-debs.sh xvfb xauth
	QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x1000x24" $(PY_RUN) docs/make_screenshots.py docs/screenshots

# Bundles and wheels (not part of `make test`): the packaging tools live in the `package` extra.
PACKAGE_STAMP := $(VENV)/.package-stamp
$(PACKAGE_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,package]'
	touch $@

# One-folder PyInstaller bundle in dist/gallery-desktop/, then a smoke run of the bundled app.
package: $(PACKAGE_STAMP)
	rm -rf dist/gallery-desktop
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN --distpath dist \
		--workpath build/pyinstaller packaging/pyinstaller/gallery-desktop.spec
	PYTHON=$(BIN)/python packaging/smoke.sh dist/gallery-desktop/gallery-desktop

# The wheel (python -m build): its contents, then installed into a clean venv and run.
wheel-check: $(PACKAGE_STAMP)
	$(BIN)/python packaging/smoke_wheel.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build dist src/*.egg-info
