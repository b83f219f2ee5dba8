"""Prometheus metrics, served at GET /metrics.

Counters are per process (each gunicorn worker keeps its own); scrape each dyno, or read the
outcome counts from the logs, where every answer has one dotted line.
"""
from __future__ import annotations

from prometheus_client import Counter

WEBHOOKS = Counter(
    "escalator_webhooks_total",
    "Zendesk webhook requests by outcome (accepted, duplicate, ignored, invalid-signature, ...)",
    ["outcome"],
)
