"""`nongbot serve --workers 2` as an operator runs it: real processes, real sockets, real signals.

Each worker listens on its own SO_REUSEPORT socket, so keep-alive connections spread over the workers
(with one shared socket, 26 of 32 landed on one worker); a worker that dies is replaced; SIGTERM
stops them all; a port already taken is said plainly.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from bot.wechat.simclient import WechatSim
from tests.bot.conftest import AES_KEY, APPID, TOKEN

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads sockets from /proc")

CLI = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def env(tmp_path):
    env = dict(os.environ, NONGBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}", NONGBOT_WECHAT_TOKEN=TOKEN,
               NONGBOT_WECHAT_AES_KEY=AES_KEY, NONGBOT_WECHAT_APPID=APPID, NONGBOT_SECRET_KEY="test-only")
    env.pop("NONGBOT_REDIS_URL", None)
    subprocess.run([*CLI, "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
    return env


def _children(pid: int) -> set[int]:
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.add(int(stat.parent.name))
    return out


def _sockets(port: int) -> dict[str, set[str]]:
    """State ('0A' listening, '01' established) -> inodes of the TCP sockets whose local port is `port`."""
    out: dict[str, set[str]] = {"0A": set(), "01": set()}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        cols = line.split()
        if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] in out:
            out[cols[3]].add(cols[9])
    return out


def _owned(pid: int, inodes: set[str]) -> int:
    count = 0
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                count += 1
    except OSError:
        pass
    return count


def _workers(parent: int, port: int) -> dict[int, int]:
    """Worker pid -> listening sockets it holds on `port` (children holding none are not workers)."""
    listening = _sockets(port)["0A"]
    return {pid: n for pid in _children(parent) if (n := _owned(pid, listening))}


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def _two_workers(env) -> Iterator[tuple[subprocess.Popen, int, dict[int, int]]]:
    """`nongbot serve --workers 2` up and answering: the parent, its port, the workers' listening sockets."""
    port = _free_port()
    server = subprocess.Popen([*CLI, "serve", "--workers", "2", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        workers = _wait(lambda: len(w := _workers(server.pid, port)) == 2 and w, 120, "two listening workers")
        _wait(lambda: _healthy(port), 60, "/healthz")
        yield server, port, workers
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def test_two_workers_each_listen_and_share_the_connections_then_stop_on_sigterm(env):
    with _two_workers(env) as (server, port, workers):
        assert sorted(workers.values()) == [1, 1] and len(_sockets(port)["0A"]) == 2   # a socket each, not one shared

        # 32 keep-alive connections, as WeChat's or a proxy's pool holds them
        conns = []
        for _ in range(32):
            conn = socket.create_connection(("127.0.0.1", port), timeout=10)
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert b" 200 " in conn.recv(4096)
            conns.append(conn)
        established = _sockets(port)["01"]
        shares = sorted(_owned(pid, established) for pid in workers)
        for conn in conns:
            conn.close()
        assert sum(shares) == 32
        assert shares[0] >= 5, shares   # shared by hash: fewer than 5 of 32 has odds of ~1e-5

        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=20) as http:
            reply = WechatSim(http, TOKEN, AES_KEY, APPID, openid="oWorkersTest01", mode="aes").text("你好")
        assert reply.status == 200 and reply.text   # the real app answers in the workers

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
        assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


def test_a_worker_that_dies_is_replaced(env):
    with _two_workers(env) as (server, port, first):
        time.sleep(10.5)   # past the start-up grace: a death now is a crash, not a broken start
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        now = _wait(lambda: len(w := _workers(server.pid, port)) == 2 and victim not in w and w, 120,
                    "a replacement worker")
        assert set(now) - set(first)
        assert server.poll() is None
        _wait(lambda: _healthy(port), 60, "/healthz after the replacement")


def test_workers_stop_when_their_supervisor_is_killed_outright(env):
    with _two_workers(env) as (server, _port, workers):
        server.kill()
        server.wait()
        _wait(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), 30, "the orphaned workers to stop")


def test_a_port_in_use_is_said_plainly(env):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run([*CLI, "serve", "--workers", "2", "--port", str(port)], env=env,
                                capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "already in use" in result.stderr
    assert "Traceback" not in result.stderr


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_workers_that_crash_at_start_are_restarted_with_backoff_and_the_server_never_exits(env, tmp_path):
    """The first five worker starts die at once (a database still starting, say): the supervisor keeps
    restarting them, pausing longer each time, and ends up serving with two workers."""
    marks = tmp_path / "crash"
    env = dict(env, NONGBOT_TEST_CRASH_AT_START=f"{marks}:5")
    port = _free_port()
    server = subprocess.Popen([*CLI, "serve", "--workers", "2", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait(lambda: len(_workers(server.pid, port)) == 2, 120, "two workers after the crashes")
        _wait(lambda: _healthy(port), 60, "/healthz")
        assert server.poll() is None
        assert sorted(p.name for p in tmp_path.glob("crash.*")) == [f"crash.{i}" for i in range(5)]
    finally:
        server.send_signal(signal.SIGTERM)
        _, errors = server.communicate(timeout=60)
    assert server.returncode == 0
    pauses = [line for line in errors.splitlines() if "starting another in" in line]
    assert len(pauses) == 5 and "in 2.0 s" in "".join(pauses)  # 0.5, 1, 2 … for the slot that kept dying


def test_a_worker_accepts_connections_only_once_it_can_answer_them(env):
    """A slow start (imports, the app built, the database read) happens before the socket listens: until
    then a connection is refused, and the first one accepted is answered at once — never queued behind it."""
    env = dict(env, NONGBOT_TEST_SLOW_START="3")
    port = _free_port()
    server = subprocess.Popen([*CLI, "serve", "--workers", "2", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert time.monotonic() < deadline, "no worker ever listened"
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=30)
                break
            except ConnectionRefusedError:
                time.sleep(0.02)
        with conn:
            started = time.monotonic()
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert b" 200 " in conn.recv(4096)
            assert time.monotonic() - started < 1.0
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
