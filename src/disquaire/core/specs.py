"""Services called with the keywords of a value object: one typed list, written once."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
S = TypeVar("S")
R = TypeVar("R")


def called_with(spec: Callable[P, S]) -> Callable[[Callable[[S], R]], Callable[P, R]]:
    """Let a service that takes one value object ``spec`` be called with its keywords.

    ``spec`` is the value's class (a keyword-only dataclass): its fields are the
    service's keyword arguments, checked by mypy at each call and by the class at run
    time, and the service receives the value built from them."""

    def decorate(service: Callable[[S], R]) -> Callable[P, R]:
        @functools.wraps(service)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            return service(spec(*args, **kwargs))

        return wrapper

    return decorate
