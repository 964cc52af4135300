"""From CD buyer to online fan: what a table sale of music gives its buyer (a download
code per release sold) and what the buyer gave at the table (an address, a consent to
news, a fan's share code), as the phone sent it with the sale."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from disquaire.catalog.models import Release
from disquaire.delivery.models import DownloadCode


class SaleBuyer(models.Model):
    """The buyer of one sale, once: written when the sale is first recorded, never on a
    replay (so nothing is mailed twice)."""

    sale = models.OneToOneField(
        "table.Sale", on_delete=models.CASCADE, primary_key=True, related_name="buyer"
    )
    show = models.ForeignKey("table.Show", on_delete=models.CASCADE, related_name="buyers")
    email = models.EmailField(_("email"), blank=True, db_default="")
    consent = models.BooleanField(_("agreed to news"), default=False, db_default=False)
    consent_text = models.TextField(_("wording shown"), blank=True, db_default="")
    # The phone's clock when the box was ticked (the sale's time).
    consent_at = models.DateTimeField(null=True, blank=True)
    # A fan's share code typed (or scanned) at the table; the referrer's address when the
    # code is one of the band's links and not the buyer's own.
    referral_code = models.CharField(max_length=40, blank=True, db_default="")
    referrer_email = models.EmailField(blank=True, db_default="")
    # sha256 of the claim secret the phone put in the QR code it showed (never the secret).
    claim_hash = models.CharField(max_length=64, blank=True, db_default="")
    mailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("table buyer")
        verbose_name_plural = _("table buyers")

    def __str__(self) -> str:
        return self.email or str(self.sale_id)


class SaleCode(models.Model):
    """The download code a sale gave for one release it sold (made for it, given)."""

    sale = models.ForeignKey("table.Sale", on_delete=models.CASCADE, related_name="codes")
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="+")
    code = models.OneToOneField(DownloadCode, on_delete=models.CASCADE, related_name="table_sale")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["sale", "release"], name="table_sale_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.sale_id}: {self.release_id}"
