"""Heavy control-plane work on a worker thread, so that the event loop keeps serving the feed and health.

A worker thread running Python still takes the interpreter lock from the event loop, in slices of a few
milliseconds: what keeps the loop's waits short is that no single step holds the lock for long. The largest such
step is the cyclic garbage collector's full pass, which stops every thread while it walks every object (a
100,000-event batch means millions): 0.1–0.3 s each time, several times a batch. The collector is paused while
the work runs (at most one such task at a time: appends and live ticks take turns) and objects the work frees
are still freed at once by reference counting; cycles wait for the next collection after it.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool

P = ParamSpec("P")
T = TypeVar("T")


async def run_off_loop(work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    return await run_in_threadpool(functools.partial(_without_gc_pauses, work, *args, **kwargs))


def _without_gc_pauses(work: Callable[..., T], *args: object, **kwargs: object) -> T:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return work(*args, **kwargs)
    finally:
        if was_enabled:
            gc.enable()
