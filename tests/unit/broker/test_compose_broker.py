"""docker-compose.yml runs NATS with JetStream and every Arena service shares streams through it."""

from __future__ import annotations

import pathlib
from urllib.parse import urlsplit

import yaml

from arena.kit.services import SERVICES

COMPOSE = pathlib.Path(__file__).resolve().parents[3] / "docker-compose.yml"


def test_every_service_points_at_the_compose_nats_with_jetstream_and_waits_for_it():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    nats = services["nats"]
    assert nats["image"].startswith("nats:") and "-js" in nats["command"]
    assert nats["healthcheck"]["test"] and not nats.get("ports"), "healthy, and reachable inside the network only"
    for spec in SERVICES:
        service = services[spec.name]
        url = urlsplit(service["environment"]["ARENA_NATS_URL"])
        assert (url.scheme, url.hostname, url.port) == ("nats", "nats", 4222), spec.name
        assert service["depends_on"]["nats"]["condition"] == "service_healthy", spec.name
