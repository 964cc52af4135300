"""A worker killed mid-encode leaves no visible file, and another worker finishes the job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection

from disquaire.audio import probe
from disquaire.catalog.models import ProcessingStatus, Rendition, Track
from disquaire.catalog.services import imports as import_services
from tests.catalog.conftest import ARTIST, make_track

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    user = s.get("USER") or "postgres"
    return f"postgres://{user}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


def _start_worker(data_dir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DISQUAIRE_DATA_DIR": str(data_dir),
        "DATABASE_URL": _database_url(),
        "DISQUAIRE_TASK_STALE_SECONDS": "2",
        "DISQUAIRE_WORKER_PERIODIC_SECONDS": "1",
        "DISQUAIRE_SITE_URL": "http://testserver",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "disquaire", "worker", "--threads", "1"],
        env=env,
        start_new_session=True,  # its ffmpeg children die with it
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_killed_worker_leaves_no_visible_file_and_the_work_is_picked_up_again(
    tmp_path: Path, isolated_files: Path
) -> None:
    folder = tmp_path / "long"
    folder.mkdir()
    make_track(folder / "01.flac", title="Longue", number=1, total=1, seconds=45)
    track = import_services.release_import(artist_name=ARTIST, path=folder).tracks[0]
    data_dir = isolated_files.parent  # the worker's media dir is <data>/media, as ours

    first = _start_worker(data_dir)
    try:
        _wait_for(
            lambda: Rendition.objects.filter(track=track, progress__gt=0.05).exists(),
            timeout=60,
            what="the encode to start",
        )
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()

    track.refresh_from_db()
    assert track.status == ProcessingStatus.PROCESSING
    renditions_dir = isolated_files / "renditions"
    visible = (
        [p for p in renditions_dir.rglob("*") if p.is_file()] if renditions_dir.exists() else []
    )
    assert visible == []
    assert (
        not Rendition.objects.filter(track=track, status="ready")
        .exclude(format="original")
        .exists()
    )

    second = _start_worker(data_dir)
    try:
        _wait_for(
            lambda: Track.objects.get(pk=track.pk).status == ProcessingStatus.READY,
            timeout=180,
            what="the second worker to finish the track",
        )
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=60)

    for rendition in Rendition.objects.filter(track=track):
        assert rendition.status == ProcessingStatus.READY
        info = probe(isolated_files / rendition.file.name)
        assert info.duration_s == pytest.approx(45, abs=0.5), rendition.format
