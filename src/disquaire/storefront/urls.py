"""The public site's addresses. Listening (streams, player data) lives in listen_urls.

Fixed words come first; artist slugs live at the root (the model refuses reserved ones).
"""

from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.views.decorators.cache import cache_control

from disquaire.storefront.feeds import ArtistFeed, ArtistPodcast, InstanceFeed
from disquaire.storefront.sitemaps import SITEMAPS
from disquaire.storefront.views import pages

app_name = "storefront"

urlpatterns = [
    path("", include("disquaire.storefront.listen_urls")),
    path("", pages.home, name="home"),
    path("artists/", pages.artists, name="artists"),
    path("robots.txt", pages.robots_txt, name="robots"),
    path(
        "sitemap.xml",
        cache_control(public=True, max_age=3600)(sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap",
    ),
    path("feed.atom", InstanceFeed(), name="feed"),
    path("tags/<slug:slug>/", pages.tag, name="tag"),
    path("i18n/switch/<str:lang>/", pages.language_switch, name="language_switch"),
    path("covers/<int:release_id>/<int:width>.webp", pages.cover, name="cover"),
    path("", include("disquaire.storefront.embed_urls")),
    path("<slug:artist>/", pages.artist, name="artist"),
    path("<slug:artist>/theme.css", pages.artist_theme, name="artist_theme"),
    path("<slug:artist>/feed.atom", ArtistFeed(), name="artist_feed"),
    path("<slug:artist>/podcast.rss", ArtistPodcast(), name="artist_podcast"),
    path(
        "<slug:artist>/images/<str:kind>-<int:width>.webp",
        pages.artist_image,
        name="artist_image",
    ),
    path("<slug:artist>/<slug:release>/", pages.release, name="release"),
    path(
        "<slug:artist>/<slug:release>/<int:position>-<slug:track>/",
        pages.track,
        name="track",
    ),
]
