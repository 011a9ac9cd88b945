"""Topics: names, who may read them, what may be published, and resume tokens. No I/O, no protos."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from collections.abc import Callable, Iterable
from typing import TypeAlias

from arena.core.errors import InvalidArgument, PermissionDenied
from arena.core.identity import Identity

# users/<id>/...   private to that user (and admins): submissions, notifications.
# contests/<id>/... and problems/<id>/...   public: leaderboards, announcements.
_TOPIC = re.compile(r"^(users|contests|problems)/[A-Za-z0-9_-]{1,64}(/[A-Za-z0-9_.-]{1,64}){0,4}$")
MAX_TOPICS = 20
MAX_EVENT_TYPE_CHARS = 64
MAX_PAYLOAD_BYTES = 64 * 1024

Render: TypeAlias = Callable[[int], bytes]
"""Builds a published message's bytes for its sequence number; called once per publication."""


@dataclasses.dataclass(frozen=True)
class Delivery:
    """One published message as every subscriber receives it: its place in its topic and its bytes.

    ``payload`` is opaque here: rendered once per publication by the transport (a serialized
    response holding just the message), shared by every subscriber.
    """

    topic: str
    sequence: int
    payload: bytes


def validate_topic(topic: str, field: str = "topics") -> str:
    if not _TOPIC.match(topic):
        raise InvalidArgument.field(
            field, f"{topic[:80]!r} is not a topic name (users/<id>/..., contests/<id>/..., problems/<id>/...)"
        )
    return topic


def validate_topics(topics: Iterable[str]) -> tuple[str, ...]:
    """A subscription's topics: each valid, duplicates dropped (first place kept), at most ``MAX_TOPICS``."""
    unique = tuple(dict.fromkeys(validate_topic(t) for t in topics))
    if len(unique) > MAX_TOPICS:
        raise InvalidArgument.field("topics", f"at most {MAX_TOPICS} topics per subscription")
    return unique


def validate_publication(topic: str, event_type: str, payload_bytes: int) -> str:
    """What a publisher may send: a topic name, a short event type, a bounded payload; the topic."""
    validate_topic(topic, "topic")
    if len(event_type) > MAX_EVENT_TYPE_CHARS:
        raise InvalidArgument.field("event_type", f"must be at most {MAX_EVENT_TYPE_CHARS} characters")
    if payload_bytes > MAX_PAYLOAD_BYTES:
        raise InvalidArgument.field("payload", f"must be at most {MAX_PAYLOAD_BYTES} bytes serialized")
    return topic


def check_readable(topic: str, caller: Identity | None) -> None:
    """Private topics (``users/<id>/...``) are readable by that user and admins only."""
    kind, owner = topic.split("/", 2)[:2]
    if kind != "users":
        return
    if caller is None or (caller.user_id != owner and not caller.is_admin):
        raise PermissionDenied(f"topic {topic!r} belongs to another user", reason="TOPIC_FORBIDDEN")


def encode_resume_token(positions: dict[str, int]) -> str:
    raw = json.dumps(positions, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_resume_token(token: str) -> dict[str, int]:
    if not token:
        return {}
    try:
        if len(token) > 8192:
            raise ValueError("too long")
        positions = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(positions, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and v >= 0 for k, v in positions.items()
        ):
            raise ValueError("bad shape")
    except (ValueError, TypeError):
        raise InvalidArgument.field("resume_token", "is not a resume token from this service") from None
    return positions
