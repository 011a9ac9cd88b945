"""The runtime kit every Arena service runs on: server, middleware, errors, clients, config.

Nothing service-specific lives here.
"""
