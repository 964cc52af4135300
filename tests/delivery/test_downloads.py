"""Download pages and files: who gets which bytes, and who gets a page explaining why not."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from disquaire.core import signing
from disquaire.delivery.models import Entitlement
from disquaire.delivery.services import (
    entitlement_grant,
    entitlement_revoke,
    entitlements_revoke,
    entitlements_unlock_notify,
)
from tests.delivery.conftest import (
    body,
    file_bytes,
    file_path,
    grant,
    page_path,
    ready_release,
    token_of,
    zip_path,
)

pytestmark = pytest.mark.django_db


def test_download_page_offers_every_ready_format_with_sizes_and_a_link_per_track() -> None:
    release = ready_release(tracks=2, formats=("mp3-320", "flac"))
    entitlement = grant(release)
    response = Client().get(page_path(entitlement))
    assert response.status_code == 200
    html = response.content.decode()
    assert "MP3 320 kbps" in html and "FLAC" in html
    assert "6.0\xa0KB" in html  # 2 KB + 4 KB, the release in one format
    assert html.count('class="button ghost dl-get"') == 2
    assert "/zip/mp3-320/" in html  # MP3 320 is the default: it plays everywhere
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"


def test_a_track_downloads_with_its_name_and_the_download_is_counted() -> None:
    release = ready_release(tracks=1, formats=("flac",))
    entitlement = grant(release)
    track = release.tracks.get()
    response = Client().get(file_path(entitlement, track.pk, "flac"))
    assert response.status_code == 200
    assert body(response) == file_bytes(track.pk, "flac", 2048)
    assert "01 - Song 1.flac" in response["Content-Disposition"]
    assert response["Content-Type"] == "audio/flac"
    entitlement.refresh_from_db()
    assert entitlement.download_count == 1


def test_a_resumed_download_is_served_but_not_counted_again() -> None:
    release = ready_release(tracks=1, formats=("flac",))
    entitlement = grant(release)
    track = release.tracks.get()
    response = Client().get(file_path(entitlement, track.pk, "flac"), HTTP_RANGE="bytes=1000-")
    assert response.status_code == 206
    assert body(response) == file_bytes(track.pk, "flac", 2048)[1000:]
    entitlement.refresh_from_db()
    assert entitlement.download_count == 0


def test_the_download_limit_stops_downloads_with_a_clear_message(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DISQUAIRE_DOWNLOAD_LIMIT = 2
    release = ready_release(tracks=1, formats=("flac",))
    entitlement = grant(release)
    url = file_path(entitlement, release.tracks.get().pk, "flac")
    client = Client()
    assert [client.get(url).status_code for _ in range(2)] == [200, 200]
    refused = client.get(url)
    assert refused.status_code == 403
    assert "downloaded 2 times" in refused.content.decode()
    entitlement.refresh_from_db()
    assert entitlement.download_count == 2


def test_a_tampered_link_is_refused_with_a_page_that_says_what_to_do() -> None:
    release = ready_release(tracks=1, formats=("flac",))
    entitlement = grant(release)
    token = token_of(page_path(entitlement))
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    track = release.tracks.get()
    for url in (f"/downloads/{tampered}/", file_path(entitlement, track.pk, "flac", tampered)):
        response = Client().get(url)
        assert response.status_code == 403
        # The page's own button, not the header's library link every page has.
        assert 'href="/library/">Go to my library' in response.content.decode()
    entitlement.refresh_from_db()
    assert entitlement.download_count == 0


def test_an_expired_link_answers_410_and_sends_the_fan_to_the_library(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    release = ready_release(tracks=1, formats=("flac",))
    entitlement = grant(release)
    path = page_path(entitlement)
    url = file_path(entitlement, release.tracks.get().pk, "flac", token_of(path))
    later = signing._now() + 24 * 3600 + 1
    monkeypatch.setattr(signing, "_now", lambda: later)
    for target in (path, url):
        response = Client().get(target)
        assert response.status_code == 410
        assert "expired" in response.content.decode()
        assert 'href="/library/">Go to my library' in response.content.decode()


def test_another_fans_link_does_not_open_my_purchase() -> None:
    release = ready_release(tracks=1, formats=("flac",))
    mine = grant(release, email="me@example.org", ref="order:ME")
    theirs = grant(ready_release(tracks=1, formats=("flac",)), email="them@example.org")
    their_token = token_of(page_path(theirs))
    # Their valid token, with my entitlement's id put in the URL.
    response = Client().get(file_path(mine, release.tracks.get().pk, "flac", their_token))
    assert response.status_code == 403
    # Their entitlement, with a track of my release.
    response = Client().get(file_path(theirs, release.tracks.get().pk, "flac", their_token))
    assert response.status_code == 403
    mine.refresh_from_db()
    assert mine.download_count == 0


def test_a_refunded_purchase_serves_no_file_and_says_so() -> None:
    release = ready_release(tracks=2, formats=("flac",))
    entitlement = grant(release)
    path = page_path(entitlement)
    track_url = file_path(entitlement, release.tracks.first().pk, "flac", token_of(path))  # type: ignore[union-attr]
    entitlement_revoke(entitlement=entitlement, reason="refund")
    for url in (path, track_url, zip_path(entitlement, "flac", token_of(path))):
        response = Client().get(url)
        assert response.status_code == 403, url
        assert "refunded" in response.content.decode()


def test_refunding_an_order_revokes_each_of_its_items() -> None:
    first, second = ready_release(tracks=1), ready_release(tracks=1)
    grant(first, ref="order:R1")
    grant(second, ref="order:R1")
    other = grant(second, ref="order:R2")
    assert entitlements_revoke(source="order", ref="order:R1", reason="refund") == 2
    assert entitlements_revoke(source="order", ref="order:R1", reason="refund") == 0
    other.refresh_from_db()
    assert other.revoked_at is None


def test_granting_twice_for_the_same_order_gives_one_entitlement_with_the_email_lower_case() -> (
    None
):
    release = ready_release(tracks=1)
    first = entitlement_grant(email=" Fan@Example.ORG ", release=release, source="order", ref="o1")
    again = entitlement_grant(email="fan@example.org", release=release, source="order", ref="o1")
    assert first.pk == again.pk
    assert first.email == "fan@example.org"
    assert Entitlement.objects.count() == 1


def test_the_chosen_format_is_remembered_for_the_next_visit() -> None:
    release = ready_release(tracks=1, formats=("mp3-320", "flac"))
    entitlement = grant(release)
    client = Client()
    path = page_path(entitlement)
    chosen = client.get(path, {f"f{entitlement.pk}": "flac"})
    assert chosen.cookies["dq_format"].value == "flac"
    again = client.get(page_path(entitlement))
    assert 'value="flac" checked' in again.content.decode()


def test_a_preorder_opens_on_release_day_and_the_fan_is_mailed_once() -> None:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    release = ready_release(tracks=1, formats=("flac",), release_date=tomorrow)
    entitlement = grant(release)
    assert entitlement.notify_on_unlock
    url = file_path(entitlement, release.tracks.get().pk, "flac")
    locked = Client().get(url)
    assert locked.status_code == 403
    assert "pre-order" in locked.content.decode()
    assert "Pre-order" in Client().get(page_path(entitlement)).content.decode()
    assert entitlements_unlock_notify() == 0
    assert entitlements_unlock_notify(today=tomorrow) == 1
    assert entitlements_unlock_notify(today=tomorrow) == 0
    assert len(mail.outbox) == 1
    assert "/downloads/" in str(mail.outbox[0].body)
    assert mail.outbox[0].to == ["fan@example.org"]
