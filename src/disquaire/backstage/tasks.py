"""Background tasks of the backstage: thin wrappers taking ids."""

from __future__ import annotations

from django_tasks import task


@task()
def member_emails_task(kind: str, key: str, object_id: int | None, artist_id: int) -> None:
    from disquaire.backstage.member_emails import member_emails_send

    member_emails_send(kind=kind, key=key, object_id=object_id, artist_id=artist_id)
