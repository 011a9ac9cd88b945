"""Arena: the backend of an AI-powered coding platform, as gRPC services behind Envoy."""
