"""Prometheus metrics: messages by kind and outcome, reply latency, overruns, sheds, takeovers, errors, outbox.

One registry per process; with `serve --workers N` every worker writes to PROMETHEUS_MULTIPROC_DIR (set by
the supervisor) and a scrape of any worker reads them all.
"""
from __future__ import annotations

import os
from typing import Any, Callable

from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest)
from prometheus_client.core import GaugeMetricFamily

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
REGISTRY = CollectorRegistry(auto_describe=True)

MESSAGES = Counter("nongbot_messages", "Callbacks handled, by message kind and outcome", ["kind", "outcome"],
                   registry=REGISTRY)
REPLY_SECONDS = Histogram("nongbot_reply_seconds", "From the request's arrival to the webhook's answer",
                          buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 10.0),
                          registry=REGISTRY)
OVERRUNS = Counter("nongbot_budget_overruns", "Answers that overran the reply budget (sent later as 客服)",
                   registry=REGISTRY)
SHED = Counter("nongbot_messages_shed", "Messages shed under overload (answered 'success', handled later)",
               registry=REGISTRY)
TAKEOVERS = Counter("nongbot_takeovers", "Claims taken over from a worker that died", registry=REGISTRY)
ERRORS = Counter("nongbot_errors", "Failures by part: store, database, responder", ["part"], registry=REGISTRY)

CONTENT_TYPE = CONTENT_TYPE_LATEST


class OutboxCollector:
    """Outbox depth by status (pending, sending, dead) read at scrape time, not counted per message."""

    def __init__(self, counts: Callable[[], dict[str, int]]) -> None:
        self.counts = counts

    def describe(self) -> list[Any]:
        return [GaugeMetricFamily("nongbot_outbox_messages", "Outbox rows by status", labels=["status"])]

    def collect(self) -> Any:
        family = GaugeMetricFamily("nongbot_outbox_messages", "Outbox rows by status", labels=["status"])
        try:
            counts = self.counts()
        except Exception:  # noqa: BLE001 - a scrape must not fail because the database is down
            ERRORS.labels("database").inc()
            counts = {}
        for status in ("pending", "sending", "dead"):
            family.add_metric([status], counts.get(status, 0))
        yield family


def exposition(outbox_counts: Callable[[], dict[str, int]] | None = None) -> bytes:
    """The text a scrape gets: this process's (or, with workers, every worker's) metrics and the outbox."""
    registry = REGISTRY
    if MULTIPROCESS:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    body = generate_latest(registry)
    if outbox_counts is not None:
        extra = CollectorRegistry(auto_describe=False)
        extra.register(OutboxCollector(outbox_counts))
        body += generate_latest(extra)
    return body
