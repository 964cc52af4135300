"""Memory of the import pipeline on a long hi-res master (24-bit/96 kHz stereo FLAC).

Imports one long track and makes every format (wall and CPU seconds: user + system of
this process and of its ffmpeg children), then prints the peak resident memory
of this Python process and of the largest ffmpeg child, next to the size of the master:
memory must stay flat whatever the length. Last line: one JSON object.

    python bench/hires_memory.py [--minutes 60] [--quick]
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
from pathlib import Path

from _common import measure, setup_django


def make_master(path: Path, minutes: float) -> Path:
    """Pink noise under a slow chord: fast to generate, hard to compress, 24/96."""
    from disquaire.audio import run_ffmpeg

    seconds = minutes * 60
    source = (
        f"anoisesrc=color=pink:amplitude=0.2:sample_rate=96000:duration={seconds},"
        "aformat=channel_layouts=stereo"
    )
    run_ffmpeg(
        ["-y", "-f", "lavfi", "-i", source, "-c:a", "flac", "-sample_fmt", "s32",
         "-bits_per_raw_sample", "24", str(path)],
        what="generating the hi-res master",
    )  # fmt: skip
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--quick", action="store_true", help="a 3-minute track")
    args = parser.parse_args()
    if args.quick:
        args.minutes = 3.0
    with tempfile.TemporaryDirectory(prefix="disquaire-hires-") as tmp:
        root = Path(tmp)
        setup_django(root / "data")
        folder = root / "album"
        folder.mkdir()
        master = make_master(folder / "01 - Long.flac", args.minutes)
        master_mb = master.stat().st_size / 1e6
        before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        from disquaire.catalog.models import ProcessingStatus
        from disquaire.catalog.services.imports import release_import
        from disquaire.catalog.services.processing import track_process

        with measure() as spent:
            result = release_import(artist_name="Hi-Res", path=folder)
            track = result.tracks[0]
            track_process(track_id=track.pk)
        track.refresh_from_db()
        if track.status != ProcessingStatus.READY:
            raise SystemExit(f"processing failed: {track.error}")
        python_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ffmpeg_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"master: {args.minutes:g} min 24/96 FLAC, {master_mb:.0f} MB; processed in "
        f"{spent.wall_s:.0f} s wall, {spent.cpu_s:.0f} s CPU"
    )
    print(f"peak memory: python {python_mb:.0f} MB (before import {before_mb:.0f} MB), "
          f"largest ffmpeg child {ffmpeg_mb:.0f} MB")  # fmt: skip
    print(
        json.dumps(
            {
                "bench": "hires_memory",
                "minutes": args.minutes,
                "master_mb": round(master_mb),
                "process_s": round(spent.wall_s, 1),
                "process_cpu_s": round(spent.cpu_s, 1),
                "python_peak_mb": round(python_mb),
                "ffmpeg_peak_mb": round(ffmpeg_mb),
            }
        )
    )


if __name__ == "__main__":
    main()
