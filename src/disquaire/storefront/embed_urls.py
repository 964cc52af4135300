"""Embeds and oEmbed (included by storefront/urls.py, before the artist routes)."""

from django.urls import path

from disquaire.storefront.views import embed

urlpatterns = [
    path("embed/release/<int:release_id>/", embed.embed_release, name="embed_release"),
    path("embed/track/<int:track_id>/", embed.embed_track, name="embed_track"),
    path(
        "embed/api/listen/<int:release_id>/",
        embed.embed_listen_data,
        name="embed_listen_data",
    ),
    path("oembed", embed.oembed, name="oembed"),
]
