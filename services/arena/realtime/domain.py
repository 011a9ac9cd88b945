"""Topics: names, who may read them, and resume tokens. No I/O, no protos."""

from __future__ import annotations

import base64
import json
import re

from arena.core.errors import InvalidArgument, PermissionDenied
from arena.core.identity import Identity

# users/<id>/...   private to that user (and admins): submissions, notifications.
# contests/<id>/... and problems/<id>/...   public: leaderboards, announcements.
_TOPIC = re.compile(r"^(users|contests|problems)/[A-Za-z0-9_-]{1,64}(/[A-Za-z0-9_.-]{1,64}){0,4}$")
MAX_TOPICS = 20


def validate_topic(topic: str, field: str = "topics") -> str:
    if not _TOPIC.match(topic):
        raise InvalidArgument.field(
            field, f"{topic[:80]!r} is not a topic name (users/<id>/..., contests/<id>/..., problems/<id>/...)"
        )
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
