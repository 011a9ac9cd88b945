"""Identifiers: time-ordered, random, URL-safe.

32 lowercase hex characters: 48 bits of milliseconds since the epoch, then 80 random
bits. Newer ids sort after older ones (useful for "newest first" pages and index
locality) and cannot be guessed from each other.
"""

from __future__ import annotations

import secrets
import time


def new_id() -> str:
    return f"{int(time.time() * 1000):012x}{secrets.token_hex(10)}"
