"""The band's share of a unit a shop sells: the price less the shop's commission (one
rate, or a second rate from a price up), or a fixed amount per unit.

All amounts in minor units; the commission is rounded half up to the minor unit, here
and nowhere else.
"""

from __future__ import annotations

from disquaire.consignment.models import ShareKind, Shop

FULL = 10_000  # basis points in 100 %


def commission_bp_for(*, shop: Shop, price_minor: int) -> int:
    """The commission rate (hundredths of a percent) at ``price_minor``: the second tier
    when the shop has one and the price reaches it."""
    if (
        shop.tier_from_minor is not None
        and shop.tier_commission_bp is not None
        and price_minor >= shop.tier_from_minor
    ):
        return shop.tier_commission_bp
    return shop.commission_bp


def share_per_unit(*, shop: Shop, price_minor: int) -> int:
    """What the band gets for one unit sold at ``price_minor`` (never more than the price,
    never below zero)."""
    if shop.share_kind == ShareKind.FIXED:
        return max(0, min(shop.fixed_minor, price_minor))
    rate = commission_bp_for(shop=shop, price_minor=price_minor)
    commission = (price_minor * rate + FULL // 2) // FULL
    return max(0, price_minor - commission)


def percent_text(bp: int) -> str:
    """``2500`` → ``"25"``, ``1250`` → ``"12.5"`` (for forms and statements)."""
    whole, rest = divmod(bp, 100)
    return f"{whole}" if not rest else f"{whole}.{rest:02d}".rstrip("0")


def terms_text(*, shop: Shop) -> str:
    """The shop's terms in a sentence, for the band's page and the statement."""
    from django.utils.translation import gettext as _

    from disquaire.core.money import Money

    currency = shop.artist.currency
    if shop.share_kind == ShareKind.FIXED:
        return _("%(amount)s per unit sold to the band.") % {
            "amount": Money(shop.fixed_minor, currency).format()
        }
    text = _("The shop keeps %(rate)s %% of its price.") % {
        "rate": percent_text(shop.commission_bp)
    }
    if shop.tier_from_minor is not None and shop.tier_commission_bp is not None:
        text += " " + _("From %(price)s up: %(rate)s %%.") % {
            "price": Money(shop.tier_from_minor, currency).format(),
            "rate": percent_text(shop.tier_commission_bp),
        }
    return text
