"""`nongbot serve --workers N`: N uvicorn processes, each listening on its own SO_REUSEPORT socket.

uvicorn's own `--workers` shares one listening socket between the processes, and the kernel hands a
new connection to whichever process wakes first. WeChat and a reverse proxy keep their connections
alive, so the split made at accept time lasts: measured with 32 keep-alive connections, 26 went to
one worker, which did most of the work while the other idled, and two workers answered no more
than one. A socket per worker in one SO_REUSEPORT group makes the kernel spread connections over
the workers by their addresses.

The parent only supervises: it checks the port is free, starts the workers, restarts any that dies,
and stops them all on SIGINT/SIGTERM. It never exits because a worker crashed: a worker that dies soon
after its start (a database not reachable yet, a bad deploy being rolled back) is restarted after a
pause that doubles with each quick death (0.5 s up to 30 s), back to no pause once one has run a while.
A worker listens only once it can serve: the app imported and built (which reads the database) first,
then the socket; until then the kernel refuses its connections rather than queueing them unanswered.
"""
from __future__ import annotations

import errno
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from typing import Any

log = logging.getLogger(__name__)

BACKLOG = 2048            # uvicorn's default
STARTUP_GRACE_SECONDS = 10.0  # a worker dying sooner than this after its start died "quickly": back off
BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 30.0
STOP_WAIT_SECONDS = 15.0      # a worker gets this long to finish its callbacks before it is killed


class PortInUse(RuntimeError):
    pass


def listen(host: str, port: int, reuse_port: bool = True) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(f"{host}:{port} is already in use") from exc
        raise
    sock.listen(BACKLOG)
    return sock


def _worker(app: str, host: str, port: int, options: dict[str, Any]) -> None:
    _test_start_hooks()
    import uvicorn

    threading.Thread(target=_stop_when_orphaned, args=(os.getppid(),), name="nongbot-orphan-watch",
                     daemon=True).start()
    config = uvicorn.Config(app, host=host, port=port, **options)
    config.load()  # the app imported and built (it reads the database) before the socket listens
    uvicorn.Server(config).run(sockets=[listen(host, port)])


def _test_start_hooks() -> None:
    """Tests only. NONGBOT_TEST_CRASH_AT_START=PATH:N: the first N worker starts (counted by files PATH.0 …
    PATH.N-1, across processes) exit at once with status 3. NONGBOT_TEST_SLOW_START=SECONDS: each worker
    starts that much later, as a slow import would."""
    crash = os.environ.get("NONGBOT_TEST_CRASH_AT_START", "")
    if ":" in crash:
        path, count = crash.rsplit(":", 1)
        for index in range(int(count)):
            try:
                os.close(os.open(f"{path}.{index}", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                continue
            os._exit(3)
    slow = os.environ.get("NONGBOT_TEST_SLOW_START")
    if slow:
        time.sleep(float(slow))


def _stop_when_orphaned(parent: int) -> None:
    """A worker whose supervisor was killed outright (SIGKILL, OOM) shuts down gracefully instead of
    serving on, unsupervised, on a port a new supervisor could not then take."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)


def run_workers(app: str, host: str, port: int, workers: int, **options: Any) -> int:
    """Serve the ASGI app at import path `app` with `workers` processes; the exit status when stopped."""
    # Bound without SO_REUSEPORT, the probe fails on any listener, also an old server's reuse-port
    # group, which this one would otherwise silently join and share the traffic with.
    listen(host, port, reuse_port=False).close()
    spawn = multiprocessing.get_context("spawn")  # no copy of the parent's state, as uvicorn does it
    stopping: list[int] = []

    def start() -> tuple[Any, float]:
        process = spawn.Process(target=_worker, args=(app, host, port, options), name="nongbot-worker")
        process.start()
        return process, time.monotonic()

    def stop(signum: int, _frame: Any) -> None:
        stopping.append(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    slots = [_Slot(*start()) for _ in range(workers)]
    try:
        while not stopping:
            time.sleep(0.2)
            now = time.monotonic()
            for slot in slots:
                if stopping:
                    break
                if slot.process is not None:
                    if slot.process.is_alive():
                        continue
                    pause = slot.died(now)
                    log.error("worker %s exited with %s; starting another in %.1f s", slot.process.pid,
                              slot.process.exitcode, pause)
                    slot.process = None
                if now >= slot.restart_at:
                    slot.process, slot.started = start()
    finally:
        alive = [slot.process for slot in slots if slot.process is not None]
        for process in alive:
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        for process in alive:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


class _Slot:
    """One worker's place: its process, when it started, and how many times in a row it died quickly."""

    def __init__(self, process: Any, started: float) -> None:
        self.process: Any = process
        self.started = started
        self.quick_deaths = 0
        self.restart_at = 0.0

    def died(self, now: float) -> float:
        """Note a death now; the pause before the next start (none after a worker that ran a while)."""
        self.quick_deaths = self.quick_deaths + 1 if now - self.started < STARTUP_GRACE_SECONDS else 0
        pause = 0.0 if not self.quick_deaths else min(BACKOFF_MAX_SECONDS,
                                                      BACKOFF_FIRST_SECONDS * 2 ** (self.quick_deaths - 1))
        self.restart_at = now + pause
        return pause
