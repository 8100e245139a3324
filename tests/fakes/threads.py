"""Runs one function from several threads at once, as several workers would, and reports their failures."""
from __future__ import annotations

import threading
from typing import Any, Callable


def run_in_threads(target: Callable[[int], Any], count: int, timeout: float = 60.0) -> list[Any]:
    """Call `target(n)` for n in range(count), each in its own thread, released together by a barrier;
    answers the results in order of n, and raises the first exception a thread raised."""
    start = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(n: int) -> None:
        start.wait()
        try:
            results[n] = target(n)
        except BaseException as exc:  # noqa: BLE001 - handed to the test below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if errors:
        raise errors[0]
    if any(thread.is_alive() for thread in threads):
        raise TimeoutError(f"threads still running after {timeout} s")
    return results
