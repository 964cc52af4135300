"""Small HTTP helpers shared by the rooms."""

from __future__ import annotations

import hmac

from django.http import HttpRequest


def request_from_this_site(request: HttpRequest) -> bool:
    """Whether a state-changing request without a CSRF token comes from our own pages.

    Used where cached public pages cannot carry a per-visitor token (add to cart, the
    player's play reports). Browsers say where a request comes from: ``Sec-Fetch-Site``
    (when sent) must be same-origin or none, and ``Origin`` (when sent) must be this
    site; an opaque ``null`` origin is refused.
    """
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return origin == f"{request.scheme}://{request.get_host()}"


def bearer_matches(request: HttpRequest, token: str) -> bool:
    """Whether the request carries ``Authorization: Bearer <token>`` (compared in
    constant time); never with an empty ``token``."""
    given = str(request.headers.get("Authorization", ""))
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
