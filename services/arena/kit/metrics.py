"""Prometheus metrics of one service process, served at ``/metrics`` on its web port.

Each process owns a registry (so tests can run several servers in one interpreter).
Server side, per method and transport: started and handled calls (by code), errors by
code, duration, in flight. Client side, per upstream: calls by code, duration,
breaker state and calls it refused.
"""

from __future__ import annotations

import prometheus_client as prom

# Buckets from 250 µs to 30 s: gRPC calls on loopback are sub-millisecond, judge calls take seconds.
_LATENCY_BUCKETS_S = (
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1,
    2.5,
    5,
    10,
    30,
)

BREAKER_STATE_VALUES = {"closed": 0, "open": 1, "half-open": 2}


class Metrics:
    """The metric families of one process."""

    def __init__(self, service: str, registry: prom.CollectorRegistry | None = None) -> None:
        self.service = service
        self.registry = registry or prom.CollectorRegistry()
        server_labels = ("service", "method", "transport")
        self.started = prom.Counter(
            "arena_rpc_started", "RPCs started by the server.", server_labels, registry=self.registry
        )
        self.handled = prom.Counter(
            "arena_rpc_handled",
            "RPCs completed by the server, by status code.",
            (*server_labels, "code"),
            registry=self.registry,
        )
        self.errors = prom.Counter(
            "arena_rpc_errors",
            "RPCs that ended with a non-OK status, by code.",
            (*server_labels, "code"),
            registry=self.registry,
        )
        self.duration = prom.Histogram(
            "arena_rpc_duration_seconds",
            "Server-side RPC duration.",
            server_labels,
            buckets=_LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.in_flight = prom.Gauge(
            "arena_rpc_in_flight", "RPCs being served now.", server_labels, registry=self.registry
        )
        client_labels = ("service", "upstream", "method")
        self.client_calls = prom.Counter(
            "arena_client_calls",
            "Calls to upstream services, by status code.",
            (*client_labels, "code"),
            registry=self.registry,
        )
        self.client_duration = prom.Histogram(
            "arena_client_duration_seconds",
            "Duration of calls to upstream services.",
            client_labels,
            buckets=_LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.breaker_state = prom.Gauge(
            "arena_client_breaker_state",
            "Circuit breaker state per upstream instance: 0 closed, 1 open, 2 half-open.",
            ("service", "upstream", "instance"),
            registry=self.registry,
        )
        self.breaker_rejected = prom.Counter(
            "arena_client_breaker_rejected",
            "Calls refused by an open circuit breaker.",
            ("service", "upstream"),
            registry=self.registry,
        )

    def exposition(self) -> tuple[bytes, str]:
        """The text exposition format and its content type."""
        return prom.generate_latest(self.registry), prom.CONTENT_TYPE_LATEST
