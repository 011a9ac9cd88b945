"""AIP-158 pagination: page sizes with defaults and caps, opaque page tokens.

A page token carries the position after the last item (a keyset cursor, not an
offset, so pages stay stable while rows are added) and a fingerprint of the query's
filters: a token used with different filters is rejected instead of giving a wrong page.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from arena.kit.errors import InvalidArgument


def page_size(requested: int, *, default: int = 50, maximum: int = 100) -> int:
    """The page size to use: the default for 0, capped at the maximum; negative is an error."""
    if requested < 0:
        raise InvalidArgument.field("page_size", "must not be negative")
    if requested == 0:
        return default
    return min(requested, maximum)


def _fingerprint(filters: Mapping[str, Any]) -> str:
    canonical = json.dumps(filters, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode_token(cursor: list[Any], filters: Mapping[str, Any]) -> str:
    payload = json.dumps({"c": cursor, "f": _fingerprint(filters)}, default=str, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode()


def decode_token(token: str, filters: Mapping[str, Any]) -> list[Any] | None:
    """The cursor in a page token (None for the first page); INVALID_ARGUMENT when it is not ours."""
    if not token:
        return None
    try:
        if len(token) > 1024:
            raise ValueError("too long")
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        cursor, fingerprint = payload["c"], payload["f"]
        if not isinstance(cursor, list):
            raise ValueError("bad cursor")
    except (ValueError, KeyError, TypeError):
        raise InvalidArgument.field("page_token", "is not a valid page token", reason="INVALID_PAGE_TOKEN") from None
    if fingerprint != _fingerprint(filters):
        raise InvalidArgument.field("page_token", "belongs to a query with other filters", reason="INVALID_PAGE_TOKEN")
    return cursor


def keyset_cursor(cursor: list[Any], *kinds: type) -> list[Any]:
    """A decoded cursor checked against the kinds of its keyset columns (``str``, ``int`` or
    ``datetime``, carried as ISO text); datetimes come back parsed.

    Page tokens are opaque but not signed: a client can hand-craft one, and a cursor of the
    wrong shape must be INVALID_ARGUMENT, not a failed query.
    """
    try:
        if len(cursor) != len(kinds):
            raise ValueError("wrong length")
        checked = []
        for value, kind in zip(cursor, kinds, strict=True):
            if kind is dt.datetime:
                if type(value) is not str:
                    raise ValueError("not a time")
                value = dt.datetime.fromisoformat(value)
            elif type(value) is not kind:
                raise ValueError("wrong type")
            checked.append(value)
    except (ValueError, TypeError):
        raise InvalidArgument.field("page_token", "is not a valid page token", reason="INVALID_PAGE_TOKEN") from None
    return checked
