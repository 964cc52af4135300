"""Members: owners change roles and remove people, anyone may leave, and an artist never
loses its last owner; someone removed cannot come back with an old invitation."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from disquaire.backstage.services import invitations as invitation_services
from disquaire.catalog.models import Membership
from tests.backstage.conftest import Band
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _join(band: Band, email: str, role: str = Membership.Role.MEMBER) -> tuple[Membership, Client]:
    user = UserFactory(username=email, email=email)
    membership = Membership.objects.create(artist=band.artist, user=user, role=role)
    client = Client()
    client.force_login(user)
    return membership, client


def _role_url(band: Band, membership: Membership) -> str:
    return reverse(
        "backstage:member_role",
        kwargs={"artist": band.artist.slug, "membership_id": membership.pk},
    )


def _remove_url(band: Band, membership: Membership) -> str:
    return reverse(
        "backstage:member_remove",
        kwargs={"artist": band.artist.slug, "membership_id": membership.pk},
    )


def _owner_of(band: Band) -> Membership:
    return Membership.objects.get(artist=band.artist, user=band.user)


def test_an_owner_changes_roles_both_ways(band: Band) -> None:
    bass, _client = _join(band, "basse@example.org")
    page = band.client.get(reverse("backstage:members", kwargs={"artist": band.artist.slug}))
    assert _role_url(band, bass) in page.content.decode()

    response = band.client.post(_role_url(band, bass), {"role": "owner"}, follow=True)
    assert "basse@example.org is now owner." in response.content.decode()
    bass.refresh_from_db()
    assert bass.role == Membership.Role.OWNER
    band.client.post(_role_url(band, bass), {"role": "member"})
    bass.refresh_from_db()
    assert bass.role == Membership.Role.MEMBER
    band.client.post(_role_url(band, bass), {"role": "emperor"})
    bass.refresh_from_db()
    assert bass.role == Membership.Role.MEMBER


def test_a_member_changes_no_roles_and_removes_nobody(band: Band) -> None:
    bass, client = _join(band, "basse@example.org")
    owner = _owner_of(band)
    response = client.post(_role_url(band, bass), {"role": "owner"}, follow=True)
    assert "Only an owner can change the members." in response.content.decode()
    client.post(_remove_url(band, owner))
    bass.refresh_from_db()
    assert bass.role == Membership.Role.MEMBER
    assert Membership.objects.filter(pk=owner.pk).exists()


def test_a_member_leaves_and_loses_the_backstage(band: Band) -> None:
    bass, client = _join(band, "basse@example.org")
    confirm = client.get(_remove_url(band, bass))
    assert confirm.status_code == 200 and "basse@example.org" in confirm.content.decode()
    response = client.post(_remove_url(band, bass))
    assert response.status_code == 302 and response.url == reverse("backstage:home")
    assert not Membership.objects.filter(pk=bass.pk).exists()
    url = reverse("backstage:releases", kwargs={"artist": band.artist.slug})
    assert client.get(url).status_code == 404


def test_an_owner_removes_a_member_who_is_shut_out_at_once(band: Band) -> None:
    bass, client = _join(band, "basse@example.org")
    url = reverse("backstage:orders", kwargs={"artist": band.artist.slug})
    assert client.get(url).status_code == 200
    response = band.client.post(_remove_url(band, bass), follow=True)
    assert "basse@example.org is no longer a member." in response.content.decode()
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("action", ["demote", "leave"])
def test_the_last_owner_stays(band: Band, action: str) -> None:
    _join(band, "basse@example.org")  # a member is not an owner
    owner = _owner_of(band)
    if action == "demote":
        response = band.client.post(_role_url(band, owner), {"role": "member"}, follow=True)
    else:
        response = band.client.post(_remove_url(band, owner), follow=True)
    assert "needs at least one owner" in response.content.decode()
    owner.refresh_from_db()
    assert owner.role == Membership.Role.OWNER


def test_with_two_owners_one_may_step_down(band: Band) -> None:
    _join(band, "basse@example.org", role=Membership.Role.OWNER)
    owner = _owner_of(band)
    band.client.post(_role_url(band, owner), {"role": "member"})
    owner.refresh_from_db()
    assert owner.role == Membership.Role.MEMBER


def test_someone_removed_cannot_come_back_with_an_old_invitation(band: Band) -> None:
    link = invitation_services.invitation_send(
        artist=band.artist, email="basse@example.org", role="owner", by=band.user
    ).replace("http://testserver", "")
    bass, client = _join(band, "basse@example.org")
    band.client.post(_remove_url(band, bass))

    response = client.post(link)
    assert response.status_code == 400
    assert not Membership.objects.filter(user__email="basse@example.org").exists()
    # A new invitation works.
    fresh = invitation_services.invitation_send(
        artist=band.artist, email="basse@example.org", role="member", by=band.user
    ).replace("http://testserver", "")
    assert client.post(fresh).status_code == 302
    assert Membership.objects.filter(user__email="basse@example.org").exists()


def test_another_artists_member_cannot_be_reached(band: Band, stranger: Band) -> None:
    theirs = Membership.objects.get(artist=stranger.artist)
    url = reverse(
        "backstage:member_remove",
        kwargs={"artist": band.artist.slug, "membership_id": theirs.pk},
    )
    assert band.client.post(url).status_code == 404
    assert Membership.objects.filter(pk=theirs.pk).exists()


def test_an_invitation_offers_the_member_role_first(band: Band) -> None:
    page = band.client.get(reverse("backstage:members", kwargs={"artist": band.artist.slug}))
    assert '<option value="member" selected>' in page.content.decode()
