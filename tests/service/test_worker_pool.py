"""`territory serve --workers N`: every worker takes its share of the connections.

Driven as an operator runs it: the real command in a subprocess on a real
port, connections opened in one burst like a load balancer's pool, a worker
killed or stopped dead, every worker replaced (SIGHUP) under clients whose
requests are on their way, the supervisor stopped. Which worker holds a connection is read
from /proc (the socket inodes each process holds), not from the server.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.worker_pool import balances_connections
from tests.conftest import ADMIN_TOKEN
from tests.live_server import REPO

pytestmark = pytest.mark.skipif(
    not balances_connections(), reason="SO_REUSEPORT balances connections on Linux only"
)

SERVE = "import sys; from service.cli import main; sys.exit(main(sys.argv[1:]))"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(tmp_path: Path, port: int, workers: int = 2) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "TERRITORY_DATABASE_URL": f"sqlite:///{tmp_path / 'pool.db'}",
        "TERRITORY_BOOTSTRAP_ADMIN_TOKEN": ADMIN_TOKEN,
        # No travel figures planned and written after start-up: a worker these tests
        # stop (SIGSTOP) while it writes them holds SQLite's write lock, and the
        # replacement's Store.open then waits for it and fails (seen once in CI: the
        # other worker's warm-up of an empty database took 120.9 s).
        "TERRITORY_WARM_TRAVEL_FIGURES": "false",
    }
    argv = ["serve", "--port", str(port), "--workers", str(workers)]
    # The server's log goes to a file: a pipe nobody reads until the end fills
    # after a few hundred requests, and then every worker blocks on its next line.
    with (tmp_path / "server.log").open("w") as log:
        return subprocess.Popen(
            [sys.executable, "-c", SERVE, *argv],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = _free_port()
    proc = _start(tmp_path, port)
    try:
        _wait_for_workers(proc, port, 2)
        yield proc, port
    finally:
        _stop(proc)
        print((tmp_path / "server.log").read_text()[-5000:])  # shown when a test fails


def _stop(proc: subprocess.Popen[str]) -> None:
    children = _children(proc.pid)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
    for child in children:
        if Path(f"/proc/{child}").exists():
            os.kill(child, signal.SIGKILL)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _sockets_on_port(port: int, state: str) -> set[int]:
    """Inodes of the TCP sockets on local ``port`` in ``state`` (0A listening, 01 established)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                inodes.add(int(fields[9]))
    return inodes


def _held_by(pid: int, inodes: set[int]) -> int:
    return len(_held_inodes(pid) & inodes)


def _listening_workers(proc: subprocess.Popen[str], port: int) -> dict[int, int]:
    """The pid of each worker listening on ``port``, and how many listening sockets it holds.

    (The supervisor's other child, multiprocessing's resource tracker, holds none.)
    """
    listening = _sockets_on_port(port, "0A")
    held = {pid: _held_by(pid, listening) for pid in _children(proc.pid)}
    return {pid: n for pid, n in held.items() if n}


def _wait_for_workers(proc: subprocess.Popen[str], port: int, n: int) -> dict[int, int]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the supervisor exited"
        ready = _listening_workers(proc, port)
        if len(ready) == n:
            return ready
        time.sleep(0.2)
    pytest.fail(f"{n} workers never listened: {_listening_workers(proc, port)}")


def _get(sock: socket.socket, path: str = "/healthz") -> bytes:
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
    reply = b""
    while b"\r\n\r\n" not in reply:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection"
        reply += chunk
    return reply.split(b"\r\n", 1)[0]


def test_each_worker_listens_on_a_socket_of_its_own(
    pool: tuple[subprocess.Popen[str], int],
) -> None:
    proc, port = pool
    held = _listening_workers(proc, port)
    assert sorted(held.values()) == [1, 1]
    # Two sockets, not one shared: the kernel chooses between them per connection.
    assert len(_sockets_on_port(port, "0A")) == 2


def test_a_burst_of_keep_alive_connections_reaches_every_worker(
    pool: tuple[subprocess.Popen[str], int],
) -> None:
    proc, port = pool
    conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
    try:
        assert {_get(c) for c in conns} == {b"HTTP/1.1 200 OK"}
        established = _sockets_on_port(port, "01")
        per_worker = [_held_by(pid, established) for pid in _listening_workers(proc, port)]
    finally:
        for c in conns:
            c.close()
    assert sum(per_worker) == 20
    # Spread by a hash of the addresses: one worker with fewer than 2 of the 20
    # happens about 4 times in 100,000 runs. uvicorn's shared socket gave one worker all 20.
    assert min(per_worker) >= 2, per_worker


def test_a_killed_worker_is_replaced_and_the_port_keeps_answering(
    pool: tuple[subprocess.Popen[str], int],
) -> None:
    proc, port = pool
    victim = next(iter(_listening_workers(proc, port)))
    its_socket = _listening_sockets_of(victim, port)
    os.kill(victim, signal.SIGKILL)
    # Connections already queued on its socket when it dies are reset (SO_REUSEPORT
    # gives each socket its own queue). The supervisor closes the socket at once,
    # and from then on the kernel sends none there.
    deadline = time.monotonic() + 10
    while its_socket & _sockets_on_port(port, "0A"):
        assert time.monotonic() < deadline, "the dead worker's socket kept listening"
        time.sleep(0.01)
    answered = _answers_until_replaced(proc, port, {victim}, within_s=90)
    assert set(answered) == {200}
    assert proc.poll() is None


def test_sighup_replaces_every_worker_while_the_port_keeps_answering(
    pool: tuple[subprocess.Popen[str], int],
) -> None:
    proc, port = pool
    old = set(_listening_workers(proc, port))
    proc.send_signal(signal.SIGHUP)
    answered = _answers_until_replaced(proc, port, old, within_s=180)
    assert set(answered) == {200} and len(answered) > 10
    assert proc.poll() is None


def test_sighup_hands_each_socket_to_its_replacement(
    pool: tuple[subprocess.Popen[str], int],
) -> None:
    proc, port = pool
    old = set(_listening_workers(proc, port))
    sockets = _sockets_on_port(port, "0A")
    proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 180
    while not ((workers := set(_listening_workers(proc, port))) and not workers & old):
        # A replacement starting has no socket listening of its own: the kernel
        # queues nothing for it before it serves.
        assert _sockets_on_port(port, "0A") == sockets
        assert time.monotonic() < deadline, "the workers were not replaced"
        time.sleep(0.05)
    _wait_for_workers(proc, port, 2)
    assert _sockets_on_port(port, "0A") == sockets


def test_connections_queued_for_a_stuck_worker_are_served_by_its_replacement(
    pool: tuple[subprocess.Popen[str], int],
) -> None:
    proc, port = pool
    stuck = next(iter(_listening_workers(proc, port)))
    os.kill(stuck, signal.SIGSTOP)
    try:
        conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
        for c in conns:
            c.settimeout(120)
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        queued_for_stuck = _sockets_on_port(port, "01") - _established_held_by_workers(proc, port)
        # Their handshakes are done, their requests sent, nobody has accepted them.
        assert queued_for_stuck, "no connection was queued for the stopped worker"
        proc.send_signal(signal.SIGHUP)
        replies = [_reply_status(c) for c in conns]
    finally:
        os.kill(stuck, signal.SIGCONT)
    assert replies == [b"HTTP/1.1 200 OK"] * 20
    for c in conns:
        c.close()


def test_sighup_serves_a_request_still_on_its_way_to_a_stopping_worker(
    pool: tuple[subprocess.Popen[str], int],
) -> None:
    """Clients that connect and send their request a moment later, across every stop."""
    proc, port = pool
    old = set(_listening_workers(proc, port))
    outcomes: list[bytes | str] = []
    done = threading.Event()

    def client() -> None:
        while not done.is_set():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=30) as c:
                    time.sleep(0.2)
                    c.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                    outcomes.append(_reply_status(c))
            except OSError as exc:
                outcomes.append(repr(exc))

    clients = [threading.Thread(target=client) for _ in range(4)]
    for t in clients:
        t.start()
    try:
        proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 180
        while (workers := set(_listening_workers(proc, port))) & old or len(workers) != 2:
            assert time.monotonic() < deadline, "the workers were not replaced"
            time.sleep(0.1)
        time.sleep(1.0)  # the last worker stopped has drained
    finally:
        done.set()
        for t in clients:
            t.join()
    assert len(outcomes) > 20
    assert set(outcomes) == {b"HTTP/1.1 200 OK"}, [o for o in outcomes if o != b"HTTP/1.1 200 OK"]


def _listening_sockets_of(pid: int, port: int) -> set[int]:
    return _held_inodes(pid) & _sockets_on_port(port, "0A")


def _established_held_by_workers(proc: subprocess.Popen[str], port: int) -> set[int]:
    held: set[int] = set()
    for pid in _children(proc.pid):
        held |= _held_inodes(pid)
    return held & _sockets_on_port(port, "01")


def _held_inodes(pid: int) -> set[int]:
    """The inodes of the sockets ``pid`` holds (none once it has exited)."""
    inodes: set[int] = set()
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return inodes
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def _reply_status(sock: socket.socket) -> bytes:
    reply = b""
    while b"\r\n" not in reply:
        chunk = sock.recv(65536)
        if not chunk:
            return b"closed: " + reply
        reply += chunk
    return reply.split(b"\r\n", 1)[0]


def _answers_until_replaced(
    proc: subprocess.Popen[str], port: int, replaced: set[int], *, within_s: float
) -> list[int]:
    """Statuses of /healthz on new connections until two workers, none of ``replaced``, listen."""
    answered = []
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        answered.append(httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code)
        workers = set(_listening_workers(proc, port))
        if len(workers) == 2 and not workers & replaced:
            return answered
        time.sleep(0.05)
    pytest.fail(f"the workers {replaced} were not replaced: {_listening_workers(proc, port)}")


def test_sigterm_stops_the_supervisor_and_every_worker(
    pool: tuple[subprocess.Popen[str], int],
) -> None:
    proc, port = pool
    workers = list(_listening_workers(proc, port))
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0
    assert all(_gone(pid) for pid in workers)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=5)


def test_workers_stop_by_themselves_when_the_supervisor_is_killed(
    pool: tuple[subprocess.Popen[str], int],
) -> None:
    proc, port = pool
    workers = list(_listening_workers(proc, port))
    proc.kill()
    proc.wait(30)
    deadline = time.monotonic() + 60
    while not all(_gone(pid) for pid in workers):
        assert time.monotonic() < deadline, "orphaned workers kept running"
        time.sleep(0.2)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=5)


def _gone(pid: int) -> bool:
    """Exited: no process, or a zombie its new parent has not reaped yet."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_a_taken_port_is_refused_at_once_with_the_reason(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        proc = _start(tmp_path, taken.getsockname()[1])
        proc.wait(timeout=60)
    err = (tmp_path / "server.log").read_text()
    assert proc.returncode == 1
    assert "Cannot listen on 127.0.0.1" in err and "in use" in err


def test_a_worker_that_cannot_start_stops_the_supervisor_instead_of_looping(
    tmp_path: Path,
) -> None:
    port = _free_port()
    (tmp_path / "pool.db").mkdir()  # the database path is a directory: no worker can open it
    proc = _start(tmp_path, port)
    try:
        proc.wait(timeout=120)
    finally:
        proc.kill()
    err = (tmp_path / "server.log").read_text()
    assert proc.returncode != 0
    assert err.count("failed to start") == 1, err
