"""The platform's pure vocabulary: the error tree and the caller's identity.

Standard library only (no grpc, protobuf, JWT or SQL), so every ``domain.py`` may import
it. The kit maps these values to and from the wire at the boundary (``arena.kit.status``
for errors, ``arena.kit.auth`` for tokens).
"""
