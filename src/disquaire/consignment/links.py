"""The private link a band sends a shop: a signed token naming the shop and its current
link key. Revoking (or renewing) the link changes the key, so every older token stops
working; no account is needed on the shop's side."""

from __future__ import annotations

import secrets

from django.urls import reverse

from disquaire.consignment.models import Shop
from disquaire.core.signing import TokenError, token_make, token_read

PURPOSE = "consignment-shop"
# Long: a shop bookmarks its link; the band revokes it when it must.
TTL_SECONDS = 5 * 365 * 86400


def shop_link_token(*, shop: Shop) -> str:
    return token_make(
        purpose=PURPOSE, payload={"s": shop.pk, "k": shop.link_key}, ttl_seconds=TTL_SECONDS
    )


def shop_link_path(*, shop: Shop) -> str:
    return reverse("consignment:portal", kwargs={"token": shop_link_token(shop=shop)})


def shop_from_token(*, token: str) -> Shop | None:
    """The shop a valid, unrevoked link names, else None."""
    try:
        payload = token_read(purpose=PURPOSE, token=token)
    except TokenError:
        return None
    shop_id, key = payload.get("s"), payload.get("k")
    if not isinstance(shop_id, int) or not isinstance(key, str):
        return None
    shop = Shop.objects.select_related("artist", "place").filter(pk=shop_id).first()
    if shop is None or not shop.link_active or not secrets.compare_digest(shop.link_key, key):
        return None
    return shop
