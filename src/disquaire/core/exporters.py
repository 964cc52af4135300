"""The exporters: each downloadable file (CSV and the like) registered once under a key.

An app registers its exporters in ``AppConfig.ready()`` with ``exporter_register()``; a view
finds one by key and answers with ``exporter_response()``, so no view knows how a file is
built and every download is served the same way (content type, attachment, file name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse


@dataclass(frozen=True)
class Exporter:
    key: str
    label: Any  # a (lazy) translatable string: what the file holds
    content_type: str
    build: Callable[..., str | bytes]


_registry: dict[str, Exporter] = {}


def exporter_register(
    key: str, *, label: Any, content_type: str, build: Callable[..., str | bytes]
) -> Exporter:
    """Register ``build`` (keyword arguments in, the file's body out) under ``key``. Registering
    the same key again replaces it only with the same builder (apps reload in tests)."""
    exporter = Exporter(key=key, label=label, content_type=content_type, build=build)
    known = _registry.get(key)
    if known is not None and known.build is not build:
        raise ValueError(f"Exporter {key!r} is already registered.")
    _registry[key] = exporter
    return exporter


def exporter_get(key: str) -> Exporter:
    """The exporter registered under ``key``; LookupError when none is."""
    try:
        return _registry[key]
    except KeyError:
        raise LookupError(f"No exporter {key!r} is registered.") from None


def exporters_all() -> list[Exporter]:
    """Every registered exporter, by key."""
    return [_registry[key] for key in sorted(_registry)]


def exporter_response(key: str, *, filename: str, **kwargs: Any) -> HttpResponse:
    """The file built by exporter ``key`` from ``kwargs``, as a download named ``filename``."""
    exporter = exporter_get(key)
    response = HttpResponse(exporter.build(**kwargs), content_type=exporter.content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
