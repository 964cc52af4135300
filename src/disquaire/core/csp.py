"""Content-Security-Policy on every response, and the one exception: framing.

Pages have no inline script or style (see docs/storefront.md), so the policy is strict:
everything from our own origin, media also from the S3 endpoint when files live there
(streams redirect to presigned URLs), forms posted to us or to the payment providers'
checkout pages. Nobody else may frame a page (``frame-ancestors 'self'``, with
``X-Frame-Options: SAMEORIGIN`` for older browsers) except the embed widgets, whose views
are wrapped in ``frame_anywhere``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.clickjacking import xframe_options_exempt

HEADER = "Content-Security-Policy"
FRAME_ATTR = "csp_frame_ancestors"

# Where each payment provider's checkout page lives (a form post may redirect there).
PROVIDER_FORM_ORIGINS = {"stripe": ("https://checkout.stripe.com",)}

# Presigned URLs of AWS itself name the bucket in the host.
_AWS_S3 = "https://*.amazonaws.com"


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def media_origins() -> list[str]:
    """Origins besides ours that audio may come from: the S3 endpoint, when configured."""
    storages: dict[str, Any] = settings.STORAGES
    storage: dict[str, Any] = storages.get("default") or {}
    if "s3" not in str(storage.get("BACKEND", "")).lower():
        return []
    options: dict[str, Any] = storage.get("OPTIONS") or {}
    endpoint = options.get("endpoint_url")
    origin = _origin(endpoint) if endpoint else _AWS_S3
    return [origin] if origin else []


def form_origins() -> list[str]:
    """Origins besides ours that a form may be posted (or redirected) to."""
    origins: list[str] = []
    for provider in settings.PAYMENT_PROVIDERS:
        origins += [o for o in PROVIDER_FORM_ORIGINS.get(provider, ()) if o not in origins]
    return origins


def policy(*, frame_ancestors: str = "'self'") -> str:
    """The policy's text, with ``frame_ancestors`` (``'self'``, or ``*`` for embeds)."""
    directives = [
        ("default-src", ["'self'"]),
        ("img-src", ["'self'", "data:", "blob:"]),
        ("media-src", ["'self'", "blob:", *media_origins()]),
        ("script-src", ["'self'"]),
        ("style-src", ["'self'"]),
        ("object-src", ["'none'"]),
        ("base-uri", ["'self'"]),
        ("form-action", ["'self'", *form_origins()]),
        ("frame-ancestors", [frame_ancestors]),
    ]
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives)


def frame_anywhere(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Let any site frame this view's responses (embed widgets): no X-Frame-Options,
    ``frame-ancestors *``."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        setattr(response, FRAME_ATTR, "*")
        return response

    return xframe_options_exempt(wrapped)


class ContentSecurityPolicyMiddleware:
    """Adds the policy to every response that has none yet."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        # Settings do not change while serving, except in tests (override_settings).
        self._cache: dict[tuple[Any, ...], str] = {}

    def _policy(self, frame_ancestors: str) -> str:
        key = (
            frame_ancestors,
            repr(settings.STORAGES.get("default")),
            tuple(settings.PAYMENT_PROVIDERS),
        )
        if key not in self._cache:
            self._cache[key] = policy(frame_ancestors=frame_ancestors)
        return self._cache[key]

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = self._policy(getattr(response, FRAME_ATTR, "'self'"))
        return response
