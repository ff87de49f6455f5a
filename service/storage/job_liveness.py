"""Whether the process that runs a job is still alive, without a heartbeat.

A job row names its runner (one per server process). The runner holds a
lock that the operating system (SQLite: ``flock`` on a file beside the
database) or the database server (PostGIS: a session advisory lock) drops
the moment its process dies, kill -9 included. Any worker can then tell a
job whose runner is gone from one that is merely slow, exactly and at once.
A heartbeat row would have to be written while long work holds the writers'
lock (SQLite has one writer), so it would either contend with that work or
go stale under it and declare a live job dead.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
from pathlib import Path

from sqlalchemy import Connection, text

from service.storage.backends import Backend

# Arbitrary constant: the first key of every runner's advisory lock ("JOBS").
_RUNNER_LOCK_CLASS = 0x4A4F4253


def _runner_key(runner_id: str) -> int:
    return int(runner_id[:7], 16)  # 28 bits: a positive int4 (pg_locks shows it as an oid)


def _lock_dir(backend: Backend) -> Path | None:
    database = backend.engine.url.database
    if not database or database == ":memory:":
        return None  # one process owns an in-memory database: nothing can outlive it
    return Path(f"{database}-runners")


# Leases not yet released. A harness that never runs an app's shutdown would
# otherwise let a lease be collected mid-run (a warning, and on PostGIS a lock
# dropped while the process lives); held here, it lasts as long as the process.
_HELD: set[RunnerLease] = set()


@atexit.register
def _release_held() -> None:
    for lease in list(_HELD):
        lease.release()


class RunnerLease:
    """Held by a live runner for its whole life; :meth:`release` when it stops."""

    def __init__(self, backend: Backend, runner_id: str) -> None:
        self._fd: int | None = None
        self._conn: Connection | None = None
        _HELD.add(self)
        if backend.name == "postgis":
            self._conn = backend.engine.connect()
            self._conn.execute(
                text("SELECT pg_advisory_lock(:c, :o)"),
                {"c": _RUNNER_LOCK_CLASS, "o": _runner_key(runner_id)},
            )
            self._conn.commit()  # a session lock outlives the transaction
            return
        folder = _lock_dir(backend)
        if folder is None:
            return
        folder.mkdir(exist_ok=True)
        self._path = folder / f"{runner_id}.lock"
        # A bare descriptor, not a file object: an app whose shutdown never
        # runs (a test harness) must not warn when its runner is collected;
        # the lock then lasts as long as the process, which is the truth.
        self._fd = os.open(self._path, os.O_WRONLY | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def release(self) -> None:
        """Let go (a clean stop); the runner's unfinished jobs then count as orphans."""
        _HELD.discard(self)
        if self._conn is not None:
            with contextlib.suppress(Exception):  # the connection may be gone already
                self._conn.close()
            self._conn = None
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._path)
            os.close(self._fd)
            self._fd = None


def _close_lease_files_in_child() -> None:
    """In a forked child: close its copies of the leases' lock files, and nothing more.

    ``flock`` belongs to the open file, which a fork shares: a child that
    kept its copy (an import's, service.usecases.import_child) kept a killed
    server's runner looking alive until the child ended. Closing the copy
    leaves the parent's lock as it was (no unlock, no unlink). The PostGIS
    lease's connection is left alone here: dropping it would hand it back to
    the pool, which would speak on the parent's session.
    """
    for lease in _HELD:
        if lease._fd is not None:
            with contextlib.suppress(OSError):
                os.close(lease._fd)
            lease._fd = None


os.register_at_fork(after_in_child=_close_lease_files_in_child)


def runner_alive(backend: Backend, runner_id: str | None) -> bool:
    """True while the runner named ``runner_id`` holds its lease.

    Rows written before runners had ids (``None``) have no lease to check;
    they count as orphans, since no process of that version can be running
    against a database its successor has migrated.
    """
    if runner_id is None:
        return False
    if backend.name == "postgis":
        with backend.engine.connect() as conn:
            return bool(
                conn.execute(
                    text(
                        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
                        " AND classid::bigint = :c AND objid::bigint = :o AND objsubid = 2"
                        " AND granted)"
                    ),
                    {"c": _RUNNER_LOCK_CLASS, "o": _runner_key(runner_id)},
                ).scalar()
            )
    folder = _lock_dir(backend)
    if folder is None:
        return True
    return _file_locked(folder / f"{runner_id}.lock")


def _file_locked(path: Path) -> bool:
    try:
        probe = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        # flock locks belong to an open file, so this probe conflicts with
        # the runner's lock even inside the runner's own process.
        fcntl.flock(probe, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(probe)
    with contextlib.suppress(OSError):
        os.unlink(path)  # its runner died without releasing: tidy up
    return False
