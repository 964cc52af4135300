"""Every URL pattern of the site, with its full route and how to fill its arguments."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

_ROUTE_ARG = re.compile(r"<(?:\w+:)?(\w+)>")
_REGEX_ARG = re.compile(r"\(\?P<(\w+)>[^)]*\)")


@dataclass(frozen=True)
class Route:
    name: str | None  # namespaced ("backstage:release"); None for a nameless pattern
    route: str  # the whole route from the root, as the URLconf writes it

    @property
    def key(self) -> str:
        """What the matrix calls this pattern: its name, else its route."""
        return self.name or self.route

    @property
    def arguments(self) -> list[str]:
        return _ROUTE_ARG.findall(self.route) + _REGEX_ARG.findall(self.route)

    def url(self, kwargs: dict[str, object]) -> str:
        """The path of this route with ``kwargs`` in its arguments."""
        path = _REGEX_ARG.sub(lambda m: str(kwargs[m.group(1)]), self.route)
        path = _ROUTE_ARG.sub(lambda m: str(kwargs[m.group(1)]), path)
        return "/" + path.replace("^", "").replace("$", "")


def _walk(
    patterns: list[URLPattern | URLResolver], namespaces: list[str], prefix: str
) -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespaces + ([pattern.namespace] if pattern.namespace else [])
            yield from _walk(pattern.url_patterns, inner, prefix + str(pattern.pattern))
        else:
            name = ":".join([*namespaces, pattern.name]) if pattern.name else None
            yield Route(name=name, route=prefix + str(pattern.pattern))


def routes() -> list[Route]:
    """Every pattern of the root URLconf, includes resolved, in resolution order."""
    return list(_walk(get_resolver().url_patterns, [], ""))
