"""Background tasks of delivery: thin wrappers taking ids."""

from __future__ import annotations

from django_tasks import task


@task()
def release_zip_build_task(release_zip_id: int) -> None:
    from disquaire.delivery.zips import release_zip_build

    release_zip_build(release_zip_id=release_zip_id)
