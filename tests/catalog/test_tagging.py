"""Delivered files follow the catalogue: a title corrected, the tracklist reordered, a
track deleted or the cover changed after processing, and the files are tagged again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.db import transaction
from django.test import TestCase
from django_tasks_db.models import DBTaskResult

from disquaire.audio import read_tags, synth_cover
from disquaire.backstage.services import deletions as deletion_services
from disquaire.catalog import tagging
from disquaire.catalog.models import ProcessingStatus, Release, Rendition, Track
from disquaire.catalog.services import editing as editing_services
from disquaire.catalog.services import imports as import_services
from disquaire.catalog.services import processing as processing_services
from tests.catalog.conftest import ARTIST

pytestmark = pytest.mark.django_db

RETAG_TASK = "disquaire.catalog.tasks.release_retag_task"


def _processed(album_dir: Path) -> Release:
    # As in production: what the import queues after commit is queued (not left pending).
    with TestCase.captureOnCommitCallbacks(execute=True):
        result = import_services.release_import(artist_name=ARTIST, path=album_dir, publish=True)
    for track in result.tracks:
        processing_services.track_process(track_id=track.pk)
    assert result.release is not None
    return result.release


def _tagged(release: Release) -> list[Rendition]:
    return list(
        Rendition.objects.filter(track__release=release, status=ProcessingStatus.READY)
        .exclude(format="original")
        .select_related("track")
    )


def _retags_queued() -> int:
    return DBTaskResult.objects.filter(task_path=RETAG_TASK).count()


def _tags(rendition: Rendition) -> dict[str, Any]:
    return read_tags(Path(default_storage.path(rendition.file.name)))


def test_processed_files_are_in_step_and_retag_has_nothing_to_do(album_dir: Path) -> None:
    release = _processed(album_dir)
    renditions = _tagged(release)
    assert renditions and all(len(r.tags_digest) == 64 for r in renditions)
    assert tagging.release_retag(release_id=release.pk) == 0


def test_title_order_and_deletion_reach_the_files(
    album_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    release = _processed(album_dir)
    first, second, third = release.tracks.order_by("position")
    before = {r.pk: (r.file.name, r.sha256) for r in _tagged(release)}
    with django_capture_on_commit_callbacks(execute=True):
        second.title = "Deuxième (version corrigée)"
        second.save()
        deletion_services.track_delete(track=first)
        editing_services.tracks_reorder(release=release, track_ids=[third.pk, second.pk])

    with django_capture_on_commit_callbacks(execute=True):
        count = tagging.release_retag(release_id=release.pk)

    renditions = _tagged(release)
    assert count == len(renditions) > 0
    for rendition in renditions:
        tags = _tags(rendition)
        expected = {third.pk: (1, "Troisième"), second.pk: (2, "Deuxième (version corrigée)")}
        number, title = expected[rendition.track_id]
        assert (tags["track_number"], tags["track_total"], tags["title"]) == (number, 2, title)
        old_name, old_sha = before[rendition.pk]
        assert rendition.file.name != old_name and not default_storage.exists(old_name)
        assert rendition.sha256 != old_sha
        digest, size = tagging.sha256_file(Path(default_storage.path(rendition.file.name)))
        assert (rendition.sha256, rendition.bytes) == (digest, size)
    assert tagging.release_retag(release_id=release.pk) == 0


def test_a_new_cover_is_embedded_again(
    album_dir: Path, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    release = _processed(album_dir)
    mp3 = next(r for r in _tagged(release) if r.format == "mp3-320")
    old_cover = _tags(mp3)["cover"]
    synth_cover(title="Another", seed=9, size=500, path=tmp_path / "new.jpg")
    with django_capture_on_commit_callbacks(execute=True):
        editing_services.release_cover_set(
            release=release, data=(tmp_path / "new.jpg").read_bytes()
        )
        assert tagging.release_retag(release_id=release.pk) == len(_tagged(release))
    mp3.refresh_from_db()
    new_cover = _tags(mp3)["cover"]
    assert new_cover[:2] == b"\xff\xd8" and new_cover != old_cover


def test_edits_queue_one_retag_per_release_and_transaction(
    album_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    release = _processed(album_dir)
    DBTaskResult.objects.filter(task_path=RETAG_TASK).delete()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for track in release.tracks.all():
            track.title += " !"
            track.save()
        release.title = "Sous la pluie (réédition)"
        release.save()
    queued = DBTaskResult.objects.filter(task_path=RETAG_TASK)
    assert [row.args_kwargs["kwargs"] for row in queued] == [{"release_id": release.pk}]

    # Saves that change nothing the tags say queue nothing, whole-row saves (a form's)
    # included; the artist's name reaches every release.
    with django_capture_on_commit_callbacks(execute=True):
        track = Track.objects.get(pk=release.tracks.first().pk)  # type: ignore[union-attr]
        track.save(update_fields=["lyrics"])
        track.lyrics = "La la la"
        track.save()
        release.description = "Notes"
        release.save(update_fields=["description"])
        release.description = "More notes"
        release.save()
        release.artist.bio = "A band."
        release.artist.save()
    assert _retags_queued() == 1
    with django_capture_on_commit_callbacks(execute=True):
        release.artist.name = "Les Testeurs Réunis"
        release.artist.save()
    assert _retags_queued() == 2


def test_a_file_changed_meanwhile_is_not_overwritten(
    album_dir: Path, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    """Processing (or another retag) wrote each rendition while this run worked on its
    copy: the compare-and-set on the old name loses, and the copy is thrown away."""
    release = _processed(album_dir)
    Track.objects.filter(release=release).update(title="Renamed")
    before = {r.pk: r.file.name for r in _tagged(release)}
    real_write = tagging.write_tags

    def write_while_another_writer_replaces(path: Path, **kwargs: Any) -> None:
        real_write(path, **kwargs)
        pk = int(path.parent.name.split("-")[1])  # the copy's folder: retag-<pk>-…
        Rendition.objects.filter(pk=pk).update(file=f"elsewhere/{pk}.bin")

    monkeypatch.setattr(tagging, "write_tags", write_while_another_writer_replaces)
    with django_capture_on_commit_callbacks(execute=True):
        assert tagging.release_retag(release_id=release.pk) == 0
    after = {r.pk: r.file.name for r in _tagged(release)}
    assert after == {pk: f"elsewhere/{pk}.bin" for pk in before}
    # The old files were not deleted (the swap lost) and no copy was left behind.
    stored = set()
    for track_dir in default_storage.listdir(f"renditions/{release.pk}")[0]:
        folder = f"renditions/{release.pk}/{track_dir}"
        stored |= {f"{folder}/{name}" for name in default_storage.listdir(folder)[1]}
    assert stored == set(before.values())


def test_retagging_and_deleting_on_s3_storage(
    album_dir: Path, tmp_path: Path, s3_storage: str, django_capture_on_commit_callbacks: Any
) -> None:
    """The same on S3-compatible storage: files copied, tagged, stored under a new key,
    the old key deleted; deleting the release leaves the bucket empty."""
    import boto3
    from django.conf import settings

    from disquaire.backstage.services.deletions import release_delete

    options = settings.STORAGES["default"]["OPTIONS"]
    client = boto3.client(
        "s3", endpoint_url=options["endpoint_url"], aws_access_key_id="test",
        aws_secret_access_key="test", region_name="us-east-1",
    )  # fmt: skip

    def keys() -> set[str]:
        listing = client.list_objects_v2(Bucket=s3_storage)
        return {obj["Key"] for obj in listing.get("Contents", [])}

    with TestCase.captureOnCommitCallbacks(execute=True):
        result = import_services.release_import(artist_name=ARTIST, path=album_dir)
    track = result.tracks[0]
    processing_services.track_process(track_id=track.pk)
    mp3 = track.renditions.get(format="mp3-320")
    old_key = mp3.file.name
    Track.objects.filter(pk=track.pk).update(title="Première (sur S3)")

    with django_capture_on_commit_callbacks(execute=True):
        assert tagging.release_retag(release_id=track.release_id) >= 1
    mp3.refresh_from_db()
    assert mp3.file.name != old_key and mp3.file.name in keys() and old_key not in keys()
    local = tmp_path / "fetched.mp3"
    client.download_file(s3_storage, mp3.file.name, str(local))
    assert read_tags(local)["title"] == "Première (sur S3)"

    release = Release.objects.get(pk=track.release_id)
    assert keys()
    with django_capture_on_commit_callbacks(execute=True):
        release_delete(release=release)
    assert keys() == set()
