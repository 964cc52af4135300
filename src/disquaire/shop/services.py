"""The mailing list (double opt-in): a fan asks, confirms by the emailed link.

The cart is in ``shop.cart``, checkout in ``shop.checkout``."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from disquaire.catalog.models import Artist
from disquaire.core.signing import TokenError, token_make, token_read
from disquaire.shop.models import Subscriber

SUBSCRIBE_PURPOSE = "shop.subscribe"


# --- mailing list (double opt-in) --------------------------------------------------------


def subscriber_request(*, artist: Artist, email: str) -> Subscriber | None:
    """Add an unconfirmed subscriber and mail them a signed confirmation link."""
    email = email.strip().lower()
    try:
        with transaction.atomic():
            subscriber, _created = Subscriber.objects.get_or_create(artist=artist, email=email)
    except IntegrityError:
        subscriber = Subscriber.objects.get(artist=artist, email=email)
    if subscriber.confirmed_at is not None:
        return subscriber
    token = token_make(
        purpose=SUBSCRIBE_PURPOSE, payload={"s": subscriber.pk}, ttl_seconds=14 * 86400
    )
    link = settings.SITE_URL + reverse("shop:subscribe_confirm", kwargs={"token": token})
    send_mail(
        _("Confirm your subscription to %(artist)s") % {"artist": artist.name},
        _(
            "Someone (we hope you) asked to get news from %(artist)s by email.\n"
            "To confirm, open this link:\n%(link)s\n\n"
            "If it was not you, ignore this message: nothing will be sent."
        )
        % {"artist": artist.name, "link": link},
        settings.DEFAULT_FROM_EMAIL,
        [email],
        fail_silently=True,
    )
    return subscriber


def subscriber_confirm(*, token: str) -> Subscriber | None:
    """Confirm the subscription behind a link; None for a bad or outdated link."""
    try:
        payload = token_read(purpose=SUBSCRIBE_PURPOSE, token=token)
    except TokenError:
        return None
    subscriber_id = payload.get("s")
    if not isinstance(subscriber_id, int):
        return None
    subscriber = Subscriber.objects.filter(pk=subscriber_id).select_related("artist").first()
    if subscriber is not None and subscriber.confirmed_at is None:
        subscriber.confirmed_at = timezone.now()
        subscriber.save(update_fields=["confirmed_at"])
    return subscriber
