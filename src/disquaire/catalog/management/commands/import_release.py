from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from disquaire.catalog import selectors
from disquaire.catalog.models import ProcessingStatus, Release
from disquaire.catalog.services import imports as import_services
from disquaire.catalog.services import processing as processing_services

EXIT_USAGE = 2


class Command(BaseCommand):
    help = "Import a folder or a zip of audio as a release (`disquaire import PATH --artist NAME`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="a folder, a zip, or one audio file")
        parser.add_argument("--artist", required=True, help="the artist's name (created when new)")
        parser.add_argument("--title", help="the release title (default: from the tags)")
        parser.add_argument("--publish", action="store_true", help="publish at once")
        parser.add_argument(
            "--wait", action="store_true", help="wait until every format is encoded"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **opts: Any) -> None:
        interactive = sys.stdout.isatty() and not opts["json"]
        progress_out = self.stderr if opts["json"] else self.stdout

        def on_file(rel: str) -> None:
            if interactive:
                progress_out.write(f"  checking {rel}")

        try:
            result = import_services.release_import(
                artist_name=opts["artist"],
                path=Path(opts["path"]),
                title=opts["title"],
                publish=opts["publish"],
                on_file=on_file,
            )
        except import_services.ImportError_ as exc:
            raise CommandError(str(exc), returncode=EXIT_USAGE) from exc

        if result.release is not None and opts["wait"]:
            self._wait(result.release, show=sys.stderr.isatty() or interactive)

        payload: dict[str, Any] = {
            "release": None,
            "tracks": [],
            "rejected": [{"file": r.file, "reason": r.reason} for r in result.rejected],
        }
        if result.release is not None:
            summary = selectors.release_import_summary(release=result.release)
            payload["release"] = {k: summary[k] for k in ("id", "slug", "url")}
            payload["tracks"] = summary["tracks"]
        if opts["json"]:
            sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            self._report(payload, result.notes)
        # A file refused while it was processed (truncated audio) counts as a rejected one.
        failed = any(t["status"] == ProcessingStatus.FAILED for t in payload["tracks"])
        sys.exit(max(result.exit_code, 1) if failed else result.exit_code)

    def _report(self, payload: dict[str, Any], notes: list[str]) -> None:
        release = payload["release"]
        if release:
            self.stdout.write(self.style.SUCCESS(f"Imported {release['url']}"))
            for track in payload["tracks"]:
                formats = ", ".join(r["format"] for r in track["renditions"])
                self.stdout.write(
                    f"  {track['position']:2d}. {track['title']} [{track['status']}] {formats}"
                )
                if track["status"] == ProcessingStatus.FAILED:
                    self.stdout.write(self.style.WARNING(f"      failed: {track['error']}"))
        for note in notes:
            self.stdout.write(f"  note: {note}")
        for rejected in payload["rejected"]:
            self.stdout.write(
                self.style.WARNING(f"  rejected {rejected['file']}: {rejected['reason']}")
            )

    def _wait(self, release: Release, *, show: bool) -> None:
        """Run workers in this process until every track of the release is done."""
        from disquaire.core.worker import WorkerPool, default_thread_count

        pool = WorkerPool(threads=default_thread_count(), interval=0.2).start()
        try:
            if show:
                self._wait_with_bar(release)
            else:
                while not processing_services.release_processing_done(release=release):
                    time.sleep(0.3)
        finally:
            pool.stop()

    def _wait_with_bar(self, release: Release) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

        console = Console(stderr=True)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[state]}"),
            console=console,
        ) as bar:
            rows: dict[int, Any] = {}
            while True:
                done = True
                for track, renditions in selectors.release_progress(release_id=release.pk):
                    fraction = sum(
                        1.0 if r.status == ProcessingStatus.READY else r.progress
                        for r in renditions
                    ) / max(len(renditions), 1)
                    state = track.get_status_display()
                    if track.status == ProcessingStatus.FAILED:
                        state = f"failed: {track.error[:60]}"
                    label = f"{track.position:02d} {track.title[:40]}"
                    if track.pk not in rows:
                        rows[track.pk] = bar.add_task(label, total=1.0, state=state)
                    bar.update(rows[track.pk], completed=fraction, state=state)
                    if track.status in (ProcessingStatus.PENDING, ProcessingStatus.PROCESSING):
                        done = False
                if done:
                    return
                time.sleep(0.3)
