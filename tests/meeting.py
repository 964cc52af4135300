"""Make racing threads meet at a point of the code, with a barrier rather than a sleep."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections


def meeting_point(parties: int) -> Callable[[], None]:
    """A hook that holds each thread, the first time it gets there, until ``parties``
    threads have got there: all of them have then passed the check before any writes.

    Only for a control test with the lock taken away: with the lock in place the threads
    never meet (the others wait on the lock) and the barrier breaks after its timeout.
    """
    barrier = threading.Barrier(parties)
    met = threading.local()

    def hook(*_args: Any, **_kwargs: Any) -> None:
        if getattr(met, "done", False):
            return
        met.done = True
        barrier.wait(timeout=60)

    return hook


def run_at_once(count: int, work: Callable[[int], Any], *, timeout: float = 120) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released together at a barrier, each with its
    own database connection; their results, or the exceptions they raised."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def runner(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
