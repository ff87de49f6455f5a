"""The gazetteer's tables and a fork: a child forked while a table is built is not stuck.

Account imports fork the server to prepare their rows (service.usecases.import_child).
"""

from __future__ import annotations

import os
import threading
import time

from geo.geocode import gazetteer


def test_a_fork_during_a_table_build_waits_for_it_and_the_child_has_the_table() -> None:
    building = threading.Event()

    def slow_build() -> str:
        building.set()
        time.sleep(0.3)
        return "built"

    builder = threading.Thread(target=gazetteer._once, args=("test-slow", slow_build))
    builder.start()
    try:
        building.wait(5)
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:  # the child: the table is there and the lock is free
            free = gazetteer._LOCK.acquire(timeout=2)
            os._exit(0 if free and gazetteer._TABLES.get("test-slow") == "built" else 1)
        waited = time.monotonic() - started
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert waited > 0.1  # the fork waited for the build to end
    finally:
        builder.join()
        gazetteer._TABLES.pop("test-slow", None)
