"""Consul: discovery through its health API and registration with its agent.

Optional infrastructure, outside the kit: it implements the kit's ``Discovery`` and
``Registrar`` protocols, and ``arena.wiring`` uses it when ``ARENA_CONSUL_HTTP_ADDR`` is set.
"""

from arena.consul.client import call_in_daemon_thread, consul_client, go_duration, parse_consul_address
from arena.consul.discovery import ConsulDiscovery, instances_from_health
from arena.consul.registration import ConsulRegistrar, ConsulRegistrationError, RegistrationSettings, registration

__all__ = [
    "ConsulDiscovery",
    "ConsulRegistrar",
    "ConsulRegistrationError",
    "RegistrationSettings",
    "call_in_daemon_thread",
    "consul_client",
    "go_duration",
    "instances_from_health",
    "parse_consul_address",
    "registration",
]
