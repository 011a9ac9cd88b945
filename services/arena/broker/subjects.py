"""Platform names as NATS subject tokens.

A NATS subject is dot-separated tokens of printable characters other than ``.``, ``*`` and ``>``.
Topic names use ``/`` between parts and ``.``, ``-``, ``_`` inside them, ids are free text; each part
becomes one token with every character outside ``[A-Za-z0-9_-]`` percent-encoded (its UTF-8 bytes),
so the mapping is one-to-one and a name can never widen into a wildcard or another subject.
"""

from __future__ import annotations

import string

_SAFE = frozenset(string.ascii_letters + string.digits + "_-")


def token(part: str) -> str:
    """One subject token for any string (an empty one becomes ``%``, which no encoded text is)."""
    if not part:
        return "%"
    return "".join(c if c in _SAFE else "".join(f"%{b:02X}" for b in c.encode()) for c in part)


def topic_subject(prefix: str, topic: str) -> str:
    """``prefix`` followed by one token per ``/``-separated part of ``topic``."""
    return ".".join([prefix, *(token(part) for part in topic.split("/"))])
