"""Write python3-deps.json (a flatpak-builder module): the app's dependencies as binary wheels
for the KDE runtime's Python (3.13, x86_64), pinned to the venv's versions, with sha256.

    .venv/bin/pip freeze --exclude-editable | grep -viE '^(pip|setuptools|wheel)==' > /tmp/c.txt
    .venv/bin/pip install --dry-run --ignore-installed --report /tmp/r.json \
        --only-binary=:all: --python-version 3.13 --implementation cp --abi cp313 --abi abi3 \
        --abi none --platform manylinux_2_34_x86_64 --platform manylinux_2_28_x86_64 \
        --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --target /tmp/t \
        -c /tmp/c.txt $(project dependencies) 'setuptools>=77' wheel
    python3 packaging/flatpak/pin_wheels.py /tmp/r.json
"""

import json
import sys
from pathlib import Path

PYPI = "https://files.pythonhosted.org/packages"


def url_of(item: dict) -> str:  # type: ignore[type-arg]
    url: str = item["download_info"]["url"]
    if url.startswith(PYPI):
        return url
    # a local mirror's copy: PyPI's own short form /packages/{python tag}/{letter}/{name}/{file}
    name = url.rsplit("/", 1)[-1]
    project = item["metadata"]["name"]
    tag = name.split("-")[-3].split(".")[0]
    return f"{PYPI}/{tag}/{project[0]}/{project}/{name}"


report = json.loads(Path(sys.argv[1]).read_text())
items = sorted(report["install"], key=lambda i: i["metadata"]["name"].lower())
sources = [
    {"type": "file", "url": url_of(i), "sha256": i["download_info"]["archive_info"]["hashes"]["sha256"]}
    for i in items
]
names = " ".join(i["metadata"]["name"] for i in items)
module = {
    "name": "python3-deps",
    "buildsystem": "simple",
    "build-commands": [
        "pip3 install --verbose --exists-action=i --no-index --find-links=\"file://${PWD}\" "
        f"--prefix=${{FLATPAK_DEST}} --no-build-isolation {names}"
    ],
    "sources": sources,
}
out = Path(__file__).with_name("python3-deps.json")
out.write_text(json.dumps(module, indent=2) + "\n")
print(f"{out}: {len(sources)} wheels")
