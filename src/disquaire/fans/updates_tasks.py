"""Background tasks of updates: thin wrappers taking ids."""

from __future__ import annotations

from django_tasks import task


@task()
def update_send_task(update_id: int) -> None:
    from disquaire.fans.updates_sending import update_send

    update_send(update_id=update_id)
