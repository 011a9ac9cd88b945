# Consul for docker-compose: a single server agent with the UI. Arena's services register themselves over
# its HTTP API (ARENA_CONSUL_HTTP_ADDR=consul:8500) with a gRPC health check, and the EDS watcher reads the
# health API. Not dev mode: the data directory (/consul/data, set by the image's entrypoint, a named
# volume) keeps registrations across a Consul restart. No ACLs: the agent is reachable only on the compose
# network, and its UI only from 127.0.0.1 on the host.

node_name        = "arena-consul"
datacenter       = "arena"
server           = true
bootstrap_expect = 1

# The HTTP API (8500) for the other containers and the published UI.
client_addr = "0.0.0.0"

# The container sits on two networks (backend, front), so it has two private IPs: name the one to
# advertise, or Consul refuses to start ("Multiple private IPv4 addresses found").
bind_addr      = "0.0.0.0"
advertise_addr = "{{ GetPrivateIP }}"

ui_config {
  enabled = true
}

# No calls home (checkpoint-api.hashicorp.com): nothing here needs the internet.
disable_update_check = true
enable_script_checks = false

log_level = "INFO"
