"""The optional password: set from the library, then a second way in beside the link."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from disquaire.delivery.services import entitlement_grant
from disquaire.fans.models import Fan
from tests.factories import ReleaseFactory

pytestmark = pytest.mark.django_db

REFUSED = "Wrong email or password, or no password set for this address: ask for a sign-in link."
GOOD = "tambourine-velvet-42"


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def quick_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def signed_in(email: str = "fan@example.org") -> Client:
    """A client signed in by the emailed link, as every fan first is."""
    client = Client()
    client.post("/library/", {"email": email}, REMOTE_ADDR="203.0.113.5")
    match = re.search(r"http://testserver(/library/signin/[^/\s]+/)", str(mail.outbox[-1].body))
    assert match
    assert client.post(match.group(1)).status_code == 302
    return client


def set_password(client: Client, password: str = GOOD, again: str | None = None) -> Any:
    return client.post(
        "/library/password/",
        {"new_password1": password, "new_password2": password if again is None else again},
    )


def password_signin(client: Client, email: str, password: str, ip: str = "198.51.100.7") -> Any:
    return client.post(
        "/library/signin/password/", {"email": email, "password": password}, REMOTE_ADDR=ip
    )


def test_a_signed_in_fan_sets_a_password_then_signs_in_with_it_and_claims_purchases() -> None:
    response = set_password(signed_in())
    assert response.status_code == 302 and response["Location"] == "/library/?password=set"
    fan = Fan.objects.get()
    assert fan.password.startswith("md5$") and GOOD not in fan.password
    # Bought as a guest after the first sign-in: the password sign-in claims it too.
    entitlement = entitlement_grant(
        email="fan@example.org", release=ReleaseFactory(title="Later Album"), source="order",
        ref="order:L1",
    )  # fmt: skip

    client = Client()
    response = password_signin(client, " Fan@Example.org ", GOOD)
    assert response.status_code == 302
    assert response["Location"] == "/library/?claimed=1"
    assert client.session["fan_id"] == fan.pk
    assert client.session["fan_email"] == "fan@example.org"
    html = client.get("/library/").content.decode()
    assert "Later Album" in html and "Change my password" in html
    entitlement.refresh_from_db()
    assert entitlement.claimed_at is not None


def test_a_wrong_password_is_refused_with_the_one_message() -> None:
    set_password(signed_in())
    client = Client()
    response = password_signin(client, "fan@example.org", "not-the-password")
    assert response.status_code == 403
    assert REFUSED in response.content.decode()
    assert "fan_id" not in client.session


def test_an_unknown_address_and_one_without_password_get_the_same_message() -> None:
    signed_in("nopassword@example.org")  # a fan, but without a password
    unknown = password_signin(Client(), "nobody@example.org", GOOD)
    no_password = password_signin(Client(), "nopassword@example.org", GOOD)
    assert unknown.status_code == no_password.status_code == 403
    assert REFUSED in unknown.content.decode() and REFUSED in no_password.content.decode()


def test_an_address_without_a_password_still_costs_one_hashing() -> None:
    signed_in("nopassword@example.org")
    with mock.patch("disquaire.fans.services.make_password") as hashing:
        password_signin(Client(), "nobody@example.org", GOOD)
        password_signin(Client(), "nopassword@example.org", GOOD)
    assert [c.args for c in hashing.call_args_list] == [(GOOD,), (GOOD,)]


def test_password_attempts_are_limited_per_address(settings: Any) -> None:
    settings.DISQUAIRE_SIGNIN_PASSWORD_PER_EMAIL = 3
    set_password(signed_in())
    statuses = [
        password_signin(Client(), "fan@example.org", "guess", ip=f"198.51.100.{n}").status_code
        for n in range(4)
    ]
    assert statuses == [403, 403, 403, 429]
    # Over the limit, even the right password waits: guessing must not pay off.
    assert password_signin(Client(), "fan@example.org", GOOD, ip="192.0.2.1").status_code == 429


def test_password_attempts_are_limited_per_client(settings: Any) -> None:
    settings.DISQUAIRE_SIGNIN_PASSWORD_PER_IP = 2
    statuses = [
        password_signin(Client(), f"fan{n}@example.org", "guess", ip="198.51.100.9").status_code
        for n in range(3)
    ]
    assert statuses == [403, 403, 429]
    refused = password_signin(Client(), "other@example.org", "guess", ip="198.51.100.9")
    assert "Too many password attempts" in refused.content.decode()


def test_after_removing_the_password_only_the_link_signs_in() -> None:
    client = signed_in()
    set_password(client)
    response = client.post("/library/password/remove/")
    assert response.status_code == 302 and response["Location"] == "/library/?password=removed"
    assert Fan.objects.get().password == ""
    assert "Set a password" in client.get("/library/").content.decode()
    refused = password_signin(Client(), "fan@example.org", GOOD)
    assert refused.status_code == 403 and REFUSED in refused.content.decode()


def test_changing_the_password_needs_a_signed_in_fan() -> None:
    signed_in()
    anonymous = Client()
    assert set_password(anonymous).status_code == 403
    assert anonymous.post("/library/password/remove/").status_code == 403
    assert Fan.objects.get().password == ""


def test_changing_the_password_needs_the_csrf_token() -> None:
    client = signed_in()
    guarded = Client(enforce_csrf_checks=True)
    guarded.cookies = client.cookies
    assert set_password(guarded).status_code == 403
    assert Fan.objects.get().password == ""
    html = guarded.get("/library/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token
    response = guarded.post(
        "/library/password/",
        {"new_password1": GOOD, "new_password2": GOOD, "csrfmiddlewaretoken": token.group(1)},
    )
    assert response.status_code == 302
    assert Fan.objects.get().password


def test_a_weak_password_is_refused_with_the_validators_message() -> None:
    client = signed_in()
    response = set_password(client, "12345678")
    assert response.status_code == 400
    html = response.content.decode()
    assert "This password is too common." in html
    assert "This password is entirely numeric." in html
    similar = set_password(client, "fan.example.org").content.decode()
    assert "The password is too similar to the email." in similar
    assert Fan.objects.get().password == ""


def test_the_two_new_passwords_must_match() -> None:
    response = set_password(signed_in(), GOOD, again=GOOD + "!")
    assert response.status_code == 400
    assert "The two passwords differ." in response.content.decode()
    assert Fan.objects.get().password == ""


def test_the_sign_in_page_offers_the_password_form_in_french() -> None:
    html = Client().get("/library/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'action="/library/signin/password/"' in html
    assert "Me connecter avec mon mot de passe" in html
    assert 'autocomplete="current-password"' in html
    # The header's library link says where the visitor is.
    assert '<a class="library-link" href="/library/" aria-current="page">' in html


def test_a_new_password_signs_every_other_browser_out_but_this_one() -> None:
    here, there = signed_in(), signed_in()
    assert "Signed in as" in there.get("/library/").content.decode()

    response = set_password(here)
    assert response.status_code == 302
    page = here.get(response["Location"]).content.decode()
    assert "Signed in as" in page and "Every other browser" in page
    assert "Signed in as" not in there.get("/library/").content.decode()
    # Signing in again (link or password) gives a session that holds.
    again = Client()
    assert password_signin(again, "fan@example.org", GOOD).status_code == 302
    assert "Signed in as" in again.get("/library/").content.decode()

    # Changing it again, then removing it: each time the others are signed out.
    assert set_password(here, "another-velvet-tambourine-7").status_code == 302
    assert "Signed in as" not in again.get("/library/").content.decode()
    third = signed_in()
    assert here.post("/library/password/remove/").status_code == 302
    assert "Signed in as" in here.get("/library/").content.decode()
    assert "Signed in as" not in third.get("/library/").content.decode()


def test_signing_out_everywhere_else_keeps_this_browser(settings: Any) -> None:
    here, there = signed_in(), signed_in()
    response = here.post("/library/signout/elsewhere/")
    assert response.status_code == 302 and response["Location"].endswith("signedout=elsewhere")
    assert "signed out everywhere else" in here.get(response["Location"]).content.decode()
    assert "Signed in as" not in there.get("/library/").content.decode()
    assert Fan.objects.get().session_epoch == 1
    # Nobody signed in: nothing to do.
    assert Client().post("/library/signout/elsewhere/").status_code == 403


def test_a_signed_out_browser_no_longer_hears_the_fans_releases_in_full() -> None:
    from disquaire.catalog.models import Release
    from disquaire.fans.selectors import fan_has_release

    release = ReleaseFactory(title="Owned", visibility=Release.Visibility.PUBLISHED)
    entitlement_grant(email="fan@example.org", release=release, source="order", ref="order:O1")
    here, there = signed_in(), signed_in()

    def owns(client: Client) -> bool:
        request = mock.Mock(session=client.session)
        return fan_has_release(request=request, release=release)

    assert owns(here) and owns(there)
    here.post("/library/signout/elsewhere/")
    assert owns(here) and not owns(there)


def test_a_session_from_before_session_keys_is_signed_out() -> None:
    client = signed_in()
    session = client.session
    del session["fan_key"]
    session.save()
    assert "Signed in as" not in client.get("/library/").content.decode()
