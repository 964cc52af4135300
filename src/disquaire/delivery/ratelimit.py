"""Rate limits moved to ``disquaire.core.ratelimit`` (shared by every room); kept here
so that older imports still work."""

from disquaire.core.ratelimit import PREFIX, client_ip, rate_count, rate_hit

__all__ = ["PREFIX", "client_ip", "rate_count", "rate_hit"]
