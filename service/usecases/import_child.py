"""An import's rows prepared in a forked child process, off the serving interpreter.

Parsing, checking, geocoding and assigning an upload's rows is Python for
most of an import's time, and the interpreter lock is one per process: on a
thread of the server, that work took turns with every request. ``/locate``
during a 200,000-row import had a p99 of 46-77 ms on PostGIS and 50 ms on
SQLite, against 8 ms idle (``bench/import_reads.py``, sessions 39-41). So the
work runs in a child forked from the importing thread: it starts with the
territory index snapshot, the geocoder's tables and the upload already in
memory (copy-on-write: nothing is rebuilt or sent), and hands back each
batch's staging rows over a pipe. The server only loads them (``COPY`` or
``executemany``), which is mostly waiting on the database with the lock free.

Forking without exec in a process with threads is safe here because the
child does only pure work: it touches no database connection, logger, event
loop or lock of the threads it left behind, and ends with ``os._exit`` (by
:mod:`multiprocessing`'s fork context, a library made for the job), so no
finalizer of the parent's objects runs twice. The locks it does need are
made safe: the gazetteer's is held across the fork
(:mod:`geo.geocode.gazetteer`), and the standard streams are opened anew;
it lets go of the server's sockets and of the pipe's reading end, so it
ends when the server does. An online geocoder caches its answers in the
store, so an import that may need one prepares in-process.

Written here rather than with a process pool: a pool's workers would have to
be sent the index and the upload, which the fork gives for nothing.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import pickle
import resource
import signal
import stat
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, TextIO

from service.usecases.import_report import ImportReport

StagedBatch = list[tuple[Any, ...]] | bytes  # staging rows, or their COPY text
_POLL_S = 0.25  # how often a waiting server looks at the job's cancel flag
# The child's niceness: where the cores are short, the requests being served
# (and the database) go first, and the import takes what they leave.
NICE = 10
# Uploads smaller than this are prepared on the thread: a fork of a server of
# 600 MB costs 12-16 ms before the child's first batch, more than preparing
# the few hundred CSV rows this holds, and a small import (a form's one row)
# should answer about as fast as the write of one.
CHILD_MIN_BYTES = 64 * 1024


class ImportChildError(RuntimeError):
    """The child preparing an import failed without an error that could be sent back."""


def worth_a_child(upload_bytes: int) -> bool:
    """Whether an upload of this size is worth preparing in a child (see CHILD_MIN_BYTES)."""
    return upload_bytes >= CHILD_MIN_BYTES


def can_fork() -> bool:
    """Whether imports fork here: on Linux only.

    Windows has no fork, and on macOS a forked child of a process with
    threads may crash in the system's own libraries (Python's default start
    method there is spawn for that reason).
    """
    return sys.platform.startswith("linux")


@dataclass
class ChildBatches:
    """What a child sends: its batches in order, then its report and peak memory."""

    receiver: Connection
    report: ImportReport
    process: Any
    peak_rss_mb: float | None = None

    def __iter__(self) -> Iterator[StagedBatch | None]:
        """Each batch of staging rows, and ``None`` every :data:`_POLL_S` of waiting.

        The ``None`` lets the caller look at its cancel flag while the child
        works. When the child is done, ``report`` holds what it counted; an
        error raised in the child is raised here.
        """
        while True:
            if not self.receiver.poll(_POLL_S):
                yield None
                continue
            try:
                kind, payload = self.receiver.recv()
            except EOFError:
                self.process.join(timeout=5)  # it closed the pipe: ending, or killed
                raise ImportChildError(
                    "the process preparing the import ended without an answer "
                    f"(exit code {self.process.exitcode})"
                ) from None
            if kind == "rows":
                yield payload
            elif kind == "done":
                vars(self.report).update(vars(payload["report"]))
                self.peak_rss_mb = payload["peak_rss_mb"]
                return
            else:
                raise payload


@contextmanager
def batches_from_child(
    batches: Callable[[], Iterator[StagedBatch]], report: ImportReport
) -> Iterator[ChildBatches]:
    """Run ``batches`` in a forked child and read what it sends (see :class:`ChildBatches`).

    Leaving the block early (a cancel, a failed load) kills the child; it
    is always reaped before the block ends.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child_main,
        args=(batches, report, sender, receiver),
        name="import-prepare",
        daemon=True,
    )
    # Whatever sits in the standard streams' buffers would be written twice:
    # once by each process. (A daemon may have none.)
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    child.start()
    sender.close()  # the child holds the only writing end: its exit ends the pipe
    try:
        yield ChildBatches(receiver, report, child)
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()  # SIGKILL: the child kept the server's signal handlers
        child.join()


def _child_main(
    batches: Callable[[], Iterator[StagedBatch]],
    report: ImportReport,
    sender: Connection,
    receiver: Connection,
) -> None:
    """The child: send each batch, then the report; an error goes back as it was raised."""
    _close_inherited(receiver)
    # What the parent built is frozen out of the child's collections, so a
    # collection here does not touch (and copy) every page it shares.
    gc.freeze()
    # SIGTERM and SIGINT go back to their defaults: the server's handlers
    # would only flag a shutdown of a server this process does not run.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.stdout, sys.stderr = _fresh_stream(1), _fresh_stream(2)
    os.nice(NICE)
    try:
        for batch in batches():
            sender.send(("rows", batch))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        sender.send(("done", {"report": report, "peak_rss_mb": round(peak, 1)}))
    except BaseException as exc:  # noqa: BLE001 - every failure is the parent's to raise
        sender.send(("raised", _sendable(exc)))
    finally:
        sender.close()


def _close_inherited(receiver: Connection) -> None:
    """Let go of the pipe's reading end and of every socket the server had open.

    With its own copy of the reading end the child would never see the
    server die: its sends would block on a full pipe for ever, and it would
    outlive the server with its memory. A socket it kept (the listening one,
    a client's, a database connection) would stay open after the server
    closed or lost it: a client would wait for the end of a connection the
    server had closed, and the port would stay taken. The upload's file is
    not a socket, and stays.
    """
    receiver.close()
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        with contextlib.suppress(OSError):  # the listing's own descriptor is gone by now
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.close(fd)


def _fresh_stream(fd: int) -> TextIO:
    """A new file object on ``fd`` (or on the null device when it is closed).

    Another thread of the server may have been writing a log line at the
    fork, holding the old stream's lock: a write or flush here would wait
    for it forever. The child's error goes back through the pipe; this is for
    a stray warning and the final flush multiprocessing does.
    """
    try:
        return open(os.dup(fd), "w", closefd=True)  # noqa: SIM115 - lives as long as the child
    except OSError:
        return open(os.devnull, "w")  # noqa: SIM115


def _sendable(exc: BaseException) -> BaseException:
    """``exc`` itself with its traceback as a note when it survives pickling, else the text.

    The note carries the child's traceback into the server's log, where the
    error is raised again without it.
    """
    text = "".join(traceback.format_exception(exc))
    try:
        exc.add_note(f"raised in the import's child process:\n{text}")
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - any failure to pickle means: send the text
        return ImportChildError(f"preparing the import failed in its process:\n{text}")
    return exc
