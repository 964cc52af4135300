from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from disquaire.catalog.demo import DEMO_ARTIST, RELEASES
from disquaire.catalog.models import Membership, Release


@pytest.mark.django_db
def test_demo_creates_the_band_with_its_releases_and_prints_a_login(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)
    out = StringIO()

    call_command("demo", no_serve=True, track_seconds=1, stdout=out)

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
    from disquaire.shop.models import Offer

    pricings = set(Offer.objects.values_list("pricing", flat=True))
    assert pricings == {"fixed", "pwyw", "free"}
    assert Offer.objects.filter(numbered=True, stock__gt=0).exists()
    assert Offer.objects.filter(options__isnull=False).exists()
    batch = CodeBatch.objects.get()
    assert batch.codes.order_by("pk").first().code in text
    password = text.split("password: ")[1].split()[0]
    assert admin.check_password(password)

    # A second run keeps the band and gives a new password.
    call_command("demo", no_serve=True, track_seconds=1, stdout=StringIO())
    assert Release.objects.filter(artist__name=DEMO_ARTIST).count() == len(RELEASES)
