"""Background tasks of the catalogue: thin wrappers taking ids."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="transcode")
def track_process_task(track_id: int) -> None:
    from disquaire.catalog.services.processing import track_process

    track_process(track_id=track_id)


@task()
def release_retag_task(release_id: int) -> None:
    from disquaire.catalog.tagging import release_retag

    release_retag(release_id=release_id)
