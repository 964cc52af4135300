"""The page a table buyer's QR code opens: the album the sale gave, once it has synced."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from disquaire.delivery.codes import code_redeem_url
from disquaire.table import fan_selectors


def claim(request: HttpRequest, sale_id: uuid.UUID, claim_secret: str) -> HttpResponse:
    """Anyone holding the QR code's link (its secret is the proof): to the band's redeem
    page with the sale's code filled in; until the sale has synced, come back later."""
    codes = fan_selectors.claim_codes(sale_id=sale_id, secret=claim_secret[:128])
    if codes:
        first = codes[0].code
        return redirect(code_redeem_url(batch=first.batch, code=first.code))
    response = render(request, "table/claim.html", {"codes": codes})
    response["Cache-Control"] = "no-store"
    return response
