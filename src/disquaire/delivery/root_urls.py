"""Delivery and the fans' library, mounted with one include in config/urls.py, under
prefixes artists cannot take as slugs (catalog.validators.RESERVED_SLUGS)."""

from django.urls import include, path

urlpatterns = [
    path("", include("disquaire.delivery.urls")),
    path("library/", include("disquaire.fans.urls")),
    path("fans/", include("disquaire.fans.referrals.urls")),
]
