"""Make racing threads meet at a point of the code, with a barrier rather than a sleep."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


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
