"""`disquaire import` end to end: JSON output, exit status, and the awkward folder."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage

from disquaire.audio import synth_track
from disquaire.catalog.models import Release
from disquaire.cli import main
from tests.catalog.conftest import ARTIST, make_track


@pytest.fixture(autouse=True)
def keep_test_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands close every connection when they end; the test's own must survive."""
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)


def run_import(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    with pytest.raises(SystemExit) as exited:
        main(["disquaire", "import", *args, "--json"])
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, out
    return int(exited.value.code or 0), json.loads(lines[0])


def gigapixel_png() -> bytes:
    """A small PNG whose header declares 100,000 × 100,000 pixels."""
    raw = b"\x00" * 4
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def awkward_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "awkward"
    folder.mkdir()
    make_track(folder / "01 - Bonne.flac", title="Bonne", number=1)
    make_track(folder / "02 - Long.flac", title="T" * 100_000, number=2)
    (folder / "03 - Vide.flac").write_bytes(b"")
    (folder / "04 - Texte.flac").write_text("This is not audio, only text.\n" * 20)
    whole = synth_track(path=tmp_path / "whole.flac", seconds=10, seed=9)
    data = whole.read_bytes()
    (folder / "05 - Coupée.flac").write_bytes(data[: len(data) // 3])
    (folder / "cover.png").write_bytes(gigapixel_png())
    return folder


@pytest.mark.django_db
def test_awkward_folder_imports_the_good_and_rejects_the_bad_with_reasons(
    awkward_dir: Path, capsys: pytest.CaptureFixture[str], isolated_files: Path
) -> None:
    code, payload = run_import(capsys, str(awkward_dir), "--artist", ARTIST)

    assert code == 1
    rejected = {r["file"]: r["reason"] for r in payload["rejected"]}
    assert set(rejected) == {"03 - Vide.flac", "04 - Texte.flac", "cover.png"}
    assert "empty" in rejected["03 - Vide.flac"]
    assert "not an audio file" in rejected["04 - Texte.flac"]
    assert "pixels" in rejected["cover.png"]

    titles = [t["title"] for t in payload["tracks"]]
    assert titles[0] == "Bonne"
    assert titles[1].startswith("TTTT") and len(titles[1]) <= 2000
    # The cut file's header is whole: it is refused when its audio is decoded (below).
    assert len(titles) == 3
    release = Release.objects.get(pk=payload["release"]["id"])
    assert payload["release"]["slug"] == release.slug
    assert payload["release"]["url"].endswith(release.get_absolute_url())
    assert not release.cover
    for track in payload["tracks"]:
        assert track["status"] == "pending"
        assert {r["format"] for r in track["renditions"]} >= {"mp3-128", "flac"}
    # Everything written stays under the media directory of this test.
    written = [p for p in isolated_files.rglob("*") if p.is_file()]
    assert written and all(p.is_relative_to(isolated_files) for p in written)


@pytest.mark.django_db
def test_zip_with_escaping_entry_is_refused_and_nothing_lands_outside(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = make_track(tmp_path / "good.flac", title="Dans le Zip", number=1)
    archive = tmp_path / "nested" / "deeper" / "release.zip"
    archive.parent.mkdir(parents=True)
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(good, "album/01 - Dans le Zip.flac")
        zf.writestr("../../x.wav", b"RIFF....WAVE")
        zf.writestr("/etc/evil.flac", b"fLaC")
    code, payload = run_import(capsys, str(archive), "--artist", ARTIST, "--title", "Zipped")

    assert code == 1
    reasons = {r["file"]: r["reason"] for r in payload["rejected"]}
    assert "unsafe path" in reasons["../../x.wav"]
    assert "unsafe path" in reasons["/etc/evil.flac"]
    assert not (tmp_path / "x.wav").exists()
    assert not (tmp_path / "nested" / "x.wav").exists()
    assert [t["title"] for t in payload["tracks"]] == ["Dans le Zip"]
    assert Release.objects.get(pk=payload["release"]["id"]).title == "Zipped"


@pytest.mark.django_db
def test_nothing_importable_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "only.flac").write_bytes(b"")
    code, payload = run_import(capsys, str(folder), "--artist", ARTIST)
    assert code == 2
    assert payload["release"] is None
    assert payload["rejected"] == [{"file": "only.flac", "reason": "empty file"}]
    assert not Release.objects.exists()


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["disquaire", "import", "/nowhere"])  # no --artist
    assert exited.value.code == 2


@pytest.mark.django_db
def test_missing_path_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["disquaire", "import", "/no/such/folder", "--artist", ARTIST, "--json"])
    assert exited.value.code == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.django_db(transaction=True)
def test_wait_encodes_every_format_before_answering(
    album_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, payload = run_import(capsys, str(album_dir), "--artist", ARTIST, "--wait", "--publish")

    assert code == 0
    assert len(payload["tracks"]) == 3
    for track in payload["tracks"]:
        assert track["status"] == "ready"
        assert track["duration"] == pytest.approx(2.0, abs=0.06)
        for rendition in track["renditions"]:
            assert rendition["bytes"] > 0
            assert default_storage.exists(rendition["path"])
            with default_storage.open(rendition["path"], "rb") as handle:
                assert len(handle.read()) == rendition["bytes"]


@pytest.mark.django_db(transaction=True)
def test_wait_shows_a_truncated_file_as_a_failed_track_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "cut"
    folder.mkdir()
    make_track(folder / "01 - Entière.flac", title="Entière", number=1)
    whole = synth_track(path=tmp_path / "whole.flac", seconds=10, seed=9)
    data = whole.read_bytes()
    (folder / "02 - Coupée.flac").write_bytes(data[: len(data) // 3])

    code, payload = run_import(capsys, str(folder), "--artist", ARTIST, "--wait")

    assert code == 1
    assert payload["rejected"] == []
    tracks = {t["title"]: t for t in payload["tracks"]}
    assert tracks["Entière"]["status"] == "ready"
    cut = tracks["Coupée"]
    assert cut["status"] == "failed"
    assert cut["error"].startswith("truncated: decodes to 3.")
    assert "its header says 10.0 s" in cut["error"]
    # Refused at once: the same file cannot decode better on a second attempt.
    assert "retrying" not in cut["error"]
    assert all(r["status"] == "failed" and not r["path"] for r in cut["renditions"])
