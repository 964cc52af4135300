"""The answer to an unexpected error (Django's ``handler500``, set in config.urls)."""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views import defaults

# Seconds a visitor (or a payment provider's webhook) is asked to wait before trying again.
RETRY_AFTER_SECONDS = 5


def server_error(request: HttpRequest) -> HttpResponse:
    """A database that is away for a moment — restarting, failing over, a row lock waited
    on past DISQUAIRE_DB_LOCK_TIMEOUT — answers 503 with ``Retry-After``: nothing was
    done, and the same request will succeed again (a payment provider retries a webhook
    that got 503; a fan presses the button again). Every other error stays a 500.

    Builds its page without a template or the database, which may be what failed.
    """
    error = sys.exc_info()[1]
    if not isinstance(error, OperationalError | InterfaceError):
        return defaults.server_error(request)
    html = format_html(
        '<!doctype html><html><head><meta charset="utf-8"><title>{}</title></head>'
        "<body><h1>{}</h1><p>{}</p></body></html>",
        _("Please try again"),
        _("Please try again in a few seconds"),
        _("The shop could not answer just now. Nothing was done: try the same again."),
    )
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
