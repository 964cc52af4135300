"""What a signed-in band member may see: only the artists they belong to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Exists, Model, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from disquaire.backstage.models import Upload
from disquaire.catalog.models import (
    Artist,
    Concert,
    Membership,
    NewsPost,
    ProcessingStatus,
    Release,
    Rendition,
    Track,
)
from disquaire.core.replica import reporting_db
from disquaire.delivery.models import CodeBatch
from disquaire.orders.models import Order, OrderLine, OrderState, Payment
from disquaire.orders.selectors import offer_sold, units_left
from disquaire.selling.models import Offer, OfferOption, ShippingZone

User = AbstractBaseUser | AnonymousUser
M = TypeVar("M", bound=Model)


def _uid(user: User) -> int:
    """The user's id; an anonymous visitor (no id) matches no membership."""
    return int(user.pk or 0)


def artists_for_user(*, user: User) -> QuerySet[Artist]:
    return Artist.objects.filter(memberships__user_id=_uid(user)).order_by("name")


def artist_for_member(*, user: User, slug: str) -> Artist:
    """The artist ``slug`` if ``user`` is one of its members; 404 otherwise."""
    return get_object_or_404(artists_for_user(user=user), slug=slug)


def membership_of(*, user: User, artist: Artist) -> Membership:
    return Membership.objects.get(artist=artist, user_id=_uid(user))


def _of_member(
    rows: QuerySet[M], *, user: User, slug: str | None, via: str = "artist", **keys: Any
) -> M:
    """The row of ``rows`` matching ``keys`` whose artist (reached through ``via``) is
    ``slug`` (any, when None) and has ``user`` among its members; 404 otherwise."""
    mine = rows.filter(**{f"{via}__memberships__user_id": _uid(user)})
    if slug is not None:
        keys[f"{via}__slug"] = slug
    return get_object_or_404(mine, **keys)


def release_for_member(*, user: User, slug: str, release_id: int) -> Release:
    return _of_member(Release.objects.select_related("artist"), user=user, slug=slug, pk=release_id)


def track_for_member(*, user: User, slug: str, release_id: int, track_id: int) -> Track:
    return _of_member(
        Track.objects.select_related("release__artist"),
        user=user,
        slug=slug,
        via="release__artist",
        release_id=release_id,
        pk=track_id,
    )


def concert_for_member(*, user: User, slug: str, concert_id: int) -> Concert:
    return _of_member(Concert.objects.all(), user=user, slug=slug, pk=concert_id)


def news_for_member(*, user: User, slug: str, post_id: int) -> NewsPost:
    return _of_member(NewsPost.objects.all(), user=user, slug=slug, pk=post_id)


def upload_for_member(*, user: User, upload_id: Any) -> Upload:
    return _of_member(
        Upload.objects.select_related("release__artist"),
        user=user,
        slug=None,
        via="release__artist",
        pk=upload_id,
    )


def release_tracks(*, release: Release) -> list[Track]:
    return list(
        Track.objects.filter(release=release)
        .order_by("position")
        .prefetch_related(Prefetch("renditions", queryset=Rendition.objects.order_by("format")))
    )


def release_status_data(*, release: Release) -> dict[str, Any]:
    """The processing state of every track and format, for the live tracklist."""
    tracks = release_tracks(release=release)
    busy = (ProcessingStatus.PENDING, ProcessingStatus.PROCESSING)
    return {
        "done": not any(t.status in busy for t in tracks),
        "tracks": [
            {
                "id": track.pk,
                "position": track.position,
                "title": track.title,
                "status": track.status,
                "status_label": str(track.get_status_display()),
                "error": track.error,
                "formats": [
                    {
                        "format": r.format,
                        "label": str(r.get_format_display()),
                        "status": r.status,
                        "status_label": str(ProcessingStatus(r.status).label),
                        "progress": round(r.progress, 2),
                    }
                    for r in track.renditions.all()
                ],
            }
            for track in tracks
        ],
        "summary": _("%(ready)s of %(total)s tracks ready")
        % {
            "ready": sum(1 for t in tracks if t.status == ProcessingStatus.READY),
            "total": len(tracks),
        },
    }


def offer_for_member(*, user: User, slug: str, offer_id: int) -> Offer:
    return _of_member(
        Offer.objects.select_related("artist", "release"), user=user, slug=slug, pk=offer_id
    )


def shipping_zone_for_member(*, user: User, slug: str, zone_id: int) -> ShippingZone:
    return _of_member(
        ShippingZone.objects.select_related("artist"), user=user, slug=slug, pk=zone_id
    )


@dataclass
class Ladder:
    """One offer ladder: a release's offers, or the artist's merch (release None)."""

    release: Release | None
    offers: list[Offer]


def offer_ladders(*, artist: Artist) -> list[Ladder]:
    """Every offer of the artist (on sale or not) grouped by release, merch last, each with
    ``sold`` and ``left`` (None: unlimited) set, options too."""
    offers = list(
        Offer.objects.filter(artist=artist)
        .select_related("release", "track")
        .prefetch_related(Prefetch("options", queryset=OfferOption.objects.order_by("position")))
        .order_by("position", "pk")
    )
    for offer in offers:
        offer.sold = offer_sold(offer=offer)  # type: ignore[attr-defined]
        left = units_left(offer=offer)
        options = list(offer.options.all())
        for option in options:
            option.left = units_left(offer=offer, option=option)  # type: ignore[attr-defined]
        if options and all(o.left is not None for o in options):  # type: ignore[attr-defined]
            # Each option has its own stock: what is left is their sum (within the
            # offer's own limit, if it has one).
            in_options = sum(o.left for o in options)  # type: ignore[attr-defined]
            left = in_options if left is None else min(left, in_options)
        offer.left = left  # type: ignore[attr-defined]
    ladders = [
        Ladder(release=release, offers=[o for o in offers if o.release_id == release.pk])
        for release in artist.releases.order_by("-created_at")
    ]
    ladders.append(Ladder(release=None, offers=[o for o in offers if o.release_id is None]))
    return ladders


def orders_for_artist(
    *,
    artist: Artist,
    query: str = "",
    state: str = "",
    ships: bool | None = None,
    attention: bool = False,
    test: bool | None = None,
) -> QuerySet[Order]:
    """The artist's orders, newest first, searched by code, email or name and filtered;
    ``test``: True for test orders only, False for real ones only, None for both.

    A search and a report: read from the read replica when one may be used
    (core.replica); acting on an order reads it again from the primary.
    """
    orders = (
        Order.objects.using(reporting_db()).filter(artist=artist).order_by("-created_at", "-pk")
    )
    if test is not None:
        orders = orders.filter(is_test=test)
    query = query.strip()
    if query:
        orders = orders.filter(
            Q(code__iexact=query) | Q(email__icontains=query) | Q(ship_name__icontains=query)
        )
    if state:
        orders = orders.filter(state=state)
    if ships is not None:
        shipping = OrderLine.objects.filter(order=OuterRef("pk"), ships=True)
        orders = orders.filter(Exists(shipping) if ships else ~Exists(shipping))
    if attention:
        orders = orders.filter(needs_attention=True)
    return orders


def order_for_member(*, user: User, slug: str, code: str) -> Order:
    return _of_member(Order.objects.select_related("artist"), user=user, slug=slug, code=code)


def payment_for_member(*, user: User, slug: str, code: str, payment_id: Any) -> Payment:
    order = order_for_member(user=user, slug=slug, code=code)
    return get_object_or_404(Payment.objects.select_related("order"), order=order, pk=payment_id)


def orders_to_pack(*, artist: Artist) -> list[Order]:
    """Paid orders with something to ship, not yet sent, oldest first, lines prefetched."""
    return list(
        Order.objects.filter(
            artist=artist,
            state=OrderState.PAID,
            lines__ships=True,
            is_test=False,  # nobody posts a parcel for a test order
        )
        .distinct()
        .order_by("paid_at", "pk")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("pk")))
    )


def code_batches_for_artist(*, artist: Artist) -> QuerySet[CodeBatch]:
    """The artist's code batches, newest first, with how many codes were redeemed."""
    return (
        CodeBatch.objects.filter(artist=artist)
        .select_related("release")
        .annotate(
            code_count=Count("codes"),
            redeemed_count=Count("codes", filter=Q(codes__uses__gt=0)),
            redemptions=Coalesce(Sum("codes__uses"), 0),
        )
        .order_by("-created_at", "-pk")
    )


def code_batch_for_member(*, user: User, slug: str, batch_id: int) -> CodeBatch:
    return _of_member(
        CodeBatch.objects.select_related("artist", "release"), user=user, slug=slug, pk=batch_id
    )
