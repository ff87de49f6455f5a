"""Fault injection shared by the tests: a call that holds its thread until released."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def held(obj: Any, name: str) -> Iterator[tuple[threading.Event, threading.Semaphore]]:
    """Make ``obj.name`` hold its caller's thread until ``release`` is set.

    ``entered`` is released once per call that is being held, so a test can
    count the threads it holds. Leaving the block releases them and puts the
    real method back.
    """
    real: Callable[..., Any] = getattr(obj, name)
    release, entered = threading.Event(), threading.Semaphore(0)

    def holding(*args: Any, **kwargs: Any) -> Any:
        entered.release()
        release.wait(30)
        return real(*args, **kwargs)

    setattr(obj, name, holding)
    try:
        yield release, entered
    finally:
        release.set()
        setattr(obj, name, real)
