"""Account rules: who a user is, what a valid registration or profile is. No I/O, no protos."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import unicodedata

from arena.core.errors import FieldViolation, InvalidArgument
from arena.core.identity import Identity
from arena.core.identity import Role as Role  # the platform's one Role enum, re-exported

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{3,32}$")
# Deliberately simple: one @, a dot in the domain, no spaces; the mailbox proves the rest.
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
EMAIL_MAX_LENGTH = 254
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 128
# Older accounts may predate a lower limit, so logins accept more, but not megabytes to hash.
LOGIN_PASSWORD_MAX_LENGTH = 1024
DISPLAY_NAME_MAX_LENGTH = 64
BIO_MAX_LENGTH = 512
COUNTRY_PATTERN = re.compile(r"^[A-Z]{2}$")
ME = "me"

# The most common leaked passwords of at least PASSWORD_MIN_LENGTH characters (lowercased).
COMMON_PASSWORDS = frozenset(
    {
        "1234567890",
        "12345678910",
        "123456789a",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "abcdefghij",
        "password12",
        "password123",
        "password1!",
        "passw0rd12",
        "qwertyuiop",
        "qwerty1234",
        "qwerty12345",
        "iloveyou12",
        "0987654321",
        "1111111111",
        "0000000000",
        "administrator",
        "letmein123",
        "welcome123",
        "changeme123",
        "superman12",
        "football12",
        "baseball12",
        "monkey1234",
        "dragon1234",
        "trustno1234",
        "sunshine12",
        "princess12",
        "starwars12",
        "zaq12wsxcde",
        "asdfghjkl1",
        "asdfghjkl;",
        "1234qwerasdf",
        "q1w2e3r4t5",
        "aa12345678",
        "abc1234567",
        "password1234",
        "mypassword1",
        "arenaarena1",
    }
)


@dataclasses.dataclass(frozen=True)
class User:
    user_id: str
    username: str
    email: str
    display_name: str
    bio: str
    country_code: str
    role: Role
    create_time: dt.datetime
    update_time: dt.datetime


@dataclasses.dataclass(frozen=True)
class Registration:
    username: str
    email: str
    password: str
    display_name: str


def may_see_private_fields(caller: Identity | None, user_id: str) -> bool:
    """Whether a caller may see an account's private fields (its email): the owner and admins."""
    return caller is not None and (caller.user_id == user_id or caller.is_admin)


def username_key(username: str) -> str:
    """The case-insensitive identity of a username (``Alice`` and ``alice`` are one account)."""
    return username.lower()


def email_key(email: str) -> str:
    return email.strip().lower()


def throttle_key(kind: str, value: str) -> str:
    """A fixed-length key for counting failed logins by account or by client address."""
    return f"{kind}:{hashlib.sha256(value.encode('utf-8', 'replace')).hexdigest()}"


def password_problem(password: str, *, username: str = "") -> str | None:
    """Why a password is not acceptable, or None."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"must be at least {PASSWORD_MIN_LENGTH} characters"
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"must be at most {PASSWORD_MAX_LENGTH} characters"
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(lowered)) < 4:
        return "is too common or too simple"
    if username and username.lower() in lowered:
        return "must not contain the username"
    return None


def _clean_text(value: str) -> str:
    """Normalized text without control characters (profiles are shown to other people)."""
    value = unicodedata.normalize("NFC", value).strip()
    return "".join(ch for ch in value if unicodedata.category(ch)[0] != "C")


def validate_registration(username: str, email: str, password: str, display_name: str) -> Registration:
    """A clean registration, or InvalidArgument listing every problem."""
    violations = []
    if not USERNAME_PATTERN.match(username):
        violations.append(FieldViolation("username", "must be 3-32 letters, digits, `_` or `-`"))
    email = email.strip()
    if len(email) > EMAIL_MAX_LENGTH or not EMAIL_PATTERN.match(email):
        violations.append(FieldViolation("email", "is not a valid email address"))
    problem = password_problem(password, username=username)
    if problem:
        violations.append(FieldViolation("password", problem))
    display_name = _clean_text(display_name) or username
    if len(display_name) > DISPLAY_NAME_MAX_LENGTH:
        violations.append(FieldViolation("display_name", f"must be at most {DISPLAY_NAME_MAX_LENGTH} characters"))
    if violations:
        reason = "WEAK_PASSWORD" if [v.field for v in violations] == ["password"] else None
        raise InvalidArgument("the registration is invalid", violations=violations, reason=reason)
    return Registration(username=username, email=email, password=password, display_name=display_name)


# Profile fields a user may change about themselves, and how each is checked.
EDITABLE_FIELDS = ("display_name", "bio", "country_code", "email")


def validate_profile_changes(changes: dict[str, str]) -> dict[str, str]:
    """Cleaned profile changes, or InvalidArgument naming every bad field."""
    cleaned: dict[str, str] = {}
    violations = []
    for field, raw in changes.items():
        if field == "display_name":
            value = _clean_text(raw)
            if not value or len(value) > DISPLAY_NAME_MAX_LENGTH:
                violations.append(
                    FieldViolation("user.display_name", f"must be 1-{DISPLAY_NAME_MAX_LENGTH} characters")
                )
        elif field == "bio":
            value = _clean_text(raw)
            if len(value) > BIO_MAX_LENGTH:
                violations.append(FieldViolation("user.bio", f"must be at most {BIO_MAX_LENGTH} characters"))
        elif field == "country_code":
            value = raw.strip().upper()
            if value and not COUNTRY_PATTERN.match(value):
                violations.append(FieldViolation("user.country_code", "must be an ISO 3166-1 alpha-2 code"))
        elif field == "email":
            value = raw.strip()
            if len(value) > EMAIL_MAX_LENGTH or not EMAIL_PATTERN.match(value):
                violations.append(FieldViolation("user.email", "is not a valid email address"))
        else:
            violations.append(FieldViolation("update_mask", f"`{field}` cannot be changed"))
            continue
        cleaned[field] = value
    if violations:
        raise InvalidArgument("the profile update is invalid", violations=violations)
    return cleaned
