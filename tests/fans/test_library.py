"""The fan's library: passwordless sign-in, claiming guest purchases, full listening."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.utils import timezone

from disquaire.delivery.models import Entitlement
from disquaire.delivery.services import entitlement_grant, entitlement_revoke
from disquaire.fans.models import Fan, SignInLink
from disquaire.storefront.listening.access import listener_has_full_access
from tests.factories import ReleaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def ask_link(client: Client, email: str, ip: str = "203.0.113.5") -> str:
    response = client.post("/library/", {"email": email}, REMOTE_ADDR=ip)
    assert response.status_code == 200, response.content.decode()
    match = re.search(r"http://testserver(/library/signin/[^/\s]+/)", str(mail.outbox[-1].body))
    assert match
    return match.group(1)


def test_signing_in_claims_the_purchases_made_as_a_guest_with_that_address() -> None:
    release = ReleaseFactory(title="Guest Album")
    entitlement = entitlement_grant(
        email="Fan@Example.org", release=release, source="order", ref="order:G1"
    )
    other = entitlement_grant(
        email="someone@example.org", release=ReleaseFactory(title="Not Mine"), source="order",
        ref="order:G2",
    )  # fmt: skip
    client = Client()
    link = ask_link(client, "fan@example.org")
    assert mail.outbox[-1].to == ["fan@example.org"]
    confirm = client.get(link)
    assert confirm.status_code == 200 and "Sign me in" in confirm.content.decode()
    signed_in = client.post(link)
    assert signed_in.status_code == 302
    library = client.get("/library/")
    html = library.content.decode()
    assert "Guest Album" in html and "Not Mine" not in html
    assert "/downloads/" in html  # a fresh signed link
    entitlement.refresh_from_db()
    other.refresh_from_db()
    assert entitlement.claimed_at is not None and other.claimed_at is None
    assert Fan.objects.get().email == "fan@example.org"


def test_a_sign_in_link_works_only_once() -> None:
    client = Client()
    link = ask_link(client, "fan@example.org")
    assert client.post(link).status_code == 302
    again = Client().post(link)
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    assert "fan_id" not in Client().session


def test_opening_the_link_without_pressing_the_button_does_not_spend_it() -> None:
    client = Client()
    link = ask_link(client, "fan@example.org")
    assert Client().get(link).status_code == 200  # a mail scanner following the link
    assert client.post(link).status_code == 302


def test_a_sign_in_link_expires() -> None:
    client = Client()
    link = ask_link(client, "fan@example.org")
    SignInLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.post(link)
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert client.get("/library/").content.decode().count("Email me a sign-in link") == 1


def test_asking_for_many_sign_in_links_is_limited(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DISQUAIRE_SIGNIN_PER_EMAIL = 3
    client = Client()
    statuses = [
        client.post(
            "/library/", {"email": "fan@example.org"}, REMOTE_ADDR=f"198.51.100.{n}"
        ).status_code
        for n in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    assert len(mail.outbox) == 3


def test_an_owner_signed_in_hears_the_release_in_full_and_nobody_else_does() -> None:
    release = ReleaseFactory()
    entitlement = entitlement_grant(
        email="fan@example.org", release=release, source="code", ref="code:1"
    )
    client = Client()
    client.post(ask_link(client, "fan@example.org"))
    request = RequestFactory().get("/")
    request.session = client.session
    assert listener_has_full_access(release=release, request=request)
    assert not listener_has_full_access(release=ReleaseFactory(), request=request)
    anonymous = RequestFactory().get("/")
    anonymous.session = Client().session
    assert not listener_has_full_access(release=release, request=anonymous)
    entitlement_revoke(entitlement=entitlement)
    assert not listener_has_full_access(release=release, request=request)
    assert Entitlement.objects.count() == 1
