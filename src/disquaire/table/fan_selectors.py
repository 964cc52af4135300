"""Reads for the buyer side of table sales: a QR claim, a show's buyers who came online."""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass

from django.db.models import Q

from disquaire.table.fan_models import SaleBuyer, SaleCode
from disquaire.table.fan_services import claim_hash
from disquaire.table.models import Sale, Show


def claim_codes(*, sale_id: uuid.UUID, secret: str) -> list[SaleCode] | None:
    """The codes a sale gave when ``secret`` is the one its phone showed as a QR code;
    None when the sale is not synced yet or the secret is not its own."""
    buyer = SaleBuyer.objects.filter(sale_id=sale_id).only("claim_hash").first()
    if buyer is None or not buyer.claim_hash:
        return None
    if not hmac.compare_digest(buyer.claim_hash, claim_hash(secret)):
        return None
    return list(SaleCode.objects.filter(sale_id=sale_id).select_related("code__batch__artist"))


@dataclass
class CameOnline:
    music_sales: int  # accepted sales that gave a download code
    emails: int  # buyers who gave an address at the table
    consents: int  # of whom agreed to news
    redeemed: int  # sales whose code was used (by the address given or a QR claim)


def show_came_online(*, show: Show) -> CameOnline:
    """How many of the show's table buyers came online."""
    codes = SaleCode.objects.filter(sale__show=show, sale__status=Sale.Status.ACCEPTED)
    buyers = SaleBuyer.objects.filter(show=show).exclude(email="")
    return CameOnline(
        music_sales=codes.values("sale").distinct().count(),
        emails=buyers.count(),
        consents=buyers.filter(consent=True).count(),
        redeemed=codes.filter(Q(code__uses__gt=0)).values("sale").distinct().count(),
    )


def show_buyer_emails(*, show_id: int, consented: bool = True) -> set[str]:
    """The addresses given at the table at a show (those who agreed to news only, by
    default)."""
    buyers = SaleBuyer.objects.filter(show_id=show_id).exclude(email="")
    if consented:
        buyers = buyers.filter(consent=True)
    return set(buyers.values_list("email", flat=True))
