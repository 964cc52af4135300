from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from disquaire.catalog.demo import DEMO_ARTIST, RELEASES
from disquaire.catalog.models import Membership, Release, Track


@pytest.mark.django_db
def test_demo_creates_the_band_with_its_releases_and_prints_a_login(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)
    monkeypatch.delenv("DISQUAIRE_SITE_URL", raising=False)
    settings.SITE_URL_CONFIGURED = False
    out = StringIO()

    call_command("demo", no_serve=True, track_seconds=1, port=8123, stdout=out)

    # Made for the port it serves: file tags and links name it.
    assert settings.SITE_URL == "http://127.0.0.1:8123"
    # The podcast of free tracks has an episode, and the band's page links to it.
    free = Track.objects.get(release__artist__name=DEMO_ARTIST, is_free=True)
    assert free.title == "Le Tramway"
    page = Client().get(free.release.artist.get_absolute_url()).content.decode()
    assert "Podcast of free tracks" in page

    releases = Release.objects.filter(artist__name=DEMO_ARTIST).order_by("title")
    assert [r.title for r in releases] == sorted(spec.title for spec in RELEASES)
    for release in releases:
        assert release.is_public
        assert release.cover.name and release.cover_alt and release.description
        spec = next(s for s in RELEASES if s.title == release.title)
        assert list(release.tracks.values_list("title", flat=True)) == list(spec.tracks)
    admin = get_user_model().objects.get(username="band@example.org")
    assert admin.is_superuser
    assert Membership.objects.filter(user=admin, artist__name=DEMO_ARTIST).exists()
    text = out.getvalue()
    assert "email: band@example.org  password: " in text
    # The shop offers every kind of price, and a batch of download codes exists.
    from disquaire.delivery.models import CodeBatch
    from disquaire.selling.models import Offer

    pricings = set(Offer.objects.values_list("pricing", flat=True))
    assert pricings == {"fixed", "pwyw", "free"}
    # The stock is items in several places; offers draw on them (two on the same CDs).
    from disquaire.stock.models import Balance, Item, Place

    assert Item.objects.filter(numbered=True, offer_uses__isnull=False).exists()
    assert Offer.objects.filter(item_uses__item__name="CD Marée Haute").count() == 2
    kinds = set(Balance.objects.filter(quantity__gt=0).values_list("place__kind", flat=True))
    assert kinds == {Place.Kind.HOME, Place.Kind.SHIPPING, Place.Kind.BAG, Place.Kind.SHOP}
    # A record shop holds CDs of the album on consignment, with a statement.
    from disquaire.consignment.models import Shop

    shop = Shop.objects.get()
    assert shop.statements.count() == 1 and shop.reports.count() == 2
    assert Item.objects.get(name="CD Marée Haute").release is not None
    assert Offer.objects.filter(options__isnull=False).exists()
    batch = CodeBatch.objects.get(label="Demo CD pressing")
    assert batch.codes.order_by("pk").first().code in text
    password = text.split("password: ")[1].split()[0]
    assert admin.check_password(password)
    # A demo fan has store credit from a friend's purchase through their link.
    from disquaire.fans.referrals.demo import DEMO_FAN
    from disquaire.fans.referrals.selectors import credit_available

    artist = releases[0].artist
    assert credit_available(artist=artist, email=DEMO_FAN) == 120
    assert f"email: {DEMO_FAN}  password: " in text

    # The band has followers and one update already sent to them.
    from disquaire.fans.models import Follower, Update

    assert Follower.objects.filter(artist__name=DEMO_ARTIST, state="confirmed").count() >= 5
    update = Update.objects.get(artist__name=DEMO_ARTIST)
    assert update.state == "sent" and update.deliveries.filter(state="sent").exists()

    # The merch table: a past show, closed, with its report (one transfer still pending).
    from disquaire.table import selectors as table_selectors
    from disquaire.table.models import Show

    show = Show.objects.get(artist__name=DEMO_ARTIST)
    assert show.state == "closed"
    report = table_selectors.show_report(show=show)
    assert report.sales == 7 and report.cash == 5600 and report.bank_pending == 2000
    assert report.bank == 1200 and report.flagged == 0
    assert any(line.difference == -1 for line in report.lines)

    # A second run keeps the band and gives a new password.
    call_command("demo", no_serve=True, track_seconds=1, stdout=StringIO())
    assert Release.objects.filter(artist__name=DEMO_ARTIST).count() == len(RELEASES)
    assert Update.objects.filter(artist__name=DEMO_ARTIST).count() == 1
    assert Show.objects.filter(artist__name=DEMO_ARTIST).count() == 1
