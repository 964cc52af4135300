"""The site's public address: configured (DISQUAIRE_SITE_URL), or the one being served.

Every link that leaves a page (emails, feeds, file tags, oEmbed, canonical addresses,
preview links) is built on ``settings.SITE_URL``. Left unconfigured, it must name the
server actually running, so ``disquaire serve --port 8790`` and ``disquaire demo`` make it
``http://127.0.0.1:8790``. In production it is required (the check below).
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

# Addresses that listen everywhere name no machine a browser can reach: links use the
# loopback address instead (set DISQUAIRE_SITE_URL for other machines).
_WILDCARD = {"", "0.0.0.0", "::", "[::]"}  # noqa: S104 (names it, binds nothing)


def served_url(*, host: str, port: int) -> str:
    """``http://host:port`` of a server bound to ``host`` and ``port``."""
    if host in _WILDCARD:
        host = "127.0.0.1" if ":" not in host else "[::1]"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def site_url_follow(*, host: str, port: int) -> str:
    """Make the site's address the served one unless DISQUAIRE_SITE_URL is configured;
    return the address in use. The environment carries it to the worker processes
    started after this."""
    if settings.SITE_URL_CONFIGURED:
        return str(settings.SITE_URL)
    url = served_url(host=host, port=port)
    settings.SITE_URL = url
    os.environ["DISQUAIRE_SITE_URL"] = url
    return url


def _site_url_problems(*, production: bool) -> list[checks.CheckMessage]:
    url = str(settings.SITE_URL)
    parts = urlsplit(url)
    hint = "Set DISQUAIRE_SITE_URL to the address fans type, e.g. https://shop.example.org"
    if not settings.SITE_URL_CONFIGURED:
        return [
            checks.Error(
                "DISQUAIRE_SITE_URL is not set: links in emails, feeds, file tags and "
                "embeds would name a server that is not there.",
                hint=hint,
                id="disquaire.E011",
            )
        ]
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return [
            checks.Error(
                f"DISQUAIRE_SITE_URL is not a web address: {url!r}.", hint=hint, id="disquaire.E012"
            )
        ]
    problems: list[checks.CheckMessage] = []
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        problems.append(
            checks.Error(
                f"DISQUAIRE_SITE_URL must be the site's root, without a path: {url!r}.",
                hint=hint,
                id="disquaire.E013",
            )
        )
    if production and parts.scheme != "https":
        problems.append(
            checks.Warning(
                f"DISQUAIRE_SITE_URL is not https: {url!r}. Fans' browsers will warn "
                "before they pay.",
                hint="Put the site behind TLS (docs/deploy.md) and use its https:// address.",
                id="disquaire.W011",
            )
        )
    return problems


@checks.register(checks.Tags.security)
def site_url_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """In production every command refuses to run without the site's address."""
    if not settings.PRODUCTION:
        return []
    return _site_url_problems(production=True)


@checks.register(checks.Tags.security, deploy=True)
def site_url_deploy_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``check --deploy`` asks for the site's address whatever the mode."""
    if settings.PRODUCTION:
        return []  # site_url_check said it already
    return _site_url_problems(production=True)
