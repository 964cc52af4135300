"""The shop's own records: the mailing list (what is for sale lives in ``selling``)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from disquaire.catalog.models import Artist


class Subscriber(models.Model):
    """A fan on an artist's mailing list, once they confirmed by the emailed link."""

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="subscribers")
    email = models.EmailField(_("email"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["artist", "email"], name="subscriber_unique")
        ]
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")

    def __str__(self) -> str:
        return self.email
