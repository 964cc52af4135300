"""The merch table's vendored libraries are the very files of the versions package.json
pins (``make vendor`` copies them): a bump of the pin without a copy, or an edited copy,
fails here. Skipped when node_modules is absent (``npm ci`` installs it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "src/disquaire/table/static/table/vendor"
COPIES = {
    "idb.js": "idb/build/index.js",
    "uqr.js": "uqr/dist/index.mjs",
    "jsQR.js": "jsqr/dist/jsQR.js",
    **{
        f"workbox-{p}.prod.js{ext}": f"workbox-{p}/build/workbox-{p}.prod.js{ext}"
        for p in ("core", "routing", "strategies")
        for ext in ("", ".map")
    },
}


def test_vendored_files_are_the_pinned_packages_files() -> None:
    modules = ROOT / "node_modules"
    if not (modules / "idb").exists():
        pytest.skip("node_modules not installed: run `npm ci`")
    pins = json.loads((ROOT / "package.json").read_text())["dependencies"]
    for name, source in COPIES.items():
        package = source.split("/")[0]
        installed = json.loads((modules / package / "package.json").read_text())["version"]
        assert installed == pins[package], f"{package}: run `npm ci`"
        assert (VENDOR / name).read_bytes() == (modules / source).read_bytes(), (
            f"{name} differs from {package} {pins[package]}: run `make vendor`"
        )


def test_every_pin_is_exact() -> None:
    pins = json.loads((ROOT / "package.json").read_text())["dependencies"]
    assert all(version[0].isdigit() for version in pins.values()), pins
