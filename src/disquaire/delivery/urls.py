"""Delivery: download pages and files, code redemption (see root_urls for the mount)."""

from django.urls import path

from disquaire.delivery.views import downloads, redeem

app_name = "delivery"

urlpatterns = [
    path("downloads/<str:token>/", downloads.download_page_view, name="page"),
    path(
        "downloads/<str:token>/<int:entitlement_id>/<int:track_id>/<str:key>/",
        downloads.download_file_view,
        name="file",
    ),
    path(
        "downloads/<str:token>/<int:entitlement_id>/zip/<str:key>/",
        downloads.download_zip_view,
        name="zip",
    ),
    path("redeem/", redeem.redeem_view, name="redeem"),
    path("redeem/<slug:artist>/", redeem.redeem_view, name="redeem_artist"),
]
