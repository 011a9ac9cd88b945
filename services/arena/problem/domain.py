"""Problems: what a valid problem is, who may see and change it. No I/O, no protos."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import re
import unicodedata

from arena.core.errors import FieldViolation, InvalidArgument
from arena.core.identity import Identity

TITLE_MAX = 120
STATEMENT_MAX_BYTES = 64 * 1024
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX = 64
ID_SHAPED = re.compile(r"^[0-9a-f]{32}$")  # problems are found by id or slug: a slug must never be an id
TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
MAX_TAGS = 10
TIME_LIMIT_MS = (100, 10_000)
DEFAULT_TIME_LIMIT_MS = 1000
MEMORY_LIMIT_KIB = (16 * 1024, 1024 * 1024)
DEFAULT_MEMORY_LIMIT_KIB = 256 * 1024
MAX_TESTS = 100
MAX_TEST_FIELD_BYTES = 4 * 1024 * 1024
MAX_TOTAL_TEST_BYTES = 32 * 1024 * 1024
DEFAULT_TOLERANCE = 1e-6


class Difficulty(enum.Enum):
    EASY = 1
    MEDIUM = 2
    HARD = 3


class CheckerKind(enum.Enum):
    EXACT = 1
    TOKENS = 2
    FLOAT = 3


class Visibility(enum.Enum):
    PUBLIC = 1
    HIDDEN = 2


@dataclasses.dataclass(frozen=True)
class Checker:
    kind: CheckerKind = CheckerKind.TOKENS
    absolute_tolerance: float = DEFAULT_TOLERANCE
    relative_tolerance: float = DEFAULT_TOLERANCE


@dataclasses.dataclass(frozen=True)
class TestCase:
    input: str
    expected_output: str
    sample: bool
    explanation: str = ""
    ordinal: int = 0


@dataclasses.dataclass(frozen=True)
class Content:
    """What an author writes: everything about a problem but its identity and counters."""

    slug: str
    title: str
    statement: str
    difficulty: Difficulty
    tags: tuple[str, ...]
    time_limit_ms: int
    memory_limit_kib: int
    checker: Checker
    visibility: Visibility
    sample_tests: tuple[TestCase, ...]
    hidden_tests: tuple[TestCase, ...]


@dataclasses.dataclass(frozen=True)
class Problem:
    problem_id: str
    content: Content
    author_id: str
    like_count: int
    bookmark_count: int
    revision: int
    create_time: dt.datetime
    update_time: dt.datetime
    hidden_test_count: int

    @property
    def tests(self) -> tuple[TestCase, ...]:
        """Every test, samples first, numbered from 1."""
        ordered = (*self.content.sample_tests, *self.content.hidden_tests)
        return tuple(dataclasses.replace(t, ordinal=i) for i, t in enumerate(ordered, start=1))


# Content fields an update may change (the servicer maps the contract's mask paths to these).
UPDATABLE_FIELDS = frozenset(
    {
        "slug",
        "title",
        "statement",
        "difficulty",
        "tags",
        "time_limit_ms",
        "memory_limit_kib",
        "checker",
        "sample_tests",
        "hidden_tests",
        "visibility",
    }
)


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-") or "problem"


def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def validate(content: Content, prefix: str = "problem") -> Content:
    """A clean copy of the content, or InvalidArgument naming every bad field."""
    violations: list[FieldViolation] = []

    def bad(field: str, message: str) -> None:
        violations.append(FieldViolation(f"{prefix}.{field}", message))

    title = _clean(content.title)
    if not title or len(title) > TITLE_MAX:
        bad("title", f"must be 1-{TITLE_MAX} characters")
    if not content.statement.strip():
        bad("statement", "must not be empty")
    elif len(content.statement.encode()) > STATEMENT_MAX_BYTES:
        bad("statement", f"must be at most {STATEMENT_MAX_BYTES} bytes")
    slug = content.slug.strip() or slugify(title)
    if len(slug) > SLUG_MAX or not SLUG_PATTERN.match(slug):
        bad("slug", "must be lowercase letters and digits separated by single `-` (at most 64)")
    elif ID_SHAPED.match(slug):
        bad("slug", "must not look like a problem id (32 hexadecimal digits)")
    tags = tuple(dict.fromkeys(t.strip().lower() for t in content.tags))
    if len(tags) > MAX_TAGS:
        bad("tags", f"at most {MAX_TAGS} tags")
    for tag in tags:
        if not TAG_PATTERN.match(tag):
            bad("tags", f"{tag[:40]!r} is not a tag (lowercase letters, digits and `-`, at most 32)")
    if not TIME_LIMIT_MS[0] <= content.time_limit_ms <= TIME_LIMIT_MS[1]:
        bad("time_limit", f"must be between {TIME_LIMIT_MS[0]} ms and {TIME_LIMIT_MS[1] // 1000} s")
    if not MEMORY_LIMIT_KIB[0] <= content.memory_limit_kib <= MEMORY_LIMIT_KIB[1]:
        bad("memory_limit_kib", f"must be between {MEMORY_LIMIT_KIB[0]} and {MEMORY_LIMIT_KIB[1]} KiB")
    checker = content.checker
    for name, value in (
        ("absolute_tolerance", checker.absolute_tolerance),
        ("relative_tolerance", checker.relative_tolerance),
    ):
        if not (0.0 <= value <= 1.0):  # also false for NaN
            bad(f"checker.{name}", "must be between 0 and 1")
    tests = (*content.sample_tests, *content.hidden_tests)
    if len(tests) > MAX_TESTS:
        bad("hidden_tests", f"at most {MAX_TESTS} tests in all")
    total = 0
    for kind, group in (("sample_tests", content.sample_tests), ("hidden_tests", content.hidden_tests)):
        for index, test in enumerate(group):
            for field_name in ("input", "expected_output"):
                size = len(getattr(test, field_name).encode())
                total += size
                if size > MAX_TEST_FIELD_BYTES:
                    bad(f"{kind}[{index}].{field_name}", f"must be at most {MAX_TEST_FIELD_BYTES} bytes")
    if total > MAX_TOTAL_TEST_BYTES:
        bad("hidden_tests", f"all tests together must be at most {MAX_TOTAL_TEST_BYTES} bytes")
    if violations:
        raise InvalidArgument("the problem is invalid", violations=violations)
    return dataclasses.replace(
        content,
        slug=slug,
        title=title,
        tags=tags,
        sample_tests=tuple(dataclasses.replace(t, sample=True) for t in content.sample_tests),
        hidden_tests=tuple(dataclasses.replace(t, sample=False, explanation="") for t in content.hidden_tests),
    )


def can_edit(problem: Problem, caller: Identity | None) -> bool:
    return caller is not None and (caller.user_id == problem.author_id or caller.is_admin)


def can_see(problem: Problem, caller: Identity | None) -> bool:
    return problem.content.visibility is Visibility.PUBLIC or can_edit(problem, caller)
