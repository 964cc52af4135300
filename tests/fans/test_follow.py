"""Following a band: double opt-in, the consent kept, one-click unsubscribe that only
ever reaches its own follower, preferences, import and export."""

from __future__ import annotations

import base64
import csv
import io
import json
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from disquaire.catalog.models import Membership
from disquaire.core.signing import token_make
from disquaire.fans import follow
from disquaire.fans.models import ConsentSource, Fan, Follower, FollowerState
from disquaire.fans.services import fan_login
from tests.factories import ArtistFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def confirmed(artist, email: str, **fields) -> Follower:  # type: ignore[no-untyped-def]
    now = timezone.now()
    return Follower.objects.create(
        artist=artist,
        email=email,
        state=FollowerState.CONFIRMED,
        consent_source=ConsentSource.PAGE,
        consent_at=now,
        confirmed_at=now,
        **fields,
    )


def link_in(body: str, path: str) -> str:
    match = re.search(rf"http://testserver({path}[^/\s]+/)", body)
    assert match, body
    return match.group(1)


def test_following_by_email_records_the_consent_and_waits_for_the_confirmation() -> None:
    artist = ArtistFactory(name="Les Rats")
    client = Client(enforce_csrf_checks=True)  # the box on cached pages carries no token
    response = client.post(
        f"/library/follow/{artist.slug}/",
        {"email": "Fan@Example.org", "next": f"/{artist.slug}/some-release/"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 200
    follower = Follower.objects.get()
    assert follower.email == "fan@example.org"
    assert follower.state == FollowerState.PENDING
    assert follower.consent_source == ConsentSource.PAGE
    assert follower.consent_where == f"/{artist.slug}/some-release/"
    assert "Les Rats" in follower.consent_text and follower.consent_at is not None
    assert follower.language == "fr"
    (confirmation,) = mail.outbox
    assert confirmation.to == ["fan@example.org"]
    link = link_in(confirmation.body, "/library/follow/confirm/")
    # Opening the link (a mail scanner does) confirms nothing; the button does.
    assert Client().get(link).status_code == 200
    follower.refresh_from_db()
    assert follower.state == FollowerState.PENDING
    assert Client().post(link).status_code == 200
    follower.refresh_from_db()
    assert follower.state == FollowerState.CONFIRMED and follower.confirmed_at is not None


def test_asking_again_for_a_followed_address_sends_nothing_and_says_the_same() -> None:
    artist = ArtistFactory()
    confirmed(artist, "fan@example.org")
    response = Client().post(f"/library/follow/{artist.slug}/", {"email": "fan@example.org"})
    assert response.status_code == 200 and "Check your inbox" in response.content.decode()
    assert mail.outbox == []


def test_a_signed_in_fan_follows_in_one_click_confirmed_at_once() -> None:
    artist = ArtistFactory()
    fan = Fan.objects.create(email="fan@example.org")
    client = Client()
    session_request = client.get("/library/").wsgi_request
    fan_login(session_request, fan)
    session_request.session.save()
    client.cookies["sessionid"] = session_request.session.session_key
    page = client.get(f"/library/follow/{artist.slug}/")
    assert "Follow as fan@example.org" in page.content.decode()
    response = client.post(f"/library/follow/{artist.slug}/", {"next": "/elsewhere/"})
    assert response.status_code == 200
    follower = Follower.objects.get()
    assert follower.state == FollowerState.CONFIRMED
    assert follower.consent_source == ConsentSource.FAN and follower.fan == fan
    assert mail.outbox == []


def test_the_one_click_follow_is_refused_without_the_csrf_token() -> None:
    artist = ArtistFactory()
    fan = Fan.objects.create(email="fan@example.org")
    client = Client(enforce_csrf_checks=True)
    session_request = client.get("/library/").wsgi_request
    fan_login(session_request, fan)
    session_request.session.save()
    client.cookies["sessionid"] = session_request.session.session_key
    assert client.post(f"/library/follow/{artist.slug}/").status_code == 403
    assert not Follower.objects.exists()


def test_one_click_unsubscribe_works_without_a_session_or_csrf_token() -> None:
    artist = ArtistFactory()
    follower = confirmed(artist, "fan@example.org")
    url = follow.follow_urls(follower=follower)["unsubscribe"].removeprefix("http://testserver")
    # RFC 8058: the mail provider posts this body to the List-Unsubscribe address.
    response = Client(enforce_csrf_checks=True).post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    follower.refresh_from_db()
    assert follower.state == FollowerState.UNSUBSCRIBED


def test_an_unsubscribe_token_cannot_unsubscribe_another_follower() -> None:
    artist = ArtistFactory()
    mine = confirmed(artist, "mine@example.org")
    other = confirmed(artist, "other@example.org")
    token = follow.follower_token(follower=mine)
    # My token with the other follower's id put in: the signature no longer matches.
    body, _sep, signature = token.rpartition(":")
    value = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    value["d"]["f"] = other.pk
    swapped = base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode())
    tampered = f"{swapped.decode().rstrip('=')}:{signature}"
    assert Client().post(f"/library/unsubscribe/{tampered}/").status_code == 400
    # A token made for another purpose (the confirmation link) is no unsubscribe token.
    confirm = follow.follower_token(follower=other, purpose=follow.CONFIRM_PURPOSE)
    assert Client().post(f"/library/unsubscribe/{confirm}/").status_code == 400
    # A validly signed token naming the other id but my address is refused too.
    forged = token_make(
        purpose=follow.UNSUBSCRIBE_PURPOSE,
        payload={"f": other.pk, "h": follow._address_hash(mine.email)},
        ttl_seconds=60,
    )
    assert Client().post(f"/library/unsubscribe/{forged}/").status_code == 400
    assert Client().post(f"/library/unsubscribe/{token}/").status_code == 200
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.state == FollowerState.UNSUBSCRIBED
    assert other.state == FollowerState.CONFIRMED


def test_the_preferences_page_keeps_what_the_follower_wants() -> None:
    follower = confirmed(ArtistFactory(), "fan@example.org")
    url = follow.follow_urls(follower=follower)["preferences"].removeprefix("http://testserver")
    assert Client().get(url).status_code == 200
    response = Client().post(url, {"releases": "on"})
    assert response.status_code == 200
    follower.refresh_from_db()
    assert (follower.wants_news, follower.wants_releases, follower.wants_concerts) == (
        False,
        True,
        False,
    )


def _member_client(artist) -> Client:  # type: ignore[no-untyped-def]
    user = UserFactory()
    MembershipFactory(artist=artist, user=user, role=Membership.Role.OWNER)
    client = Client()
    client.force_login(user)
    return client


def test_import_with_stated_consent_follows_at_once_and_reconfirm_asks_first() -> None:
    artist = ArtistFactory()
    client = _member_client(artist)
    data = "email,language,country\nA@example.org,fr,FR\nnot-an-address,,\nb@example.org,,\n"
    response = client.post(
        f"/backstage/artists/{artist.slug}/followers/import/",
        {
            "file": SimpleUploadedFile("list.csv", data.encode()),
            "consent": "signed our list at the Paris show",
        },
    )
    assert response.status_code == 302
    a = Follower.objects.get(email="a@example.org")
    assert a.state == FollowerState.CONFIRMED and a.consent_source == ConsentSource.IMPORT
    assert a.consent_text == "signed our list at the Paris show"
    assert (a.language, a.country) == ("fr", "FR")
    assert Follower.objects.count() == 2 and mail.outbox == []

    client.post(
        f"/backstage/artists/{artist.slug}/followers/import/",
        {
            "file": SimpleUploadedFile("list.csv", b"c@example.org\n"),
            "consent": "old list",
            "reconfirm": "on",
        },
    )
    c = Follower.objects.get(email="c@example.org")
    assert c.state == FollowerState.PENDING
    assert [m.to for m in mail.outbox] == [["c@example.org"]]

    export = client.get(f"/backstage/artists/{artist.slug}/followers/export.csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert {r["email"]: r["state"] for r in rows} == {
        "a@example.org": "confirmed",
        "b@example.org": "confirmed",
        "c@example.org": "pending",
    }
    assert rows[0]["consent_text"] == "signed our list at the Paris show"


def test_the_followers_page_shows_counts_and_consent() -> None:
    artist = ArtistFactory()
    confirmed(artist, "fan@example.org", consent_text="Get news", consent_where="/x/")
    page = _member_client(artist).get(f"/backstage/artists/{artist.slug}/followers/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "fan@example.org" in text and "Get news" in text and "/x/" in text


def test_a_preferences_post_without_the_country_keeps_it_and_the_empty_choice_clears_it() -> None:
    follower = confirmed(ArtistFactory(), "fan@example.org", country="BE")
    url = follow.follow_urls(follower=follower)["preferences"].removeprefix("http://testserver")
    assert Client().post(url, {"concerts": "on"}).status_code == 200
    follower.refresh_from_db()
    assert (follower.wants_concerts, follower.country) == (True, "BE")
    assert Client().post(url, {"concerts": "on", "country": ""}).status_code == 200
    follower.refresh_from_db()
    assert (follower.wants_concerts, follower.country) == (True, "")
