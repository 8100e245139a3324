"""Which project modules a message passes through, traced with sys.setprofile / threading.setprofile.

The measure (tests/bot/test_pipeline_path.py):

- A *project module* is a module of the packages `bot`, `intents`, `handlers`, `knowledge` or `admin`
  (a frame's `__name__`). Every other frame (the standard library, Starlette, SQLAlchemy, Jinja2, the
  tests) is transparent.
- A *crossing* is a Python-level call (a profile "call" event, generator resumptions included) into a
  frame of project module M whose nearest project frame below it on the same thread's stack is in another
  project module N: the edge N → M. A call into M with no project frame below it on its thread (the
  server calling the app, the worker pool starting the gateway's work) is an *entry*, not a crossing.
- `calls` counts every crossing call; `edges` are the distinct N → M pairs in the order first seen;
  `entered` maps each module to the modules it was entered from. "Each module entered once" means every
  module is the target of one edge only (entered from one place), however often that edge is called.
"""
from __future__ import annotations

import sys
import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

PROJECT = ("bot", "intents", "handlers", "knowledge", "admin")
WHOLE = ("intents", "knowledge", "handlers", "admin")  # one component each: a package entered through its API
CLIENT = "bot.wechat.simclient"  # the test's WeChat stand-in: its calls are the client's, not the server's


def _project(name: str | None) -> bool:
    return bool(name) and name.split(".", 1)[0] in PROJECT


def component(module: str) -> str:
    """`intents`, `knowledge`, `handlers`, `admin` whole; in `bot`, its subpackage or module (`bot.wechat`,
    `bot.dialog`, `bot.wechat.gateway`)."""
    parts = module.split(".")
    return parts[0] if parts[0] in WHOLE else ".".join(parts[:2])


@dataclass
class Trace:
    calls: Counter = field(default_factory=Counter)      # (caller, callee) -> crossing calls
    edges: list[tuple[str, str]] = field(default_factory=list)  # distinct, in order first seen
    entries: Counter = field(default_factory=Counter)    # module -> entries from outside the project
    functions: dict = field(default_factory=dict)        # (caller, callee) -> Counter of the functions entered
    recording: bool = False

    def note(self, frame, event, arg) -> None:  # noqa: ANN001 - the profile hook
        if not self.recording or event != "call":
            return
        callee = frame.f_globals.get("__name__")
        if not _project(callee):
            return
        below = frame.f_back
        while below is not None and not _project(below.f_globals.get("__name__")):
            below = below.f_back
        client = below
        while client is not None and client.f_globals.get("__name__") != CLIENT:
            client = client.f_back
        if client is not None or callee == CLIENT:
            return
        if below is None:
            self.entries[callee] += 1
            return
        caller = below.f_globals["__name__"]
        if caller == callee:
            return
        edge = (caller, callee)
        if edge not in self.calls:
            self.edges.append(edge)
        self.calls[edge] += 1
        self.functions.setdefault(edge, Counter())[frame.f_code.co_name] += 1

    def components(self) -> Trace:
        """The same trace at component granularity (`component`): an edge inside one component is no crossing."""
        trace = Trace()
        for (caller, callee), n in self.calls.items():
            edge = (component(caller), component(callee))
            if edge[0] == edge[1]:
                continue
            if edge not in trace.calls:
                trace.edges.append(edge)
            trace.calls[edge] += n
            trace.functions.setdefault(edge, Counter()).update(self.functions.get((caller, callee), {}))
        for module, n in self.entries.items():
            trace.entries[component(module)] += n
        return trace

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def modules(self) -> list[str]:
        seen = dict.fromkeys([*self.entries, *(m for edge in self.edges for m in edge)])
        return list(seen)

    @property
    def entered(self) -> dict[str, list[str]]:
        into: dict[str, list[str]] = {}
        for caller, callee in self.edges:
            into.setdefault(callee, []).append(caller)
        return into

    def report(self) -> str:
        lines = [f"crossings: {len(self.edges)} edges, {self.total_calls} calls; modules: {len(self.modules)}; "
                 f"entries from outside: {dict(self.entries)}"]
        lines += [f"  {caller} -> {callee} x{self.calls[(caller, callee)]}: "
                  f"{', '.join(f'{name} x{n}' for name, n in self.functions.get((caller, callee), Counter()).most_common(6))}"
                  for caller, callee in self.edges]
        lines += [f"  entered from {len(v)} places: {k} <- {', '.join(v)}"
                  for k, v in self.entered.items() if len(v) > 1]
        return "\n".join(lines)


@contextmanager
def profiling() -> Iterator[Trace]:
    """A Trace hooked into this thread and every thread started inside the block; set `recording` to record."""
    trace = Trace()
    sys.setprofile(trace.note)
    threading.setprofile(trace.note)
    try:
        yield trace
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
