from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _news_from_code(
    sender: Any, *, artist: Any, email: str, wording: str, where: str, **_kw: Any
) -> None:
    """A fan who redeemed a download code ticked "news from the band": a follower to
    confirm (double opt-in), the consent kept with the words they saw."""
    from disquaire.fans.follow import follower_request
    from disquaire.fans.follow_models import ConsentSource

    follower_request(
        artist=artist, email=email, source=ConsentSource.CODE, wording=wording, where=where
    )


class FansConfig(AppConfig):
    name = "disquaire.fans"
    label = "fans"
    verbose_name = _("Fans")

    def ready(self) -> None:
        from anymail.signals import tracking

        from disquaire.core.exporters import exporter_register
        from disquaire.delivery.signals import news_requested
        from disquaire.fans.follow_io import followers_export
        from disquaire.fans.referrals import receivers  # noqa: F401 - connects the receivers
        from disquaire.fans.updates_webhooks import tracking_received

        tracking.connect(tracking_received, dispatch_uid="fans.tracking")
        news_requested.connect(_news_from_code, dispatch_uid="fans.news_from_code")
        exporter_register(
            "followers",
            label=_("Followers"),
            content_type="text/csv; charset=utf-8",
            build=followers_export,
        )
