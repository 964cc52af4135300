"""Counting attempts in Django's cache: per client address, per code, per email.

A fixed window per key: the first hit creates the counter with the window as its
lifetime (``cache.add``), later hits increment it (``cache.incr``, atomic in Redis and
in the in-process cache). With the in-process cache each web process counts on its own,
so the effective limit is the limit times the processes; Redis shares one count.
"""

from __future__ import annotations

import hashlib
import ipaddress

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

PREFIX = "dq:rate:"


def _key(scope: str, value: str) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"{PREFIX}{scope}:{digest}"


def rate_count(*, scope: str, value: str) -> int:
    """How many hits ``value`` has in ``scope`` in the current window."""
    return int(cache.get(_key(scope, value), 0))


def rate_hit(*, scope: str, value: str, window: int) -> int:
    """Count one hit of ``value`` in ``scope``; return the count including it."""
    key = _key(scope, value)
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=window)
        return 1


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the address a trusted proxy (nginx on this
    machine, ``DISQUAIRE_TRUSTED_PROXIES``) appended last to X-Forwarded-For."""
    remote = str(request.META.get("REMOTE_ADDR", "") or "")
    trusted = settings.DISQUAIRE_TRUSTED_PROXIES
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", "") or "")
    if remote in trusted and forwarded:
        candidate = forwarded.split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            return remote
    return remote or "unknown"
