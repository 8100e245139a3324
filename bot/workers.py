"""`nongbot serve --workers N`: N uvicorn processes, each listening on its own SO_REUSEPORT socket.

uvicorn's own `--workers` shares one listening socket between the processes, and the kernel hands a
new connection to whichever process wakes first. WeChat and a reverse proxy keep their connections
alive, so the split made at accept time lasts: measured with 32 keep-alive connections, 26 went to
one worker, which did most of the work while the other idled, and two workers answered no more
than one. A socket per worker in one SO_REUSEPORT group makes the kernel spread connections over
the workers by their addresses.

The parent only supervises: it checks the port is free, starts the workers, restarts one that dies
after it had started, and stops them all on SIGINT/SIGTERM. A worker that dies right after starting
would die again: then the parent stops everything and exits non-zero.
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
STARTUP_GRACE_SECONDS = 10.0  # a worker dying sooner than this after its start is not restarted
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
    import uvicorn

    threading.Thread(target=_stop_when_orphaned, args=(os.getppid(),), name="nongbot-orphan-watch",
                     daemon=True).start()
    config = uvicorn.Config(app, host=host, port=port, **options)
    uvicorn.Server(config).run(sockets=[listen(host, port)])


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
    running = [start() for _ in range(workers)]
    status = 0
    try:
        while not stopping:
            time.sleep(0.2)
            for index, (process, started) in enumerate(running):
                if process.is_alive() or stopping:
                    continue
                if time.monotonic() - started < STARTUP_GRACE_SECONDS:
                    log.error("worker %s exited with %s while starting; stopping", process.pid, process.exitcode)
                    stopping.append(0)
                    status = 1
                    break
                log.warning("worker %s exited with %s; starting another", process.pid, process.exitcode)
                running[index] = start()
    finally:
        for process, _ in running:
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        for process, _ in running:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status
