"""Deleting a release or a track from the backstage: everything hanging from it goes,
files included, once committed; what fans have (orders, downloads, codes) keeps it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from disquaire.backstage import services
from disquaire.backstage.models import Upload
from disquaire.catalog import services as catalog_services
from disquaire.catalog.models import Release, Rendition, Track
from disquaire.core.storage import AtomicFileSystemStorage, storage_save_bytes
from disquaire.delivery.codes import code_batch_create
from disquaire.delivery.models import ReleaseZip
from disquaire.delivery.services import entitlement_grant
from disquaire.selling.models import Offer
from disquaire.storefront.images import ALLOWED_WIDTHS, release_cover_prefix, variant_name
from disquaire.storefront.models import Clip
from tests.backstage.conftest import Band
from tests.factories import TrackFactory
from tests.shop.factories import OfferFactory
from tests.shop.helpers import order_for

pytestmark = pytest.mark.django_db


def _stored(name: str) -> str:
    return storage_save_bytes(name=name, data=b"bytes of " + name.encode())


def _track_with_files(release: Release, position: int) -> tuple[Track, list[str]]:
    """A processed track: its master, an MP3 rendition, the original and a clip."""
    master = _stored(f"masters/t{position}/master.flac")
    track = TrackFactory(release=release, position=position, master=master)
    mp3 = _stored(f"renditions/{release.pk}/{track.pk}/{position:02d}-mp3-320.mp3")
    Rendition.objects.create(track=track, format="mp3-320", file=mp3, status="ready")
    Rendition.objects.create(track=track, format="original", file=master, status="ready")
    clip = _stored(f"clips/{track.pk}.opus")
    Clip.objects.create(track=track, format="opus-96", seconds=30, file=clip, status="ready")
    return track, [master, mp3, clip]


def _release_with_files(band: Band) -> tuple[Release, list[str]]:
    release = band.release
    release.cover = _stored("covers/abc.jpg")
    release.visibility = Release.Visibility.PUBLISHED
    release.save()
    names = [release.cover.name]
    for width in ALLOWED_WIDTHS:
        names.append(
            _stored(
                variant_name(
                    prefix=release_cover_prefix(release.pk), source=release.cover, width=width
                )
            )
        )
    for position in (1, 2):
        names += _track_with_files(release, position)[1]
    zipped = _stored(f"zips/{release.pk}-mp3-320.zip")
    ReleaseZip.objects.create(release=release, format="mp3-320", file=zipped, status="ready")
    names.append(zipped)
    OfferFactory(release=release, artist=band.artist)
    return release, names


def _exists(names: list[str]) -> list[bool]:
    return [default_storage.exists(name) for name in names]


def test_a_release_nobody_has_goes_with_its_tracks_offers_and_files(
    band: Band, django_capture_on_commit_callbacks: Any
) -> None:
    release, names = _release_with_files(band)
    scratch = Upload.objects.create(
        release=release, user=band.user, kind="audio", filename="half.flac", size=10
    )
    scratch.scratch_path.parent.mkdir(parents=True, exist_ok=True)
    scratch.scratch_path.write_bytes(b"half")
    public = release.get_absolute_url()
    assert band.client.get(public).status_code == 200  # now in the page cache
    url = reverse(
        "backstage:release_delete", kwargs={"artist": band.artist.slug, "release_id": release.pk}
    )

    confirm = band.client.get(url)
    assert confirm.status_code == 200 and release.title in confirm.content.decode()
    assert Release.objects.filter(pk=release.pk).exists()  # GET deletes nothing

    with django_capture_on_commit_callbacks(execute=True):
        response = band.client.post(url)
    assert response.status_code == 302
    assert response.url == reverse("backstage:releases", kwargs={"artist": band.artist.slug})
    assert not Release.objects.filter(pk=release.pk).exists()
    assert not Track.objects.filter(release_id=release.pk).exists()
    assert not Rendition.objects.filter(track__release_id=release.pk).exists()
    assert not Offer.objects.filter(release_id=release.pk).exists()
    assert not ReleaseZip.objects.filter(release_id=release.pk).exists()
    assert not Clip.objects.exists()
    assert _exists(names) == [False] * len(names)
    assert not scratch.scratch_path.exists()
    assert band.client.get(public).status_code == 404  # not served from the cache


def test_files_stay_when_the_deletion_is_rolled_back(band: Band) -> None:
    # Without the commit (the callbacks are not run), nothing is removed from storage.
    release, names = _release_with_files(band)
    services.release_delete(release=release)
    assert _exists(names) == [True] * len(names)


@pytest.mark.parametrize("given", ["order", "entitlement", "track entitlement", "codes"])
def test_a_release_fans_have_is_kept_whole(
    band: Band, given: str, django_capture_on_commit_callbacks: Any
) -> None:
    release, names = _release_with_files(band)
    track = release.tracks.first()
    assert track is not None
    if given == "order":
        order_for(OfferFactory(release=release, artist=band.artist))
    elif given == "entitlement":
        entitlement_grant(email="fan@example.org", release=release, source="free", ref="x")
    elif given == "track entitlement":
        entitlement_grant(email="fan@example.org", track=track, source="free", ref="x")
    else:
        code_batch_create(release=release, size=2)
    url = reverse(
        "backstage:release_delete", kwargs={"artist": band.artist.slug, "release_id": release.pk}
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = band.client.post(url, follow=True)
    assert "set it back to draft" in response.content.decode()
    assert Release.objects.filter(pk=release.pk).exists()
    assert Track.objects.filter(release=release).count() == 2
    assert Rendition.objects.filter(track__release=release).count() == 4
    assert _exists(names) == [True] * len(names)


def test_an_order_the_check_missed_still_stops_the_deletion(
    band: Band, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    """The last line of defence (an order written between the check and the delete):
    the order line's protected reference rolls the whole deletion back."""
    release, names = _release_with_files(band)
    order = order_for(OfferFactory(release=release, artist=band.artist))
    monkeypatch.setattr(services, "_release_kept_reason", lambda release_id: "")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.InUse):
        services.release_delete(release=release)
    assert Release.objects.filter(pk=release.pk).exists()
    assert Track.objects.filter(release=release).count() == 2
    assert order.lines.get().offer.release_id == release.pk
    assert _exists(names) == [True] * len(names)


def test_a_track_goes_with_its_files_and_the_tracklist_closes_up(
    band: Band, django_capture_on_commit_callbacks: Any
) -> None:
    release = band.release
    tracks = [_track_with_files(release, position) for position in (1, 2, 3)]
    (first, first_names), (middle, middle_names), (last, last_names) = tracks
    single = OfferFactory(release=None, track=middle, artist=band.artist, kind=Offer.Kind.TRACK)
    url = reverse(
        "backstage:track_delete",
        kwargs={"artist": band.artist.slug, "release_id": release.pk, "track_id": middle.pk},
    )
    assert middle.title in band.client.get(url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = band.client.post(url)
    assert response.status_code == 302
    assert list(release.tracks.order_by("position").values_list("pk", "position")) == [
        (first.pk, 1),
        (last.pk, 2),
    ]
    assert not Offer.objects.filter(pk=single.pk).exists()
    assert _exists(middle_names) == [False] * 3
    assert _exists(first_names + last_names) == [True] * 6


def test_a_track_of_a_release_fans_have_is_kept(
    band: Band, django_capture_on_commit_callbacks: Any
) -> None:
    track, names = _track_with_files(band.release, 1)
    entitlement_grant(email="fan@example.org", release=band.release, source="free", ref="x")
    url = reverse(
        "backstage:track_delete",
        kwargs={"artist": band.artist.slug, "release_id": band.release.pk, "track_id": track.pk},
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = band.client.post(url, follow=True)
    assert "its tracks stay" in response.content.decode()
    assert Track.objects.filter(pk=track.pk).exists()
    assert _exists(names) == [True] * 3


def test_the_tracklist_offers_delete_and_the_release_page_its_own(band: Band) -> None:
    track, _names = _track_with_files(band.release, 1)
    page = band.client.get(
        reverse(
            "backstage:release", kwargs={"artist": band.artist.slug, "release_id": band.release.pk}
        )
    ).content.decode()
    assert (
        reverse(
            "backstage:track_delete",
            kwargs={
                "artist": band.artist.slug,
                "release_id": band.release.pk,
                "track_id": track.pk,
            },
        )
        in page
    )
    assert (
        reverse(
            "backstage:release_delete",
            kwargs={"artist": band.artist.slug, "release_id": band.release.pk},
        )
        in page
    )


@pytest.mark.django_db(transaction=True)
def test_a_track_deleted_while_processed_leaves_no_file(
    band: Band, flac: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The band deletes a track while a worker transcodes it: the worker stops at its
    next write and removes what it stored after the deletion took the track's names.
    Outside a test transaction, as a worker runs: each statement commits at once."""
    track = catalog_services.track_add_from_upload(
        release=band.release, path=flac, filename=flac.name
    )
    master = track.master.name
    stored: list[str] = []
    real_save = catalog_services.storage_save_path

    def save_then_band_deletes(**kwargs: Any) -> str:
        name = real_save(**kwargs)
        stored.append(name)
        if len(stored) == 1:
            Track.objects.filter(pk=track.pk).delete()
        return name

    monkeypatch.setattr(catalog_services, "storage_save_path", save_then_band_deletes)
    catalog_services.track_process(track_id=track.pk)  # returns quietly

    assert stored and _exists(stored) == [False] * len(stored)
    assert not Track.objects.filter(pk=track.pk).exists()
    assert not Rendition.objects.filter(track_id=track.pk).exists()
    # The master went with the deleted row.
    assert not default_storage.exists(master)


def test_a_storage_that_fails_to_delete_leaves_the_deletion_standing(
    band: Band,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    release, _names = _release_with_files(band)

    def unreachable(self: AtomicFileSystemStorage, name: str) -> None:
        raise OSError("storage unreachable")

    monkeypatch.setattr(AtomicFileSystemStorage, "delete", unreachable)
    url = reverse(
        "backstage:release_delete",
        kwargs={"artist": band.artist.slug, "release_id": release.pk},
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = band.client.post(url)
    assert response.status_code == 302
    assert not Release.objects.filter(pk=release.pk).exists()
    assert "not deleted" in caplog.text
