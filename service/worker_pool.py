"""Several worker processes on one port, each accepting on a socket of its own.

uvicorn's ``--workers`` (and gunicorn's) binds one listening socket in the
parent and hands it to every worker. They all wait on it, and the first to
wake accepts every connection queued at that moment. A client that opens its
keep-alive connections in one burst (a load balancer's pool, a load
generator, a browser's six) is then served by that one worker for as long as
the connections live, while the others sit idle: measured on PostGIS with
two workers and 20 clients, 20 of the 20 connections went to one worker and
the pair served fewer requests than one worker alone.

With ``SO_REUSEPORT`` (Linux 3.9+) each worker binds a socket of its own to
the same port and the kernel spreads new connections over them by a hash of
the addresses, so every worker gets its share. No server we use offers a
socket per worker, hence this small supervisor: it starts the workers, puts
a new one in the place of one that dies, and stops them all on SIGTERM or
SIGINT. Elsewhere (macOS, Windows: their SO_REUSEPORT does not balance) it
hands over to uvicorn's own supervisor. SIGHUP replaces the workers one by one,
as uvicorn's does.

The supervisor binds each slot's socket and keeps it, and a worker listens on
it only once its app has started (asyncio listens when it starts serving), so
no connection waits in the queue of a worker that is still starting. SIGHUP
hands the slot's socket, queue and all, to the replacement: the connections
the old worker had not yet accepted are the new one's, not reset. A worker
stopping finishes what it has accepted, including a connection whose request
is still on its way (`_DrainingServer`).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import wait as wait_for_any
from multiprocessing.context import SpawnProcess
from multiprocessing.synchronize import Event as EventType
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

log = logging.getLogger("uvicorn.error")

# A worker stopped with SIGTERM finishes the requests it has; past this, it is killed.
STOP_GRACE_S = 30.0
# How often the supervisor looks for a worker that died, and a worker for its supervisor.
WATCH_INTERVAL_S = 0.5
ORPHAN_CHECK_S = 1.0
# A worker started by SIGHUP must serve within this, or the running ones are kept.
START_TIMEOUT_S = 120.0
# A stopping worker has stopped accepting; a connection it accepted just before
# gets this long for its request to arrive and be served. uvicorn closes every
# connection with no request in progress at once, and a client whose request
# was already on its way saw "Server disconnected without sending a response".
ACCEPTED_GRACE_S = 0.5

_spawn = multiprocessing.get_context("spawn")


def balances_connections() -> bool:
    """Whether the kernel spreads connections over sockets that share a port (Linux)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def run_workers(config_kwargs: dict[str, Any], workers: int) -> int:
    """Serve with ``workers`` processes until SIGTERM or SIGINT; the exit status.

    ``config_kwargs`` are ``uvicorn.Config``'s (the app as an import string).
    """
    if workers <= 1 or not balances_connections():
        uvicorn.run(**config_kwargs, workers=workers)
        return 0
    config = uvicorn.Config(**config_kwargs)
    # Fail at once, with the port's own error, when something else holds the port:
    # binding with SO_REUSEPORT alone would quietly share it with another server of ours.
    config.port = _free_or_raise(config.host, config.port)
    return _Supervisor(config, workers).run()


def shareable_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` that other workers' sockets may share.

    Not listening yet: the kernel sends it connections only once a worker
    serves on it (asyncio's ``create_server`` calls ``listen``).
    """
    return _bound_socket(host, port, reuse_port=True)


def _free_or_raise(host: str, port: int) -> int:
    """The port to serve on (a free one for port 0); OSError when it is taken."""
    # Without SO_REUSEPORT, the probe's bind fails while anything listens there.
    with _bound_socket(host, port, reuse_port=False) as probe:
        return int(probe.getsockname()[1])


def _bound_socket(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def _worker_main(config: uvicorn.Config, sock: socket.socket, serving: EventType) -> None:
    """One worker: import the app, then serve on ``sock``, its slot's socket.

    The socket listens only once the app's start-up is over, so the kernel
    sends no connection to a worker that is still starting (a replacement's
    imports take seconds). ``serving`` is set once the server accepts
    connections.
    """
    config.configure_logging()
    _stop_when_orphaned(os.getppid())
    try:
        config.load()  # logs why and exits 1 when the app cannot be imported or built
    except (SystemExit, Exception) as exc:
        log.error("Worker could not start: %s", exc)
        # The status uvicorn gives a failed start-up: the supervisor stops instead of looping.
        sys.exit(STARTUP_FAILURE)
    server = _DrainingServer(config)
    _signal_when_serving(server, serving)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # the terminal's Ctrl-C reaches every worker; not an error
        pass


class _DrainingServer(uvicorn.Server):
    """uvicorn's server, stopping without dropping a connection it has just accepted.

    uvicorn stops accepting and, in the same step, closes every connection
    with no request in progress, including one accepted a moment before whose
    request has not been read yet. Here the accepting stops first, and those
    connections get `ACCEPTED_GRACE_S` to send it; uvicorn's shutdown follows.
    """

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            # This process's descriptor only: the supervisor keeps the socket,
            # and after SIGHUP the replacement accepts what is queued on it.
            sock.close()
        await asyncio.sleep(ACCEPTED_GRACE_S)
        await super().shutdown()


def _signal_when_serving(server: uvicorn.Server, serving: EventType) -> None:
    def watch() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            serving.set()

    threading.Thread(target=watch, name="serving-watch", daemon=True).start()


def _stop_when_orphaned(parent: int) -> None:
    """Stop this worker (gracefully, as SIGTERM does) once its supervisor is gone.

    A supervisor killed outright (SIGKILL, the OOM killer) cannot stop its
    workers, and orphans would keep the port: a restarted service would then
    share it with them, old code and all.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(ORPHAN_CHECK_S)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()


@dataclass(frozen=True)
class _Worker:
    process: SpawnProcess
    # Set by the worker once it serves. Held here as long as the process: the
    # worker opens it by name when it starts, so it must outlive that moment.
    serving: EventType


class _Supervisor:
    def __init__(self, config: uvicorn.Config, workers: int) -> None:
        self.config = config
        self.slots: list[_Worker] = []
        # Slot i's socket, held for as long as the slot's worker lives and handed
        # to its replacement on SIGHUP.
        self.sockets: list[socket.socket] = []
        self.workers = workers
        self.stop = threading.Event()
        self.reload = threading.Event()
        self.status = 0

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop.set())
        # As uvicorn's supervisor: SIGHUP replaces the workers one by one (new code, new settings).
        signal.signal(signal.SIGHUP, lambda *_: self.reload.set())
        log.info("Serving on port %d with %d workers", self.config.port, self.workers)
        self.sockets = [self._socket() for _ in range(self.workers)]
        self.slots = [self._start(sock) for sock in self.sockets]
        while not self.stop.is_set():
            # Woken at once when a worker exits: its socket is closed before the
            # kernel queues more connections on it for nobody to accept.
            wait_for_any([w.process.sentinel for w in self.slots], timeout=WATCH_INTERVAL_S)
            self._replace_the_dead()
            if self.reload.is_set() and not self.stop.is_set():
                self.reload.clear()
                self._replace_all()
        # The workers alone hold the sockets now: each closes as its worker stops
        # accepting, and no connection queues where nobody will accept it.
        for sock in self.sockets:
            sock.close()
        _stop([w.process for w in self.slots])
        return self.status

    def _socket(self) -> socket.socket:
        return shareable_socket(self.config.host, self.config.port)

    def _start(self, sock: socket.socket) -> _Worker:
        serving = _spawn.Event()
        process = _spawn.Process(
            target=_worker_main, args=(self.config, sock, serving), daemon=False
        )
        process.start()
        return _Worker(process, serving)

    def _replace_all(self) -> None:
        """Each worker in turn: its replacement serves on the same socket before it is stopped.

        The port never closes, and the connections queued on the socket when
        the old worker stops are accepted by the new one.
        """
        for i, old in enumerate(self.slots):
            new = self._start(self.sockets[i])
            deadline = time.monotonic() + START_TIMEOUT_S
            while not new.serving.wait(WATCH_INTERVAL_S):
                if self.stop.is_set() or not new.process.is_alive() or time.monotonic() > deadline:
                    log.error("A new worker did not start; keeping the running ones.")
                    _stop([new.process])
                    return
            _stop([old.process])
            self.slots[i] = new

    def _replace_the_dead(self) -> None:
        for i, worker in enumerate(self.slots):
            if worker.process.is_alive():
                continue
            worker.process.join()
            # Its queue goes with it: those connections are reset, and from now on
            # the kernel sends new ones to the sockets that are served.
            self.sockets[i].close()
            pid, status = worker.process.pid, worker.process.exitcode
            if not worker.serving.is_set() and status is not None and status >= 0:
                # It ended by itself before it served (a signal gives a negative status):
                # the app, its settings or its database cannot start, and a new
                # worker would fail the same way. Stop, as uvicorn does.
                log.error("Worker %s failed to start (exit %s); stopping.", pid, status)
                self.status = STARTUP_FAILURE
                self.stop.set()
                return
            log.warning("Worker %s died (exit %s); starting another.", pid, status)
            self.sockets[i] = self._socket()
            self.slots[i] = self._start(self.sockets[i])


def _stop(processes: list[SpawnProcess]) -> None:
    """SIGTERM (a worker finishes the requests it has), then SIGKILL after the grace."""
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(STOP_GRACE_S)
        if process.is_alive():
            process.kill()
            process.join()
