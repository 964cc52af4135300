"""A small but complete shop for the access matrix: one band with an owner and a plain
member, another band, an operator, a fan with a purchase, and every object a URL of the
site can name (releases, tracks, offers, orders, codes, uploads, tokens...).

``world_build()`` makes it; ``World.kwargs`` gives the URL arguments of any pattern;
``role_client()`` gives a browser signed in as one of the roles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from disquaire.audio import synth_cover
from disquaire.backstage.models import Upload
from disquaire.backstage.services.accounts import VERIFY_PURPOSE, _password_seal
from disquaire.backstage.services.invitations import INVITE_PURPOSE
from disquaire.catalog.models import Artist, Concert, Membership, NewsPost, Release
from disquaire.consignment.links import shop_link_token
from disquaire.consignment.services import (
    Line,
    consignment_place,
    sales_report,
    shop_create,
    statement_create,
)
from disquaire.core.models import WorkerHeartbeat
from disquaire.core.signing import token_make
from disquaire.core.storage import storage_save_bytes
from disquaire.delivery.codes import code_batch_create
from disquaire.delivery.links import download_token_make
from disquaire.delivery.services import entitlement_grant
from disquaire.fans.follow import CONFIRM_PURPOSE, LEGACY_CONFIRM_PURPOSE, follower_token
from disquaire.fans.models import Fan, Follower, Update
from disquaire.fans.referrals.services import share_link_for
from disquaire.fans.services import (
    SESSION_FAN_EMAIL,
    SESSION_FAN_ID,
    SESSION_FAN_KEY,
    fan_session_key,
)
from disquaire.payments.providers.test import TOKEN_PURPOSE as TEST_PAY_PURPOSE
from disquaire.selling.models import ShippingZone
from disquaire.stock.models import Item, Place
from disquaire.stock.services import movement_record, place_default
from disquaire.storefront.listening.streams import STREAM_PURPOSE
from tests.delivery.conftest import ready_release
from tests.factories import MembershipFactory, UserFactory
from tests.shop.factories import OfferFactory
from tests.shop.helpers import order_for
from tests.storefront.factories import TagFactory

ROLES = ("anonymous", "fan", "other_member", "member", "owner", "operator")
"""Who asks, from the least to the most trusted; the matrix's columns, in this order."""

FAN_EMAIL = "fan@example.org"


@dataclass
class World:
    artist: Artist
    other_artist: Artist
    release: Release
    users: dict[str, Any]
    fan: Fan
    values: dict[str, Any] = field(default_factory=dict)
    by_pattern: dict[str, dict[str, Any]] = field(default_factory=dict)

    def kwargs(self, pattern: str, names: list[str]) -> dict[str, Any]:
        """The URL arguments ``names`` of ``pattern``, taken from this world (a pattern's
        own values first: each token is made for its purpose)."""
        values = {**self.values, **self.by_pattern.get(pattern, {})}
        missing = [name for name in names if name not in values]
        if missing:
            raise KeyError(
                f"the access matrix's world has no value for the URL argument(s) {missing} "
                f"of {pattern!r}: add them to tests/security/world.py (world_build)"
            )
        return {name: values[name] for name in names}


def _user(email: str, **fields: Any) -> Any:
    return UserFactory(username=email, email=email, **fields)


def _table_values(artist: Artist) -> dict[str, Any]:
    """The merch table's objects: a show, a product, an invited seller, a flagged sale
    waiting for its bank transfer."""
    from disquaire.table import services as table_services
    from tests.table.helpers import Device, table_build

    table = table_build(artist=artist)
    invited = table_services.seller_invite(artist=artist, name="Invited")
    # A bank transfer (pending payment) at a price that is not the table's (flagged).
    sale = Device().sale(table, payment="bank")
    sale["lines"][0]["unit_price"] += 1  # not the table's price: flagged
    sale["total"] = sale["lines"][0]["unit_price"]
    table_services.sale_take(seller=table.seller, raw=sale)
    # A sale waiting for the fan to pay on their phone (started with test payments).
    from django.test import RequestFactory

    from disquaire.payments.models import PaymentSettings
    from disquaire.table.phone_pay import phone_checkout

    PaymentSettings.objects.update_or_create(artist=artist, defaults={"test_mode": True})
    phone = Device().sale(table, payment="phone")
    phone_checkout(seller=table.seller, raw=phone, request=RequestFactory().get("/"))
    # Off again: the world's test payment page answers 404 (its own row says so).
    PaymentSettings.objects.filter(artist=artist).update(test_mode=False)
    return {
        "phone_sale_id": phone["id"],
        "show_id": table.show.pk,
        "stage": "in",
        "seller_code": invited.code,
        "product_id": table.cd_product.pk,
        "seller_id": invited.pk,
        "sale_id": sale["id"],
        "claim_secret": "not-the-phones-secret-0123456789",
    }


def world_build() -> World:
    """Every object a URL names, belonging to the band ``lesbijoux`` (slug)."""
    owner = _user("owner@example.org")
    member = _user("member@example.org")
    stranger = _user("stranger@example.org")
    operator = _user("operator@example.org", is_staff=True, is_superuser=True)
    unverified = _user("new@example.org", is_active=False)
    forgetful = _user("forgetful@example.org")  # asked for a password reset, never signed in

    # Published, with ready downloads of two formats and one free track.
    release = ready_release(
        tracks=2,
        formats=("mp3-128", "mp3-320", "flac"),
        artist__name="Les Bijoux",
        artist__slug="lesbijoux",
        slug="premier",
        release_date=timezone.localdate(),
    )
    artist = release.artist
    release.cover = storage_save_bytes(name="covers/c.jpg", data=synth_cover(title="C", size=64))
    release.save(update_fields=["cover"])
    artist.photo = storage_save_bytes(name="artists/p.jpg", data=synth_cover(title="P", size=64))
    artist.save(update_fields=["photo"])
    release.tags.add(TagFactory(slug="shoegaze", name="Shoegaze"))
    tracks = list(release.tracks.order_by("position"))
    tracks[1].is_free = True
    tracks[1].save(update_fields=["is_free"])

    other = ready_release(tracks=1, artist__name="Autres", artist__slug="autres").artist
    MembershipFactory(artist=artist, user=owner, role=Membership.Role.OWNER)
    MembershipFactory(artist=artist, user=member, role=Membership.Role.MEMBER)
    MembershipFactory(artist=other, user=stranger, role=Membership.Role.OWNER)

    offer = OfferFactory(release=release, title="Digital album")
    order = order_for(offer, email=FAN_EMAIL)
    payment = order.payments.create(
        provider="test", amount_minor=order.total_minor, currency=order.currency
    )
    entitlement = entitlement_grant(email=FAN_EMAIL, release=release, source="order", ref="x:1")
    fan = Fan.objects.create(email=FAN_EMAIL)
    batch = code_batch_create(release=release, size=2)
    upload = Upload.objects.create(
        release=release, user=owner, kind="audio", filename="a.flac", size=10
    )
    follower = Follower.objects.create(
        artist=artist,
        email="follower@example.org",
        state="confirmed",
        consent_source="page",
        consent_at=timezone.now(),
    )
    update = Update.objects.create(artist=artist, subject="News", body="Hello")
    # A record shop holding the band's CD, with a statement.
    item = Item.objects.create(artist=artist, name="CD", release=release)
    movement_record(
        item=item, quantity=10, reason="received", to_place=place_default(artist=artist)
    )
    shop = shop_create(artist=artist, name="Disques", public=True)
    consignment_place(shop=shop, item=item, quantity=5, price_minor=1200)
    sales_report(shop=shop, lines=[Line(item, 1)])
    statement = statement_create(shop=shop)
    # /healthz reports a running worker.
    WorkerHeartbeat.objects.create(worker_id="w1", last_seen=timezone.now())
    week = 7 * 86400
    values: dict[str, Any] = {
        "artist": artist.slug,
        "release": release.slug,
        "release_id": release.pk,
        "artist_id": artist.pk,
        "track_id": tracks[0].pk,
        "position": tracks[0].position,
        "track": tracks[0].slug,
        "membership_id": Membership.objects.get(artist=artist, user=member).pk,
        "concert_id": Concert.objects.create(
            artist=artist, starts_at=timezone.now(), venue="V", city="C", country="FR"
        ).pk,
        "post_id": NewsPost.objects.create(artist=artist, title="N", slug="n").pk,
        "offer_id": offer.pk,
        "zone_id": ShippingZone.objects.create(artist=artist, name="Z", countries=["FR"]).pk,
        "item_id": Item.objects.create(artist=artist, name="CD").pk,
        "place_id": Place.objects.create(artist=artist, name="Van", kind=Place.Kind.BAG).pk,
        "code": order.code,
        "referral_id": 999999,  # none: voiding is refused as not found
        "reward_id": 999999,
        "secret": order.secret,
        "chart": "sales",
        "update_id": update.pk,
        "esp": "postmark",
        "batch_id": batch.pk,
        "shop_id": shop.pk,
        "statement_id": statement.pk,
        "upload_id": upload.pk,
        "entitlement_id": entitlement.pk,
        "key": "flac",
        "kind": "photo",
        "width": 300,
        "object_id": artist.pk,
        "content_type_id": ContentType.objects.get_for_model(Artist).pk,
        "app_label": "catalog",
        "url": "no/such/page/",
        "path": "no-such-file.css",
        "slug": "shoegaze",
        "lang": "fr",
        "provider": "stripe",
        "payment_id": payment.pk,
        "uidb64": urlsafe_base64_encode(force_bytes(forgetful.pk)),
        "id": owner.pk,  # the admin's password form of a user
    }
    # Tokens as their mails and pages make them, each for its own purpose.
    tokens = {
        "backstage:verify": token_make(
            purpose=VERIFY_PURPOSE,
            payload={"u": unverified.pk, "n": "", "p": _password_seal(unverified)},
            ttl_seconds=week,
        ),
        "backstage:invitation": token_make(
            purpose=INVITE_PURPOSE,
            payload={"a": artist.pk, "e": "invited@example.org", "r": "member", "m": 0},
            ttl_seconds=week,
        ),
        "backstage:password_reset_confirm": default_token_generator.make_token(forgetful),
        "delivery:page": download_token_make(entitlement_ids=[entitlement.pk]),
        "fans:signin_confirm": "no-such-link",
        "fans:follow_confirm": follower_token(follower=follower, purpose=CONFIRM_PURPOSE),
        "fans:unsubscribe": follower_token(follower=follower),
        "fans:preferences": follower_token(follower=follower),
        "shop:subscribe_confirm": token_make(
            purpose=LEGACY_CONFIRM_PURPOSE, payload={"s": 0}, ttl_seconds=week
        ),
        "payments:test_pay": token_make(
            purpose=TEST_PAY_PURPOSE, payload={"p": payment.pk}, ttl_seconds=week
        ),
        "storefront:stream": token_make(
            purpose=STREAM_PURPOSE,
            payload={"t": tracks[0].pk, "f": "mp3-128", "m": "full"},
            ttl_seconds=week,
        ),
    }
    tokens["delivery:file"] = tokens["delivery:zip"] = tokens["delivery:page"]
    for name in ("portal", "portal_report", "portal_statement_pdf", "portal_statement_csv"):
        tokens[f"consignment:{name}"] = shop_link_token(shop=shop)
    by_pattern: dict[str, dict[str, Any]] = {name: {"token": t} for name, t in tokens.items()}
    by_pattern["storefront:free_download"] = {"track_id": tracks[1].pk}
    by_pattern["fans_referrals:share_visit"] = {
        "code": share_link_for(email=FAN_EMAIL, release=release).code
    }
    values.update(_table_values(artist))
    for name in ("table:phone_pay", "table:phone_status", "table:phone_cancel"):
        by_pattern[name] = {"sale_id": values["phone_sale_id"]}
    users = {
        "other_member": stranger,
        "member": member,
        "owner": owner,
        "operator": operator,
    }
    return World(
        artist=artist,
        other_artist=other,
        release=release,
        users=users,
        fan=fan,
        values=values,
        by_pattern=by_pattern,
    )


def role_client(world: World, role: str) -> Client:
    """A fresh browser signed in as ``role`` (a fan through the library's session)."""
    client = Client()
    if role == "fan":
        session = client.session
        session[SESSION_FAN_ID] = world.fan.pk
        session[SESSION_FAN_EMAIL] = world.fan.email
        session[SESSION_FAN_KEY] = fan_session_key(world.fan)
        session.save()
    elif role != "anonymous":
        client.force_login(world.users[role])
    return client
