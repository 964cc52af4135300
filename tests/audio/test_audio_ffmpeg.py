"""Choosing the ffmpeg binary (DISQUAIRE_FFMPEG) and reporting its failures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import imageio_ffmpeg
import pytest

from disquaire.audio import AudioError, ffmpeg_exe, run_ffmpeg


@pytest.fixture
def fresh_exe(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Clear the cached binary before and after the test."""
    ffmpeg_exe.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    ffmpeg_exe.cache_clear()


def test_default_binary_is_imageio_ffmpegs(fresh_exe: pytest.MonkeyPatch) -> None:
    fresh_exe.delenv("DISQUAIRE_FFMPEG", raising=False)
    assert ffmpeg_exe() == imageio_ffmpeg.get_ffmpeg_exe()


def test_env_var_names_another_binary(fresh_exe: pytest.MonkeyPatch, tmp_path: Path) -> None:
    link = tmp_path / "my-ffmpeg"
    link.symlink_to(imageio_ffmpeg.get_ffmpeg_exe())
    fresh_exe.setenv("DISQUAIRE_FFMPEG", str(link))
    assert ffmpeg_exe() == str(link)
    run_ffmpeg(["-f", "lavfi", "-i", "anullsrc", "-t", "0.1", "-f", "null", "-"])


def test_system_uses_ffmpeg_from_path_when_present(
    fresh_exe: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "ffmpeg").symlink_to(imageio_ffmpeg.get_ffmpeg_exe())
    fresh_exe.setenv("PATH", str(tmp_path))
    fresh_exe.setenv("DISQUAIRE_FFMPEG", "system")
    assert ffmpeg_exe() == str(tmp_path / "ffmpeg")


def test_system_falls_back_to_the_bundled_binary(
    fresh_exe: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fresh_exe.setenv("PATH", str(tmp_path))
    fresh_exe.setenv("DISQUAIRE_FFMPEG", "system")
    assert ffmpeg_exe() == imageio_ffmpeg.get_ffmpeg_exe()


def test_env_var_naming_a_missing_binary_is_an_error(fresh_exe: pytest.MonkeyPatch) -> None:
    fresh_exe.setenv("DISQUAIRE_FFMPEG", "/nonexistent/ffmpeg")
    with pytest.raises(AudioError, match="DISQUAIRE_FFMPEG"):
        ffmpeg_exe()


def test_ffmpeg_failure_reports_the_end_of_its_stderr(tmp_path: Path) -> None:
    with pytest.raises(AudioError) as caught:
        run_ffmpeg(["-i", tmp_path / "missing.flac", "-f", "null", "-"], what="decoding")
    assert caught.value.reason.startswith("decoding failed: ")
    assert "No such file or directory" in caught.value.reason
