"""The interpreter's switch interval while an app serves: how long a busy thread keeps the GIL.

A thread that wants the interpreter lock waits until its holder lets go, or
until the switch interval has passed and the holder is asked to (CPython's
default: 5 ms). The event loop lets go at every poll for I/O, so beside a
thread that computes for seconds (an import's preparation, a travel plan)
each turn of the loop waited up to 5 ms for it, and a request took several
turns. Measured with ``bench/import_reads.py``'s set-up (SQLite, 1,020
counties, 100,000 accounts, ``/locate`` from 20 clients during a 200,000-row
import, three runs of each in turns): p99 41.9, 69.7 and 47.8 ms at 0.5 ms
against 81.8, 106.2 and 76.3 ms at 5 ms, and 1,580-1,800 requests/s against
1,315-1,420; the import took about a tenth longer. The mixed load without an
import did not lose (PostGIS, 307-342 requests/s against 256-357).

Process-wide, like the collector (:mod:`service.heap`): the value an app
found is put back when it stops.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def switch_interval(ms: float | None) -> Iterator[None]:
    """Run the block with the interpreter's switch interval at ``ms`` (None: unchanged)."""
    if ms is None:
        yield
        return
    found = sys.getswitchinterval()
    sys.setswitchinterval(ms / 1000)
    try:
        yield
    finally:
        sys.setswitchinterval(found)
