from __future__ import annotations

import secrets
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from disquaire.catalog import demo as demo_data
from disquaire.catalog.models import Artist, Release
from disquaire.consignment.demo import demo_consignment_create
from disquaire.core.siteurl import site_url_follow
from disquaire.delivery.codes import code_batch_create
from disquaire.delivery.models import CodeBatch
from disquaire.fans.referrals.demo import DEMO_FAN, demo_referrals_create
from disquaire.fans.updates_demo import demo_followers_create
from disquaire.shop.demo import demo_shop_create
from disquaire.table.demo import demo_table_create

DEMO_LOGIN = "band@example.org"
DEMO_CARDS = "Demo CD pressing"


class Command(BaseCommand):
    help = "Create the demo band with generated music, print an admin login, and serve."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--no-serve", action="store_true", help="create the demo and stop")
        parser.add_argument(
            "--track-seconds", type=float, default=None, help="length of each generated track"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        # Before anything is made: file tags and links name the server about to run.
        site_url_follow(host=opts["host"], port=opts["port"])
        call_command("migrate", interactive=False, verbosity=0)
        created = demo_data.demo_create(
            stdout=self.stdout.write, track_seconds=opts["track_seconds"]
        )
        if created:
            self.stdout.write(f"Created the demo band “{demo_data.DEMO_ARTIST}”.")
        else:
            self.stdout.write(f"The demo band “{demo_data.DEMO_ARTIST}” is already there.")
        artist = Artist.objects.get(name=demo_data.DEMO_ARTIST)
        album, ep = (
            Release.objects.get(artist=artist, title=spec.title) for spec in demo_data.RELEASES
        )
        demo_shop_create(artist=artist, album=album, ep=ep)
        demo_followers_create(artist=artist)
        demo_consignment_create(artist=artist, album=album)
        demo_table_create(artist=artist, album=album)
        # The demo's own cards (the merch table's sales have batches of their own).
        batch = CodeBatch.objects.filter(
            release=album, label=DEMO_CARDS
        ).first() or code_batch_create(release=album, size=20, label=DEMO_CARDS)
        code = batch.codes.order_by("pk").first()

        password = secrets.token_urlsafe(12)
        user_model = get_user_model()
        # The backstage signs people in by email: the username is the email address.
        admin, _ = user_model.objects.get_or_create(
            username=DEMO_LOGIN, defaults={"email": DEMO_LOGIN}
        )
        admin.is_staff = admin.is_superuser = True
        admin.set_password(password)
        admin.save()
        demo_data.demo_link_member(user=admin)
        fan_password = secrets.token_urlsafe(12)
        demo_referrals_create(artist=artist, album=album, password=fan_password)
        shutil.rmtree(Path(settings.DATA_DIR) / "demo-source", ignore_errors=True)

        url = f"http://{opts['host']}:{opts['port']}"
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo site:   {url}/"))
        self.stdout.write(
            f"Backstage:   {url}/backstage/  email: {DEMO_LOGIN}  password: {password}"
        )
        self.stdout.write(f"Admin:       {url}/admin/  (same login)")
        self.stdout.write(
            f"Demo fan:    {url}/library/  email: {DEMO_FAN}  password: {fan_password}"
            " (store credit to spend at checkout)"
        )
        self.stdout.write(f"Emails go to {settings.MAIL_DIR}/")
        if code is not None:
            self.stdout.write(
                f"Download code: {code.code} at {url}/redeem/{artist.slug}/ — cards for the CD "
                f"sleeves: disquaire codes-pdf {batch.pk} codes.pdf"
            )
        self.stdout.write("Payments: choose “Test payment” at checkout (no money moves).")
        self.stdout.write("Encoding runs in the background; formats appear as they are ready.")
        self.stdout.write("")
        if not opts["no_serve"]:
            call_command("serve", host=opts["host"], port=opts["port"], no_migrate=True)
