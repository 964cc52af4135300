"""From CD buyer to online fan: what a newly recorded table sale gives its buyer.

Called by ``sales_sync`` in the batch's transaction for the sales it records the first
time only: a replayed batch finds its sales recorded and never reaches here, so nothing
is made or mailed twice. Per accepted sale of music (an item copy of a release):

- one download code per release, made for the sale and marked as given (``SaleCode``);
- when the phone sent the buyer's address: the code redeemed for it and the download
  link mailed (after commit), and, with the consent box ticked, a follow request with
  source ``table`` (the usual double opt-in: the wording, the show and the seller kept);
- a fan's share code typed (or its QR code scanned) at the table, kept with the
  referrer unless it is the buyer's own link, and counted as a referral by the fans
  room (``referral_sale_record``: store credit for the fan, under the band's rules).

The phone may show a QR code of ``/table/claim/<sale id>/<secret>/`` at once, offline:
the secret is random, made on the phone, and only its hash is stored; the page answers
with the sale's code once the sale has synced.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from disquaire.catalog.models import Release
from disquaire.core.addresses import email_normalise
from disquaire.delivery.codes import code_batch_create, code_redeem
from disquaire.delivery.services import download_links_mail
from disquaire.fans.follow import follower_request
from disquaire.fans.follow_models import ConsentSource
from disquaire.fans.referrals.credit import referral_sale_record
from disquaire.table.fan_models import SaleBuyer, SaleCode
from disquaire.table.models import Sale, Seller

MAX_WORDING = 1000


def claim_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def sale_releases(*, artist_id: int, lines: list[Any]) -> list[Release]:
    """The releases a sale's lines (as parsed: ``.product``) carry copies of, in id order."""
    found: dict[int, Release] = {}
    for line in lines:
        if line.product is None:
            continue
        for comp in line.product.components.all():
            release = comp.item.release
            if release is not None and release.artist_id == artist_id:
                found[release.pk] = release
    return [found[pk] for pk in sorted(found)]


def buyers_record(*, seller: Seller, new: dict[Any, Any], sales: list[Any]) -> None:
    """For each sale of this batch recorded just now (``new``: id → the parsed sale),
    its codes and buyer; in the batch's transaction."""
    if not new:
        return
    raws = {str(raw.get("id")): raw for raw in sales if isinstance(raw, dict)}
    recorded = Sale.objects.select_related("show", "artist").in_bulk(list(new))
    for sale_id, parsed in new.items():
        sale = recorded[sale_id]
        sale_buyer_record(
            seller=seller,
            sale=sale,
            raw=raws.get(str(sale_id)),
            releases=sale_releases(artist_id=sale.artist_id, lines=parsed.lines),
        )


def buyer_fields(raw: Any) -> dict[str, Any]:
    """What the phone sent about the buyer (``fan``: email, consent, wording, referral,
    claim), cleaned; an unreadable address is dropped."""
    fan = raw.get("fan") if isinstance(raw, dict) else None
    if not isinstance(fan, dict):
        return {}
    email = email_normalise(str(fan.get("email") or ""))[:254]
    if "@" not in email:
        email = ""
    claim = str(fan.get("claim") or "")
    return {
        "email": email,
        "consent": bool(email) and fan.get("consent") is True,
        "wording": str(fan.get("wording") or "")[:MAX_WORDING],
        "referral": "".join(ch for ch in str(fan.get("referral") or "") if ch.isalnum())[:40],
        "claim": claim_hash(claim) if 16 <= len(claim) <= 128 else "",
    }


def sale_buyer_record(
    *, seller: Seller, sale: Sale, raw: Any, releases: list[Release]
) -> SaleBuyer | None:
    """Give a newly recorded ``sale`` its codes and record its buyer (see the module)."""
    if sale.status != Sale.Status.ACCEPTED:
        return None
    fields = buyer_fields(raw)
    if not releases and not fields.get("email") and not fields.get("referral"):
        return None
    codes = []
    for release in releases:
        batch = code_batch_create(release=release, size=1, label=f"table sale {sale.pk}")
        code = batch.codes.get()
        codes.append(SaleCode.objects.create(sale=sale, release=release, code=code))
    email = fields.get("email", "")
    referrer = ""
    if fields.get("referral"):
        # The fans room counts it as a referral (its rules; a bank transfer waits for
        # the money, see ``table.receivers``).
        referral = referral_sale_record(
            artist_id=sale.artist_id,
            sale_ref=f"table:{sale.pk}",
            code=fields["referral"],
            buyer_email=email,
            amount_minor=sale.total,
            currency=sale.currency,
            paid=sale.payment != Sale.Payment.BANK or sale.payment_received_at is not None,
            label=str(sale.show)[:200],
        )
        if referral is not None and referral.refusal != "self:email":
            referrer = referral.referrer_email
    buyer = SaleBuyer.objects.create(
        sale=sale,
        show=sale.show,
        email=email,
        consent=fields.get("consent", False),
        consent_text=fields.get("wording", "") if fields.get("consent") else "",
        consent_at=sale.device_time if fields.get("consent") else None,
        referral_code=fields.get("referral", ""),
        referrer_email=referrer,
        claim_hash=fields.get("claim", ""),
    )
    if email:
        entitlements = [code_redeem(code_id=c.code_id, email=email) for c in codes]
        where = _("%(show)s, sold by %(seller)s") % {"show": sale.show, "seller": seller.name}

        def after() -> None:
            for entitlement in entitlements:
                download_links_mail(entitlement=entitlement)
            if buyer.consent:
                follower_request(
                    artist=sale.artist,
                    email=email,
                    source=ConsentSource.TABLE,
                    wording=buyer.consent_text,
                    where=where,
                )

        transaction.on_commit(after)
    return buyer
