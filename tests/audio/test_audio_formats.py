"""The format table: keys, lists, and the facts the rest of Disquaire relies on."""

from __future__ import annotations

import pytest

from disquaire.audio.formats import (
    DOWNLOAD_FORMATS,
    ENCODED_FORMATS,
    FORMATS,
    ORIGINAL,
    STREAMING_FORMATS,
    get_format,
    original_extension,
    tag_kind_for_codec,
)


def test_format_table_has_exactly_the_specified_keys() -> None:
    assert set(FORMATS) == {
        "mp3-128",
        "opus-96",
        "mp3-320",
        "mp3-v0",
        "aac-256",
        "vorbis-q6",
        "opus-160",
        "flac",
        "alac",
        "wav",
        "aiff",
        "original",
    }
    assert all(key == fmt.key for key, fmt in FORMATS.items())


def test_streaming_and_download_lists_are_ordered_disjoint_and_cover_every_encode() -> None:
    assert [f.key for f in STREAMING_FORMATS] == ["mp3-128", "opus-96"]
    assert [f.key for f in DOWNLOAD_FORMATS] == [
        "mp3-320",
        "mp3-v0",
        "aac-256",
        "vorbis-q6",
        "opus-160",
        "flac",
        "alac",
        "wav",
        "aiff",
    ]
    assert [f.key for f in ENCODED_FORMATS] == [
        f.key for f in (*STREAMING_FORMATS, *DOWNLOAD_FORMATS)
    ]
    assert all(f.streaming and not f.download for f in STREAMING_FORMATS)
    assert all(f.download and not f.streaming for f in DOWNLOAD_FORMATS)


@pytest.mark.parametrize(
    ("key", "kbps"),
    [
        ("mp3-320", 320),
        ("mp3-v0", 245),
        ("aac-256", 256),
        ("vorbis-q6", 192),
        ("opus-160", 160),
        ("mp3-128", 128),
        ("opus-96", 96),
    ],
)
def test_lossy_formats_have_their_nominal_bitrate(key: str, kbps: int) -> None:
    fmt = FORMATS[key]
    assert fmt.nominal_kbps == kbps
    assert not fmt.lossless and not fmt.keeps_hires


@pytest.mark.parametrize("key", ["flac", "alac", "wav", "aiff"])
def test_lossless_formats_keep_hires_and_have_no_nominal_bitrate(key: str) -> None:
    fmt = FORMATS[key]
    assert fmt.lossless and fmt.keeps_hires and fmt.download
    assert fmt.nominal_kbps is None


@pytest.mark.parametrize(
    ("key", "extension", "mime", "tag_kind"),
    [
        ("mp3-128", ".mp3", "audio/mpeg", "id3"),
        ("mp3-320", ".mp3", "audio/mpeg", "id3"),
        ("mp3-v0", ".mp3", "audio/mpeg", "id3"),
        ("aac-256", ".m4a", "audio/mp4", "mp4"),
        ("alac", ".m4a", "audio/mp4", "mp4"),
        ("vorbis-q6", ".ogg", "audio/ogg", "vorbis"),
        ("opus-96", ".opus", "audio/ogg", "vorbis"),
        ("opus-160", ".opus", "audio/ogg", "vorbis"),
        ("flac", ".flac", "audio/flac", "flac"),
        ("wav", ".wav", "audio/wav", "wav"),
        ("aiff", ".aiff", "audio/aiff", "aiff"),
    ],
)
def test_each_format_has_its_extension_mime_and_tag_kind(
    key: str, extension: str, mime: str, tag_kind: str
) -> None:
    fmt = FORMATS[key]
    assert (fmt.extension, fmt.mime, fmt.tag_kind) == (extension, mime, tag_kind)
    assert fmt.label and fmt.muxer and fmt.codec


def test_downloads_embed_the_cover_and_streams_do_not() -> None:
    assert all(f.embeds_cover for f in DOWNLOAD_FORMATS)
    assert not any(f.embeds_cover for f in STREAMING_FORMATS)


def test_encoder_arguments_follow_the_specification() -> None:
    assert FORMATS["mp3-320"].codec_args == ("-c:a", "libmp3lame", "-b:a", "320k")
    assert FORMATS["mp3-v0"].codec_args == ("-c:a", "libmp3lame", "-q:a", "0")
    assert FORMATS["mp3-128"].codec_args == ("-c:a", "libmp3lame", "-b:a", "128k")
    assert FORMATS["aac-256"].codec_args == (
        "-c:a",
        "aac",
        "-b:a",
        "256k",
        "-movflags",
        "+faststart",
    )
    assert FORMATS["vorbis-q6"].codec_args == ("-c:a", "libvorbis", "-q:a", "6")
    assert FORMATS["opus-160"].codec_args == ("-c:a", "libopus", "-b:a", "160k", "-vbr", "on")
    assert FORMATS["opus-96"].codec_args == ("-c:a", "libopus", "-b:a", "96k", "-vbr", "on")
    assert FORMATS["opus-96"].fixed_sample_rate == 48000
    assert FORMATS["mp3-320"].max_sample_rate == 48000


def test_original_is_a_passthrough_listed_in_neither_list() -> None:
    original = FORMATS[ORIGINAL]
    assert original.passthrough and not original.codec_args
    assert original not in STREAMING_FORMATS and original not in DOWNLOAD_FORMATS
    assert original.tag_kind is None and original.extension == ""
    assert original_extension("mp3") == ".mp3" and original_extension("aac") == ".m4a"
    assert tag_kind_for_codec("opus") == "vorbis"


def test_unknown_format_key_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="mp3-320"):
        get_format("mp3-999")
