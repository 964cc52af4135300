"""Checks of `disquaire check --deploy`, beside Django's own: what makes a public shop
unsafe that Django cannot know about."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from disquaire.config.env import secret_key_problem


@register(Tags.security, deploy=True)
def deploy_checks(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    problem = secret_key_problem(str(settings.SECRET_KEY))
    if problem:
        found.append(
            Error(
                f"DISQUAIRE_SECRET_KEY {problem}: anyone who knows it forges download, "
                "invitation and verification links.",
                hint="python3 -c 'import secrets; print(secrets.token_urlsafe(50))'",
                id="disquaire.E001",
            )
        )
    if not settings.PRODUCTION:
        found.append(
            Warning(
                "DISQUAIRE_PRODUCTION is off: no secure cookies, HSTS or HTTPS redirect.",
                hint="Start with `disquaire serve --production`.",
                id="disquaire.W001",
            )
        )
    if not str(settings.SITE_URL).startswith("https://"):
        found.append(
            Warning(
                f"DISQUAIRE_SITE_URL ({settings.SITE_URL}) is not an https:// address: the "
                "links in emails (downloads, sign-in, invitations) would travel in clear.",
                id="disquaire.W002",
            )
        )
    if "test" in settings.PAYMENT_PROVIDERS:
        found.append(
            Warning(
                "The test payment provider is offered: fans could pay with no money.",
                hint="Remove `test` from DISQUAIRE_PAYMENT_PROVIDERS.",
                id="disquaire.W003",
            )
        )
    return found
