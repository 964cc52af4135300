"""ffmpeg reads an upload as the format sniffed from its bytes, from the file only."""

from __future__ import annotations

from pathlib import Path

import pytest

from disquaire.audio import AudioError, synth_track
from disquaire.audio.analysis import analyse
from disquaire.audio.ffmpeg import ffmpeg_input
from disquaire.audio.probe import verify_decodes


def _playlist_naming(tmp_path: Path, target: Path) -> Path:
    """An HLS playlist uploaded under its own name: left to guess, ffmpeg follows it."""
    playlist = tmp_path / "upload.m3u8"
    playlist.write_text(
        f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{target}\n#EXT-X-ENDLIST\n"
    )
    return playlist


def test_a_playlist_posing_as_audio_is_refused_rather_than_followed(tmp_path: Path) -> None:
    secret = synth_track(path=tmp_path / "someone-elses.mp3", seconds=1.0, seed=3)
    playlist = _playlist_naming(tmp_path, secret)
    with pytest.raises(AudioError):
        verify_decodes(playlist, expected_s=1.0)
    with pytest.raises(AudioError):
        analyse(src=playlist, duration_s=1.0)


def test_input_names_the_sniffed_demuxer_and_allows_only_files(tmp_path: Path) -> None:
    flac = synth_track(path=tmp_path / "a.flac", seconds=0.5, seed=1)
    args = [str(a) for a in ffmpeg_input(flac)]
    assert args == ["-protocol_whitelist", "file", "-f", "flac", "-i", str(flac)]
    assert verify_decodes(flac, expected_s=0.5) == pytest.approx(0.5, abs=0.1)
