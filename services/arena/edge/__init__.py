"""The Envoy edge, derived from the contract: Envoy configuration, endpoint files, OpenAPI."""
