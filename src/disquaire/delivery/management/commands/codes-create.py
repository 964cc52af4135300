from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from disquaire.catalog.models import Release
from disquaire.delivery.codes import code_batch_create


class Command(BaseCommand):
    help = "Make a batch of download codes for a release; prints the batch id."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("release_id", type=int)
        parser.add_argument("count", type=int)
        parser.add_argument("--uses", type=int, default=1, help="redemptions per code")
        parser.add_argument("--expires", help="last valid day, YYYY-MM-DD")
        parser.add_argument("--label", default="")

    def handle(self, *args: Any, **opts: Any) -> None:
        release = Release.objects.select_related("artist").filter(pk=opts["release_id"]).first()
        if release is None:
            raise CommandError(f"no release {opts['release_id']}")
        expires = None
        if opts["expires"]:
            day = datetime.strptime(opts["expires"], "%Y-%m-%d").date()
            expires = timezone.make_aware(datetime.combine(day, time.max))
        try:
            batch = code_batch_create(
                release=release,
                size=opts["count"],
                uses_per_code=opts["uses"],
                expires_at=expires,
                label=opts["label"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(batch.pk))
