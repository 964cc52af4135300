"""A member of one artist never reaches another artist's backstage: 404 on every page.

Every backstage URL name must appear in SCOPED (with how to build its arguments for
``band``'s objects) or in UNSCOPED (with the reason it names no artist's object): a new
view added without its line here makes ``test_every_backstage_url_is_in_the_matrix`` fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from disquaire.audio import synth_cover
from disquaire.backstage.models import Upload
from disquaire.catalog.models import Concert, Membership, NewsPost
from disquaire.core.storage import storage_save_bytes
from disquaire.delivery.codes import code_batch_create
from disquaire.fans.models import Update
from disquaire.selling.models import Offer, ShippingZone
from disquaire.stock.models import Item, Place
from tests.backstage.conftest import Band
from tests.factories import TrackFactory
from tests.shop.factories import OfferFactory
from tests.shop.helpers import order_for

Objects = dict[str, Any]


def _objects(band: Band) -> Objects:
    from django.utils import timezone

    track = TrackFactory(release=band.release, position=1)
    band.release.cover = storage_save_bytes(
        name="covers/c.jpg", data=synth_cover(title="C", size=64)
    )
    band.release.save(update_fields=["cover"])
    return {
        "artist": band.artist.slug,
        "release_id": band.release.pk,
        "membership_id": Membership.objects.get(artist=band.artist, user=band.user).pk,
        "track_id": track.pk,
        "concert_id": Concert.objects.create(
            artist=band.artist, starts_at=timezone.now(), venue="V", city="C", country="FR"
        ).pk,
        "post_id": NewsPost.objects.create(artist=band.artist, title="N", slug="n").pk,
        "offer_id": Offer.objects.create(artist=band.artist, release=band.release, title="O").pk,
        "zone_id": ShippingZone.objects.create(artist=band.artist, name="Z", countries=["FR"]).pk,
        "item_id": Item.objects.create(artist=band.artist, name="CD").pk,
        "place_id": Place.objects.create(artist=band.artist, name="Van", kind="bag").pk,
        "code": order_for(OfferFactory(release=band.release)).code,
        "chart": "sales",
        "batch_id": code_batch_create(release=band.release, size=2).pk,
        "referral_id": _referral(band),
        "update_id": Update.objects.create(artist=band.artist, subject="S", body="B").pk,
        "upload_id": Upload.objects.create(
            release=band.release, user=band.user, kind="audio", filename="a.flac", size=10
        ).pk,
        **_shop_objects(band),
    }


def _referral(band: Band) -> int:
    """A referred order of the band's (the void form names it)."""
    from disquaire.fans.referrals import services
    from tests.fans.referral_helpers import referred_sale

    offer = OfferFactory(release=band.release)
    link = services.share_link_for(email="promoter@example.org", release=band.release)
    order = referred_sale(offer, link=link)
    return order.referral.pk


def _shop_objects(band: Band) -> Objects:
    """A record shop holding the band's CD, with a statement."""
    from disquaire.consignment.services import (
        Line,
        consignment_place,
        sales_report,
        shop_create,
        statement_create,
    )
    from disquaire.stock.services import movement_record, place_default

    item = Item.objects.create(artist=band.artist, name="CD", release=band.release)
    movement_record(
        item=item, quantity=5, reason="received", to_place=place_default(artist=band.artist)
    )
    shop = shop_create(artist=band.artist, name="Disques")
    consignment_place(shop=shop, item=item, quantity=3, price_minor=1000)
    sales_report(shop=shop, lines=[Line(item, 1)])
    return {"shop_id": shop.pk, "statement_id": statement_create(shop=shop).pk}


def _pick(*names: str) -> Callable[[Objects], dict[str, Any]]:
    return lambda objects: {name: objects[name] for name in names}


A = _pick("artist")
R = _pick("artist", "release_id")
T = _pick("artist", "release_id", "track_id")

SCOPED: dict[str, Callable[[Objects], dict[str, Any]]] = {
    "artist_edit": A,
    "desk": A,
    "member_emails": A,
    "theme_preview": A,
    "members": A,
    "activity": A,
    "member_role": _pick("artist", "membership_id"),
    "member_remove": _pick("artist", "membership_id"),
    "concerts": A,
    "concert_create": A,
    "concert_edit": _pick("artist", "concert_id"),
    "concert_delete": _pick("artist", "concert_id"),
    "news": A,
    "news_create": A,
    "news_edit": _pick("artist", "post_id"),
    "news_delete": _pick("artist", "post_id"),
    "markdown_preview": A,
    "releases": A,
    "release_create": A,
    "release": R,
    "release_publish": R,
    "release_delete": R,
    "release_cover": R,
    "preview_revoke": R,
    "release_status": R,
    "upload_create": R,
    "tracks_reorder": R,
    "track_edit": T,
    "track_move": T,
    "track_retry": T,
    "track_delete": T,
    "offers": A,
    "offer_create": A,
    "offer_edit": _pick("artist", "offer_id"),
    "offer_move": _pick("artist", "offer_id"),
    "offer_delete": _pick("artist", "offer_id"),
    "shipping": A,
    "shipping_zone_create": A,
    "shipping_zone_edit": _pick("artist", "zone_id"),
    "shipping_zone_delete": _pick("artist", "zone_id"),
    "shop_settings": A,
    "payments": A,
    "stock": A,
    "stock_ledger": A,
    "stock_ledger_csv": A,
    "stock_receive": A,
    "stock_move": A,
    "stock_count": A,
    "stock_damaged": A,
    "stock_item_create": A,
    "stock_item_edit": _pick("artist", "item_id"),
    "stock_item_delete": _pick("artist", "item_id"),
    "stock_place_create": A,
    "stock_place_edit": _pick("artist", "place_id"),
    "code_batches": A,
    "code_batch_csv": _pick("artist", "batch_id"),
    "code_batch_pdf": _pick("artist", "batch_id"),
    "stats": A,
    "stats_csv": _pick("artist", "chart"),
    "orders": A,
    "orders_export": A,
    "packing_list": A,
    "order": _pick("artist", "code"),
    "order_mark_paid": _pick("artist", "code"),
    "order_ship": _pick("artist", "code"),
    "order_refund": _pick("artist", "code"),
    "referrals": A,
    "promoter_thank": A,
    "referral_void": _pick("artist", "referral_id"),
    "followers": A,
    "followers_import": A,
    "followers_export": A,
    "updates": A,
    "update_create": A,
    "update": _pick("artist", "update_id"),
    "update_preview": _pick("artist", "update_id"),
    "update_test": _pick("artist", "update_id"),
    "update_send": _pick("artist", "update_id"),
    "release_announce": R,
    "consignment_shops": A,
    "consignment_shop_create": A,
    "consignment_shop": _pick("artist", "shop_id"),
    "consignment_shop_edit": _pick("artist", "shop_id"),
    "consignment_place": _pick("artist", "shop_id"),
    "consignment_report": _pick("artist", "shop_id"),
    "consignment_return": _pick("artist", "shop_id"),
    "consignment_settle": _pick("artist", "shop_id"),
    "consignment_link": _pick("artist", "shop_id"),
    "consignment_statement_paid": _pick("artist", "shop_id", "statement_id"),
    "consignment_statement_pdf": _pick("artist", "shop_id", "statement_id"),
    "consignment_statement_csv": _pick("artist", "shop_id", "statement_id"),
    "upload": _pick("upload_id"),
    "upload_finish": _pick("upload_id"),
}

UNSCOPED = {
    "home": "the desk of the user's own artist, or a list of their own artists",
    "setup": "first run only, before any user exists",
    "signup": "account creation",
    "verify": "signed link for one account",
    "login": "sign-in",
    "logout": "sign-out",
    "password_change": "the signed-in user's own password",
    "password_reset": "Django's reset by email",
    "password_reset_done": "static page",
    "password_reset_confirm": "Django's signed reset link",
    "password_reset_complete": "static page",
    "invitation": "signed link naming its artist and email",
    "artist_create": "creates a new artist owned by whoever asks",
}


def _names(patterns: list[URLPattern | URLResolver]) -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _names(pattern.url_patterns)
        elif pattern.name:
            yield pattern.name


def _backstage_names() -> set[str]:
    _, resolver = get_resolver().namespace_dict["backstage"]
    return set(_names(resolver.url_patterns))


def test_every_backstage_url_is_in_the_matrix() -> None:
    names = _backstage_names()
    missing = names - SCOPED.keys() - UNSCOPED.keys()
    assert not missing, f"add these backstage URLs to the 404 matrix: {sorted(missing)}"
    assert not (SCOPED.keys() | UNSCOPED.keys()) - names, "the matrix names URLs that are gone"


@pytest.mark.parametrize("name", sorted(SCOPED))
@pytest.mark.django_db
def test_member_of_another_artist_gets_404(name: str, band: Band, stranger: Band) -> None:
    url = reverse(f"backstage:{name}", kwargs=SCOPED[name](_objects(band)))
    # The band itself reaches the page (so the 404 below is about who asks).
    assert band.client.get(url).status_code in (200, 302, 405)
    for method in ("get", "post", "put"):
        response = getattr(stranger.client, method)(url)
        assert response.status_code == 404, f"{method.upper()} {url}: {response.status_code}"


@pytest.mark.parametrize("name", sorted(SCOPED))
@pytest.mark.django_db
def test_signed_out_visitor_is_sent_to_sign_in(name: str, band: Band, client: Any) -> None:
    url = reverse(f"backstage:{name}", kwargs=SCOPED[name](_objects(band)))
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse("backstage:login"))
