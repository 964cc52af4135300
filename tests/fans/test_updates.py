"""Updates by email: who gets them (segments), sending through a real SMTP server with
the unsubscribe headers, retries when the server refuses, never twice to one person even
after a crash, and the provider's bounce and complaint webhooks."""

from __future__ import annotations

import base64
import json
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.core.mail import get_connection
from django.test import Client
from django.utils import timezone

from disquaire.catalog.models import Artist, Release
from disquaire.fans import updates, updates_sending
from disquaire.fans.models import (
    ConsentSource,
    Delivery,
    DeliveryState,
    Follower,
    FollowerState,
    MailEvent,
    Update,
    UpdateState,
)
from disquaire.fans.updates_models import Segment, Topic
from disquaire.orders.models import Order, OrderLine, OrderState
from tests.factories import ArtistFactory, ReleaseFactory
from tests.fans.smtp import Inbox
from tests.shop.factories import OfferFactory

pytestmark = pytest.mark.django_db


def follower(artist: Artist, email: str, **fields: Any) -> Follower:
    now = timezone.now()
    values: dict[str, Any] = {
        "state": FollowerState.CONFIRMED,
        "consent_source": ConsentSource.PAGE,
        "consent_at": now,
        "confirmed_at": now,
        **fields,
    }
    return Follower.objects.create(artist=artist, email=email, **values)


def bought(release: Release, email: str, total: int, country: str = "") -> Order:
    order = Order.objects.create(
        artist=release.artist,
        currency="EUR",
        email=email,
        state=OrderState.PAID,
        total_minor=total,
        ship_country=country,
    )
    OrderLine.objects.create(
        order=order,
        offer=OfferFactory(release=release),
        release=release,
        title=release.title,
        unit_price_minor=total,
        total_minor=total,
    )
    return order


def emails(qs: Any) -> set[str]:
    return set(qs.values_list("email", flat=True))


def test_segments_select_the_right_followers() -> None:
    release = ReleaseFactory()
    other_release = ReleaseFactory(artist=release.artist)
    artist = release.artist
    follower(artist, "buyer@example.org", country="FR")
    follower(artist, "big@example.org")
    follower(artist, "never@example.org", country="BE")
    follower(artist, "other@example.org")
    follower(artist, "quiet@example.org", wants_news=False)
    follower(artist, "pending@example.org", state=FollowerState.PENDING, confirmed_at=None)
    follower(artist, "gone@example.org", state=FollowerState.UNSUBSCRIBED)
    follower(ArtistFactory(), "elsewhere@example.org")
    bought(release, "buyer@example.org", 800)
    bought(release, "BIG@example.org", 3000, country="BE")
    bought(other_release, "other@example.org", 500)
    test_order = bought(release, "never@example.org", 9000)
    Order.objects.filter(pk=test_order.pk).update(is_test=True)  # the band's own trial

    def seg(segment: str, **kwargs: Any) -> set[str]:
        return emails(updates.segment_followers(artist=artist, segment=segment, **kwargs))

    assert seg(Segment.ALL) == {
        "buyer@example.org",
        "big@example.org",
        "never@example.org",
        "other@example.org",
    }
    assert "quiet@example.org" in seg(Segment.ALL, topic=Topic.RELEASES)
    assert seg(Segment.BUYERS, release=release) == {"buyer@example.org", "big@example.org"}
    assert seg(Segment.SUPPORTERS, min_minor=1000) == {"big@example.org"}
    assert seg(Segment.COUNTRY, country="BE") == {"never@example.org", "big@example.org"}
    assert seg(Segment.NEVER_BOUGHT) == {"never@example.org"}


def _update(artist: Artist, **fields: Any) -> Update:
    return updates.update_save(
        artist=artist, subject="New songs", body="We recorded **four** songs.", **fields
    )


def test_an_update_goes_through_real_smtp_with_one_click_unsubscribe_headers(
    smtp: Inbox, immediate_tasks: None, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DISQUAIRE_UPDATES_RATE = 0
    artist = ArtistFactory(name="Les Rats", theme_accent="#123456")
    follower(artist, "en@example.org", language="en")
    follower(artist, "fr@example.org", language="fr")
    follower(artist, "pending@example.org", state=FollowerState.PENDING, confirmed_at=None)
    update = _update(artist)
    with django_capture_on_commit_callbacks(execute=True):
        assert updates.update_start(update=update) == 2
    update.refresh_from_db()
    assert update.state == UpdateState.SENT
    assert updates.update_counts(update=update)["sent"] == 2
    by_to = {str(m["To"]): m for m in smtp.messages}
    # An address that never confirmed is never written to.
    assert set(by_to) == {"en@example.org", "fr@example.org"}
    message = by_to["fr@example.org"]
    assert message["Subject"] == "New songs"
    assert "Les Rats" in message["From"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = message["List-Unsubscribe"].strip().strip("<>")
    assert unsubscribe.startswith("http://testserver/library/unsubscribe/")
    parts = {part.get_content_type(): part for part in message.walk()}
    text = parts["text/plain"].get_payload(decode=True).decode()
    html = parts["text/html"].get_payload(decode=True).decode()
    assert "We recorded **four** songs." in text and unsubscribe in text
    assert "<strong>four</strong>" in html and unsubscribe in html
    assert "Se désabonner" in html  # the follower's language
    assert "#123456" in html  # the band's colours
    assert "<img" not in html  # no tracking pixel, no image at all
    # The link in the mail unsubscribes that follower, in one click.
    path = unsubscribe.removeprefix("http://testserver")
    assert Client(enforce_csrf_checks=True).post(path).status_code == 200
    assert Follower.objects.get(email="fr@example.org").state == FollowerState.UNSUBSCRIBED


def test_a_refusing_server_leaves_the_recipient_queued_and_a_retry_sends_it(
    smtp: Inbox, settings: Any
) -> None:
    settings.DISQUAIRE_UPDATES_RATE = 0
    artist = ArtistFactory()
    follower(artist, "a@example.org")
    follower(artist, "b@example.org")
    update = _update(artist)
    updates.update_start(update=update)
    smtp.refuse = 1  # "451 try again later" for the first mail
    assert updates_sending.update_send(update_id=update.pk) == 0
    first = Delivery.objects.get(attempts=1)
    assert first.state == DeliveryState.QUEUED
    assert first.next_attempt_at is not None and "451" in first.error
    # The one behind it, not handed over yet, is queued too, its try not counted.
    behind = Delivery.objects.get(state=DeliveryState.QUEUED, attempts=0)
    # ... and waits as long as the first: the server is not asked again at once.
    assert behind.next_attempt_at == first.next_attempt_at
    assert updates_sending.update_send(update_id=update.pk) == 0 and smtp.messages == []
    Delivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert updates_sending.update_send(update_id=update.pk) == 2
    assert sorted(smtp.to()) == ["a@example.org", "b@example.org"]
    update.refresh_from_db()
    assert update.state == UpdateState.SENT


def test_a_server_that_is_down_loses_no_one(settings: Any) -> None:
    from tests.fans.smtp import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    settings.EMAIL_USE_TLS = False
    artist = ArtistFactory()
    follower(artist, "a@example.org")
    update = _update(artist)
    updates.update_start(update=update)
    assert updates_sending.update_send(update_id=update.pk) == 0
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.QUEUED and delivery.attempts == 1


class Crash(BaseException):
    """The process dying mid-send (not an error the sender could catch)."""


def test_a_crash_mid_send_never_sends_twice_to_the_same_person(
    smtp: Inbox, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DISQUAIRE_UPDATES_RATE = 0
    settings.DISQUAIRE_UPDATES_BATCH = 4
    artist = ArtistFactory()
    for n in range(10):
        follower(artist, f"fan{n}@example.org")
    update = _update(artist)
    updates.update_start(update=update)

    from django.core.mail.backends.smtp import EmailBackend

    real_send = EmailBackend.send_messages
    handed: list[int] = []

    def dying_send(self: EmailBackend, messages: Any) -> int:
        count = real_send(self, messages)
        handed.append(count)
        if len(handed) == 6:  # the server took the 6th mail, then the process died
            raise Crash
        return count

    monkeypatch.setattr(EmailBackend, "send_messages", dying_send)
    with pytest.raises(Crash):
        updates_sending.update_send(update_id=update.pk)
    monkeypatch.setattr(EmailBackend, "send_messages", real_send)
    # The second batch (mails 5 to 8) is claimed, two of its mails went out, none marked.
    assert Delivery.objects.filter(state=DeliveryState.SENT).count() == 4
    assert Delivery.objects.filter(state=DeliveryState.SENDING).count() == 4
    # Another sender coming by meanwhile leaves the claimed rows alone.
    updates_sending.update_send(update_id=update.pk)
    assert Delivery.objects.filter(state=DeliveryState.SENDING).count() == 4
    # After the claim timeout they are given up, not sent again: at most once.
    settings.DISQUAIRE_UPDATES_CLAIM_TIMEOUT = 0
    assert updates_sending.deliveries_recover() == 4
    updates_sending.update_send(update_id=update.pk)
    received = Counter(smtp.to())
    assert max(received.values()) == 1
    assert len(received) == 8  # 4 + 2 of the claimed batch + the last 2
    counts = updates.update_counts(update=update)
    assert (counts["sent"], counts["failed"]) == (6, 4)
    update.refresh_from_db()
    assert update.state == UpdateState.SENT


def test_a_scheduled_update_starts_when_its_time_comes(
    smtp: Inbox, immediate_tasks: None, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DISQUAIRE_UPDATES_RATE = 0
    artist = ArtistFactory()
    follower(artist, "a@example.org")
    update = _update(artist)
    updates.update_schedule(update=update, send_at=timezone.now() + timedelta(hours=1))
    updates_sending.updates_due()
    assert smtp.messages == []
    Update.objects.filter(pk=update.pk).update(send_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        updates_sending.updates_due()
    assert smtp.to() == ["a@example.org"]


def test_a_release_announces_itself_once_on_its_release_day(
    smtp: Inbox, immediate_tasks: None, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DISQUAIRE_UPDATES_RATE = 0
    release = ReleaseFactory(title="Sous la pluie", release_date=timezone.localdate())
    silent = ReleaseFactory(artist=release.artist, release_date=timezone.localdate())
    updates.release_announce_set(release=silent, enabled=False)
    follower(release.artist, "a@example.org", language="fr")
    with django_capture_on_commit_callbacks(execute=True):
        updates_sending.updates_due()
    with django_capture_on_commit_callbacks(execute=True):
        updates_sending.updates_due()
    (message,) = smtp.messages
    assert message["Subject"] == "Sous la pluie"
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    assert "Sous la pluie" in text.get_payload(decode=True).decode()


def _postmark(payload: dict[str, Any], auth: str | None = "hook:secret") -> Any:
    headers = {}
    if auth:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(auth.encode()).decode()
    return Client().post(
        "/library/mail-events/postmark/",
        json.dumps(payload),
        content_type="application/json",
        **headers,
    )


def _bounce(event_id: int, email: str, kind: str = "HardBounce") -> dict[str, Any]:
    return {
        "RecordType": "Bounce",
        "ID": event_id,
        "Type": kind,
        "Email": email,
        "MessageID": "abc",
        "BouncedAt": "2026-12-04T10:00:00Z",
        "Description": "no such user",
        "Details": "smtp;550 5.1.1 unknown",
    }


@pytest.fixture
def webhooks(settings: Any) -> None:
    settings.DISQUAIRE_EMAIL_WEBHOOKS = ["postmark"]
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:secret"}


def test_a_hard_bounce_blocks_the_address_once_however_often_it_is_delivered(
    webhooks: None,
) -> None:
    artist = ArtistFactory()
    follower(artist, "gone@example.org")
    assert _postmark(_bounce(1, "gone@example.org")).status_code == 200
    assert _postmark(_bounce(1, "gone@example.org")).status_code == 200
    assert MailEvent.objects.count() == 1
    gone = Follower.objects.get()
    assert gone.state == FollowerState.BLOCKED and gone.blocked_reason == "hard bounce"


def test_a_complaint_blocks_and_soft_bounces_block_on_the_third(webhooks: None) -> None:
    artist = ArtistFactory()
    follower(artist, "angry@example.org")
    follower(artist, "full@example.org")
    complaint = {
        "RecordType": "SpamComplaint",
        "ID": 10,
        "Type": "SpamComplaint",
        "Email": "angry@example.org",
        "BouncedAt": "2026-12-04T10:00:00Z",
    }
    assert _postmark(complaint).status_code == 200
    assert Follower.objects.get(email="angry@example.org").state == FollowerState.BLOCKED
    for n in (20, 21):
        _postmark(_bounce(n, "full@example.org", kind="SoftBounce"))
    assert Follower.objects.get(email="full@example.org").state == FollowerState.CONFIRMED
    _postmark(_bounce(22, "full@example.org", kind="SoftBounce"))
    assert Follower.objects.get(email="full@example.org").state == FollowerState.BLOCKED


def test_a_forged_webhook_is_refused_and_changes_nothing(webhooks: None, settings: Any) -> None:
    follower(ArtistFactory(), "fan@example.org")
    assert _postmark(_bounce(1, "fan@example.org"), auth=None).status_code == 400
    assert _postmark(_bounce(1, "fan@example.org"), auth="hook:guess").status_code == 400
    settings.DISQUAIRE_EMAIL_WEBHOOKS = []  # a provider not turned on: no such address
    assert _postmark(_bounce(1, "fan@example.org")).status_code == 404
    assert MailEvent.objects.count() == 0
    assert Follower.objects.get().state == FollowerState.CONFIRMED


def test_a_mail_prepared_once_per_language_equals_the_one_built_for_the_recipient() -> None:
    from email import message_from_bytes, policy

    from disquaire.fans.updates_mail import (
        PreparedUpdate,
        sender_address,
        update_message,
        update_render,
    )

    update = _update(ArtistFactory(name="Les Rats"))
    rendered = update_render(update=update, language="fr")
    prepared = PreparedUpdate(rendered=rendered, from_email=sender_address(update=update))
    assert prepared.usable
    links = {
        "to": "fan@example.org",
        "unsubscribe_url": "http://testserver/library/unsubscribe/abc:def/",
        "preferences_url": "http://testserver/library/preferences/abc:def/",
        "message_id": "<d1.u1@testserver>",
    }
    slow = update_message(rendered=rendered, from_email=prepared.from_email, **links).message()
    slow = message_from_bytes(slow.as_bytes(linesep="\r\n"), policy=policy.default)

    def parts(message: Any) -> dict[str, str]:
        return {
            p.get_content_type(): p.get_content() for p in message.walk() if not p.is_multipart()
        }

    # Any backend, and Django's SMTP backend (which gets the lighter object).
    smtp = get_connection("django.core.mail.backends.smtp.EmailBackend")
    for connection in (None, smtp):
        made = prepared.message(**links, connection=connection)
        assert made.recipients() == ["fan@example.org"]
        fast = message_from_bytes(made.message().as_bytes(), policy=policy.default)
        for header in ("To", "From", "Subject", "Message-ID", "List-Unsubscribe-Post"):
            assert str(fast[header]).strip() == str(slow[header]).strip(), header
        assert fast["List-Unsubscribe"].strip() == slow["List-Unsubscribe"].strip()
        assert parts(fast) == parts(slow)


def _concert(artist: Artist, country: str = "FR") -> Any:
    from disquaire.catalog.models import Concert

    return Concert.objects.create(
        artist=artist,
        starts_at=timezone.now() + timedelta(days=20),
        venue="Le Trabendo",
        city="Paris",
        country=country,
    )


def test_an_update_about_a_concert_goes_to_followers_nearby_who_want_concerts() -> None:
    release = ReleaseFactory()
    artist = release.artist
    follower(artist, "paris@example.org", country="FR")
    follower(artist, "lyon-no-concerts@example.org", country="FR", wants_concerts=False)
    follower(artist, "brussels@example.org", country="BE")
    follower(artist, "unknown@example.org")
    follower(artist, "shipped@example.org")
    bought(release, "shipped@example.org", 800, country="FR")  # a parcel went to France
    update = _update(artist, concert=_concert(artist, "FR"), topic=Topic.NEWS)
    assert update.topic == Topic.CONCERTS  # a concert's update is about concerts
    assert emails(updates.update_recipients(update=update)) == {
        "paris@example.org",
        "shipped@example.org",
    }
    # Within a segment too: buyers of the release near the concert.
    update = _update(
        artist, concert=_concert(artist, "FR"), segment=Segment.BUYERS, segment_release=release
    )
    assert emails(updates.update_recipients(update=update)) == {"shipped@example.org"}


def test_an_update_about_concerts_without_a_concert_honours_the_topic_only() -> None:
    artist = ArtistFactory()
    follower(artist, "yes@example.org", country="BE")
    follower(artist, "no@example.org", wants_concerts=False)
    update = _update(artist, topic=Topic.CONCERTS)
    assert emails(updates.update_recipients(update=update)) == {"yes@example.org"}


def test_another_bands_concert_is_refused_and_nothing_saved() -> None:
    artist = ArtistFactory()
    with pytest.raises(updates.UpdateError):
        _update(artist, concert=_concert(ArtistFactory()))
    assert not Update.objects.exists()


def test_the_follower_says_where_they_live_on_the_preferences_page() -> None:
    from django.test import Client

    from disquaire.fans import follow

    artist = ArtistFactory()
    fan = follower(artist, "fan@example.org")
    url = follow.follow_urls(follower=fan)["preferences"].removeprefix("http://testserver")
    page = Client().get(url).content.decode()
    assert 'aria-describedby="country-help"' in page
    Client().post(url, {"concerts": "on", "country": "be"})
    fan.refresh_from_db()
    assert (fan.wants_concerts, fan.country) == (True, "")  # "be" is no choice: refused
    Client().post(url, {"concerts": "on", "country": "BE"})
    fan.refresh_from_db()
    assert (fan.wants_concerts, fan.country) == (True, "BE")
    concert_update = _update(artist, concert=_concert(artist, "BE"))
    assert emails(updates.update_recipients(update=concert_update)) == {"fan@example.org"}
    with pytest.raises(ValueError, match="unknown country"):
        follow.follower_preferences_set(
            follower=fan, news=True, releases=True, concerts=True, country="XX"
        )
    fan.refresh_from_db()
    assert fan.country == "BE"
