"""Streaming and per-visitor player data (included by storefront/urls.py)."""

from django.urls import path

from disquaire.storefront.views import listen

urlpatterns = [
    # Before stream/<token>: a token never contains "/", so the two cannot clash anyway.
    path("stream/public/<int:track_id>/", listen.stream_public, name="stream_public"),
    path("stream/<str:token>", listen.stream, name="stream"),
    path("api/listen/<int:release_id>/", listen.listen_data, name="listen_data"),
    path("api/listen/played/<int:track_id>/", listen.listen_played, name="listen_played"),
    path(
        "api/listen/<int:release_id>/play/<int:track_id>/",
        listen.listen_play,
        name="listen_play",
    ),
    path("free/<int:track_id>/", listen.free_download, name="free_download"),
]
