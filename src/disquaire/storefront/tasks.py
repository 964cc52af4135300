"""Background tasks of the public site: thin wrappers taking ids."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="transcode")
def clips_make_task(track_id: int) -> None:
    """Cut a track's pending preview clips (see ``clips.clips_make``)."""
    from disquaire.storefront.clips import clips_make

    clips_make(track_id=track_id)
