"""Disquaire's audio toolkit: probing, transcoding, tagging, artwork and analysis.

Pure Python plus ffmpeg (``imageio-ffmpeg``'s binary, see ``ffmpeg.ffmpeg_exe``), mutagen
and Pillow; no Django. Typical pipeline for an uploaded master::

    info = probe(master)                       # AudioError on bad input (header only)
    keys = plan(info)                          # what to make
    analysis = transcode_and_analyse(          # one decode: files, loudness, peaks, and
        src=master, info=info,                 # AudioRejected if the master is truncated
        outputs={k: dest / f"{k}{...}" for k in keys},
    )
    write_tags(path, format_key=key, tags=TagSet(...))

``transcode``, ``analyse`` and ``verify_decodes`` each do one of those jobs alone.
"""

from disquaire.audio.analysis import Analysis, analyse
from disquaire.audio.artwork import Artwork, extract_embedded_cover, load_image
from disquaire.audio.errors import ArtworkError, AudioError, AudioRejected
from disquaire.audio.ffmpeg import ffmpeg_exe, run_ffmpeg
from disquaire.audio.formats import (
    DOWNLOAD_FORMATS,
    ENCODED_FORMATS,
    FORMATS,
    ORIGINAL,
    STREAMING_FORMATS,
    Format,
    get_format,
)
from disquaire.audio.probe import AudioInfo, Tags, check_decoded, probe, verify_decodes
from disquaire.audio.single_pass import transcode_and_analyse
from disquaire.audio.synth import synth_cover, synth_track
from disquaire.audio.tags import TagSet, read_tags, write_tags
from disquaire.audio.transcode import (
    OutputSpec,
    build_command,
    output_spec,
    plan,
    streaming_keys,
    transcode,
)

__all__ = [
    "DOWNLOAD_FORMATS",
    "ENCODED_FORMATS",
    "FORMATS",
    "ORIGINAL",
    "STREAMING_FORMATS",
    "Analysis",
    "Artwork",
    "ArtworkError",
    "AudioError",
    "AudioInfo",
    "AudioRejected",
    "Format",
    "OutputSpec",
    "TagSet",
    "Tags",
    "analyse",
    "build_command",
    "check_decoded",
    "extract_embedded_cover",
    "ffmpeg_exe",
    "get_format",
    "load_image",
    "output_spec",
    "plan",
    "probe",
    "read_tags",
    "run_ffmpeg",
    "streaming_keys",
    "synth_cover",
    "synth_track",
    "transcode",
    "transcode_and_analyse",
    "verify_decodes",
    "write_tags",
]
