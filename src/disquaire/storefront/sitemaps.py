"""sitemap.xml: artists with a public release, public releases, tags in use."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet
from django.urls import reverse

from disquaire.catalog.models import Artist, Release, Tag
from disquaire.storefront import selectors


class _SiteSitemap(Sitemap):
    """Addresses on ``SITE_URL``, whatever host the request came to."""

    def get_domain(self, site: Any = None) -> str:
        return urlsplit(settings.SITE_URL).netloc

    def get_protocol(self, protocol: str | None = None) -> str:
        return urlsplit(settings.SITE_URL).scheme or "https"


class ArtistSitemap(_SiteSitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self) -> QuerySet[Artist]:
        return selectors.sitemap_artists()

    def lastmod(self, item: Artist) -> datetime:
        return item.updated_at


class ReleaseSitemap(_SiteSitemap):
    changefreq = "monthly"
    priority = 0.9

    def items(self) -> QuerySet[Release]:
        return selectors.sitemap_releases()

    def lastmod(self, item: Release) -> datetime:
        return item.updated_at


class TagSitemap(_SiteSitemap):
    changefreq = "weekly"
    priority = 0.4

    def items(self) -> QuerySet[Tag]:
        return selectors.sitemap_tags()

    def location(self, item: Tag) -> str:
        return reverse("storefront:tag", kwargs={"slug": item.slug})


SITEMAPS = {"artists": ArtistSitemap, "releases": ReleaseSitemap, "tags": TagSitemap}
