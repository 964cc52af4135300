"""The Content-Security-Policy sent with every response (disquaire.core.csp)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from disquaire.core import csp


def _directives(header: str) -> dict[str, list[str]]:
    parts = (part.split() for part in header.split(";"))
    return {part[0]: part[1:] for part in parts if part}


@pytest.mark.django_db
def test_every_response_carries_the_strict_policy(settings: Any) -> None:
    settings.PAYMENT_PROVIDERS = ["stripe", "manual"]

    response = Client().get("/healthz")

    policy = _directives(response["Content-Security-Policy"])
    assert policy == {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'", "https://checkout.stripe.com"],
        "frame-ancestors": ["'self'"],
    }
    assert response["X-Frame-Options"] == "SAMEORIGIN"


@pytest.mark.django_db
def test_not_found_pages_carry_it_too() -> None:
    response = Client().get("/no-such-artist/")

    assert response.status_code == 404
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_no_stripe_no_stripe_origin(settings: Any) -> None:
    settings.PAYMENT_PROVIDERS = ["manual", "test"]

    assert _directives(csp.policy())["form-action"] == ["'self'"]


def test_media_may_come_from_the_s3_endpoint(settings: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"bucket_name": "b", "endpoint_url": "https://s3.example.org:9000/"},
        },
    }

    assert _directives(csp.policy())["media-src"] == [
        "'self'",
        "blob:",
        "https://s3.example.org:9000",
    ]


def test_media_from_aws_itself_when_no_endpoint_is_set(settings: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"bucket_name": "b"}},
    }

    assert "https://*.amazonaws.com" in _directives(csp.policy())["media-src"]


def test_frame_anywhere_lets_any_site_frame_the_view(rf: Any) -> None:
    from django.http import HttpResponse
    from django.middleware.clickjacking import XFrameOptionsMiddleware

    view = csp.frame_anywhere(lambda request: HttpResponse("widget"))
    middleware = XFrameOptionsMiddleware(view)
    response = csp.ContentSecurityPolicyMiddleware(middleware)(rf.get("/embed/"))

    assert "X-Frame-Options" not in response
    assert _directives(response["Content-Security-Policy"])["frame-ancestors"] == ["*"]
