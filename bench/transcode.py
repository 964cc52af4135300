"""Transcoding benchmark: Disquaire's import pipeline against bare ffmpeg, in one run.

Generates an album of 44.1 kHz/16-bit stereo FLAC tracks, imports it with every format
(the workers: one per core, one ffmpeg per track decoding once for all formats and the
analysis, then tagging and storing), and does the same encodes with bare ffmpeg
processes, one per (track, format), one per core (the limit: half of them before the
import, half after). Prints, for both sides, wall seconds and CPU seconds (user + system
of this process, its worker threads included, and of every ffmpeg it ran), their ratios,
and last one JSON line. On a shared machine the CPU ratio is the steadier figure: other
work stretches wall time much more than a run's own CPU seconds.

    python bench/transcode.py [--tracks 10] [--minutes 4] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _common import Spent, measure, setup_django


def make_album(folder: Path, *, tracks: int, seconds: float) -> list[Path]:
    from disquaire.audio import synth_cover, synth_track

    folder.mkdir(parents=True, exist_ok=True)
    synth_cover(title="Bench", seed=1, size=1200, path=folder / "cover.jpg")

    def one(n: int) -> Path:
        return synth_track(path=folder / f"{n:02d} - Track {n}.flac", seconds=seconds, seed=n)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return list(pool.map(one, range(1, tracks + 1)))


def run_ours(folder: Path) -> tuple[Spent, Spent, Spent]:
    """Import then process the album; wall and CPU seconds of the import, of the
    processing and of the whole."""
    from django.urls import get_resolver

    from disquaire.catalog.models import ProcessingStatus
    from disquaire.catalog.services.imports import release_import
    from disquaire.catalog.services.processing import release_processing_done
    from disquaire.core.worker import WorkerPool, default_thread_count

    # Like the imports above, the URL configuration is loaded before the clock: a running
    # worker loaded it once, long before this album (the tags hold the release's URL), and
    # in quick mode its ~0.5 s would weigh on the first track as if every album paid it.
    get_resolver().url_patterns  # noqa: B018 - the attribute access loads every URL module
    with measure() as total:
        with measure() as imported:
            result = release_import(artist_name="Bench Band", path=folder)
        assert result.release is not None and not result.rejected, result.rejected
        with measure() as processed:
            # An idle worker looks for a task 10 times a second (a busy one takes the next
            # at once), this thread 5 times: that polling is CPU, and it is counted.
            pool = WorkerPool(threads=default_thread_count(), interval=0.1).start()
            try:
                while not release_processing_done(release=result.release):
                    time.sleep(0.2)
            finally:
                pool.stop()  # joins the worker threads: every ffmpeg they ran is reaped
    failed = result.release.tracks.exclude(status=ProcessingStatus.READY).count()
    if failed:
        raise SystemExit(f"{failed} track(s) did not process")
    return imported, processed, total


def limit_jobs(files: list[Path], out: Path) -> list[tuple[str, list[str]]]:
    """The same encodes by bare ffmpeg: one command per (track, format), with its format."""
    from disquaire.audio import probe
    from disquaire.audio.formats import ENCODED_FORMATS
    from disquaire.audio.transcode import build_command

    out.mkdir(parents=True, exist_ok=True)
    jobs = []
    for path in files:
        info = probe(path)
        for fmt in ENCODED_FORMATS:
            target = out / f"{path.stem}-{fmt.key}{fmt.extension}"
            command = build_command(src=path, info=info, outputs={fmt.key: target}, progress=False)
            jobs.append((fmt.key, command))
    return jobs


def _run_one(command: list[str]) -> float:
    """Run one ffmpeg to its end; its own CPU seconds (user + system)."""
    import subprocess

    proc = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert proc.stderr is not None
    with proc.stderr:
        err = proc.stderr.read()
    # wait4 reaps it (so it counts in RUSAGE_CHILDREN like any waited-for child) and
    # gives this one process's usage: the limit's CPU per format.
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(err.decode()[-2000:])
    return usage.ru_utime + usage.ru_stime


def run_limit(jobs: list[tuple[str, list[str]]], per_format: dict[str, float]) -> Spent:
    """Run ``jobs``, as many at once as there are cores; add each one's CPU seconds to
    ``per_format``."""
    with measure() as spent, ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        commands = [command for _key, command in jobs]
        for (key, _command), cpu_s in zip(jobs, pool.map(_run_one, commands), strict=True):
            per_format[key] = per_format.get(key, 0.0) + cpu_s
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=10)
    parser.add_argument("--minutes", type=float, default=4.0)
    parser.add_argument("--quick", action="store_true", help="3 tracks of 30 s")
    args = parser.parse_args()
    if args.quick:
        args.tracks, args.minutes = 3, 0.5
    with tempfile.TemporaryDirectory(prefix="disquaire-bench-") as tmp:
        root = Path(tmp)
        setup_django(root / "data")
        print(f"generating {args.tracks} × {args.minutes:g} min FLAC…", file=sys.stderr)
        files = make_album(root / "album", tracks=args.tracks, seconds=args.minutes * 60)
        jobs = limit_jobs(files, root / "bare")
        # The limit runs in two halves, before and after ours: when the other work on the
        # machine grows or shrinks during the run, it weighs on both sides alike.
        per_format: dict[str, float] = {}
        before = run_limit(jobs[: len(jobs) // 2], per_format)
        imported, processed, ours = run_ours(root / "album")
        after = run_limit(jobs[len(jobs) // 2 :], per_format)
        limit = Spent(
            wall_s=before.wall_s + after.wall_s,
            cpu_s=before.cpu_s + after.cpu_s,
            children_cpu_s=before.children_cpu_s + after.children_cpu_s,
        )
        print(
            f"bare ffmpeg, one process per format, {os.cpu_count()} at once: "
            f"{limit.wall_s:.1f} s wall, {limit.cpu_s:.1f} s CPU (half before ours, half after)"
        )
        print(
            "disquaire import + workers (tags, storage, analysis included): "
            f"{ours.wall_s:.1f} s wall, {ours.cpu_s:.1f} s CPU "
            f"(import {imported.wall_s:.1f} s wall, {imported.cpu_s:.1f} s CPU; "
            f"processing {processed.wall_s:.1f} s wall, {processed.cpu_s:.1f} s CPU; "
            f"of all the CPU, ffmpeg {ours.children_cpu_s:.1f} s, "
            f"Python {ours.cpu_s - ours.children_cpu_s:.1f} s)"
        )
    print(
        "bare ffmpeg CPU by format: "
        + ", ".join(f"{key} {cpu_s:.1f} s" for key, cpu_s in per_format.items())
    )
    ratio = ours.wall_s / limit.wall_s
    cpu_ratio = ours.cpu_s / limit.cpu_s
    print(
        f"ratio (ours / limit): wall {ratio:.3f}, CPU {cpu_ratio:.3f}"
        "  — below 1.0 is faster than the limit"
    )
    print(
        json.dumps(
            {
                "bench": "transcode",
                "tracks": args.tracks,
                "minutes": args.minutes,
                "cores": os.cpu_count(),
                "ours_s": round(ours.wall_s, 2),
                "limit_s": round(limit.wall_s, 2),
                "ratio": round(ratio, 3),
                "ours_cpu_s": round(ours.cpu_s, 2),
                "limit_cpu_s": round(limit.cpu_s, 2),
                "cpu_ratio": round(cpu_ratio, 3),
                "import_s": round(imported.wall_s, 2),
                "import_cpu_s": round(imported.cpu_s, 2),
                "ours_ffmpeg_cpu_s": round(ours.children_cpu_s, 2),
                "ours_python_cpu_s": round(ours.cpu_s - ours.children_cpu_s, 2),
                "limit_ffmpeg_cpu_s": round(limit.children_cpu_s, 2),
                "limit_cpu_s_by_format": {k: round(v, 2) for k, v in per_format.items()},
                "load_average": round(os.getloadavg()[0], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
