"""Validators for catalogue identifiers (ISRC, UPC/EAN) and slugs."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# URL prefixes the site itself uses: an artist may not take them as a slug.
RESERVED_SLUGS = frozenset(
    {
        "admin", "api", "accounts", "backstage", "cart", "checkout", "downloads", "embed",
        "feeds", "healthz", "i18n", "library", "media", "oembed", "orders", "payments",
        "redeem", "robots.txt", "sitemap.xml", "static", "stream", "tags", "track", "jsi18n",
        "favicon.ico", "me", "setup", "fans", "search", "feed.atom", "podcast", "free", "covers",
        "shop", "account", "login", "logout", "signup", "codes", "u", "artists", "table",
        "consignment",
    }
)  # fmt: skip

ISRC_RE = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}\d{2}\d{5}$")


def normalise_isrc(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "").upper()


def validate_isrc(value: str) -> None:
    if value and not ISRC_RE.match(normalise_isrc(value)):
        raise ValidationError(
            _("%(value)s is not an ISRC (12 characters, e.g. FRZ039800212)."),
            params={"value": value},
        )


def gtin_check_digit_ok(digits: str) -> bool:
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def validate_upc(value: str) -> None:
    if not value:
        return
    if not re.fullmatch(r"\d{12,13}", value) or not gtin_check_digit_ok(value):
        raise ValidationError(
            _("%(value)s is not a valid UPC (12 digits) or EAN (13 digits)."),
            params={"value": value},
        )


def validate_not_reserved(value: str) -> None:
    if value.lower() in RESERVED_SLUGS:
        raise ValidationError(_("“%(value)s” is reserved by the site."), params={"value": value})
