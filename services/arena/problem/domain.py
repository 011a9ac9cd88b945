"""Problems: what a valid problem is, who may see and change it, what a list asks for. No I/O, no protos.

Visibility has one source: ``visible_to`` decides which problems a caller may see and
``VisibleProblems.includes`` is that decision as a predicate at a moment (a contest's embargo
hides a public problem until the contest starts). ``can_see`` is the predicate on one problem;
the stores list with the same value (the in-memory store calls ``includes``, the SQL store
translates its terms), and the store contract test holds them together.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Literal

from arena.core.errors import FieldViolation, InvalidArgument
from arena.core.identity import Identity

TITLE_MAX = 120
TITLE_KEY_MAX = TITLE_MAX
STATEMENT_MAX_BYTES = 64 * 1024
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX = 64
ID_SHAPED = re.compile(r"^[0-9a-f]{32}$")  # problems are found by id or slug: a slug must never be an id
TAG_MAX = 32
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
CHECKER_SOURCE_MAX_BYTES = 64 * 1024
LANGUAGE_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_+-]{0,31}$")
MAX_TEST_GROUPS = 50
GROUP_NAME_MAX = 64
MAX_GROUP_POINTS = 1_000_000.0


class Difficulty(enum.Enum):
    EASY = 1
    MEDIUM = 2
    HARD = 3


class CheckerKind(enum.Enum):
    EXACT = 1
    TOKENS = 2
    FLOAT = 3
    PROGRAM = 4
    """The author's checker program (testlib exit codes), compiled and run by the judge."""


class Visibility(enum.Enum):
    PUBLIC = 1
    HIDDEN = 2


@dataclasses.dataclass(frozen=True)
class Checker:
    kind: CheckerKind = CheckerKind.TOKENS
    absolute_tolerance: float = DEFAULT_TOLERANCE
    relative_tolerance: float = DEFAULT_TOLERANCE
    program_language_id: str = ""
    program_source: str = ""


@dataclasses.dataclass(frozen=True)
class Interactor:
    """An interactive problem's interactor (language and source); empty: the problem is not interactive."""

    language_id: str = ""
    source: str = ""

    @property
    def present(self) -> bool:
        return bool(self.language_id or self.source)


@dataclasses.dataclass(frozen=True)
class TestGroup:
    """A subtask: tests (by ordinal, samples first from 1) scored together, worth ``points``."""

    __test__ = False

    name: str
    points: float
    test_ordinals: tuple[int, ...]


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
    test_groups: tuple[TestGroup, ...] = ()
    run_whole_failed_groups: bool = False
    """With groups: run a group's remaining tests after one earned nothing (default: skip them)."""
    interactor: Interactor = Interactor()
    """Set for an interactive problem: it decides each test (the checker is then unused)."""


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
    embargo_end: dt.datetime | None = None
    """The latest end of the contest embargoes on this problem (None: never embargoed)."""

    def embargoed_at(self, now: dt.datetime) -> bool:
        """Whether a contest keeps the problem from the public at ``now`` (some embargo ends after it)."""
        return self.embargo_end is not None and self.embargo_end > now

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
        "test_groups",
        "run_whole_failed_groups",
        "interactor",
    }
)


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-") or "problem"


def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def _validate_checker_program(checker: Checker, bad: Callable[[str, str], None]) -> None:
    if checker.kind is not CheckerKind.PROGRAM:
        return
    if not LANGUAGE_ID_PATTERN.match(checker.program_language_id):
        bad("checker.program_language_id", "must name one of the judge's languages (see ListLanguages)")
    if not checker.program_source.strip():
        bad("checker.program_source", "must not be empty for a checker program")
    elif len(checker.program_source.encode()) > CHECKER_SOURCE_MAX_BYTES:
        bad("checker.program_source", f"must be at most {CHECKER_SOURCE_MAX_BYTES} bytes")


def _validate_interactor(interactor: Interactor, checker: Checker, bad: Callable[[str, str], None]) -> None:
    if not interactor.present:
        return
    if not LANGUAGE_ID_PATTERN.match(interactor.language_id):
        bad("interactor.language_id", "must name one of the judge's languages (see ListLanguages)")
    if not interactor.source.strip():
        bad("interactor.source", "must not be empty for an interactive problem")
    elif len(interactor.source.encode()) > CHECKER_SOURCE_MAX_BYTES:
        bad("interactor.source", f"must be at most {CHECKER_SOURCE_MAX_BYTES} bytes")
    if checker.kind is CheckerKind.PROGRAM:
        bad("checker.kind", "an interactive problem is judged by its interactor, not a checker program")


def _validate_groups(groups: tuple[TestGroup, ...], test_count: int, bad: Callable[[str, str], None]) -> None:
    """Each group named, worth 0 points or more, with at least one test; each test in one group at most."""
    if len(groups) > MAX_TEST_GROUPS:
        bad("test_groups", f"at most {MAX_TEST_GROUPS} groups")
    owner: dict[int, int] = {}
    names: set[str] = set()
    for index, group in enumerate(groups):
        field = f"test_groups[{index}]"
        if not group.name or len(group.name) > GROUP_NAME_MAX:
            bad(f"{field}.name", f"must be 1-{GROUP_NAME_MAX} characters")
        elif group.name in names:
            bad(f"{field}.name", f"{group.name!r} names another group too")
        names.add(group.name)
        if not (0.0 <= group.points <= MAX_GROUP_POINTS):  # also false for NaN
            bad(f"{field}.points", f"must be between 0 and {MAX_GROUP_POINTS:g}")
        if not group.test_ordinals:
            bad(f"{field}.test_ordinals", "a group needs at least one test")
        for ordinal in group.test_ordinals:
            if not 1 <= ordinal <= test_count:
                bad(f"{field}.test_ordinals", f"test {ordinal} does not exist (the problem has {test_count})")
            elif ordinal in owner:
                other = owner[ordinal]
                where = "twice in this group" if other == index else f"also in test_groups[{other}]"
                bad(f"{field}.test_ordinals", f"test {ordinal} is {where}")
            else:
                owner[ordinal] = index


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
    _validate_checker_program(checker, bad)
    _validate_interactor(content.interactor, checker, bad)
    test_groups = tuple(dataclasses.replace(g, name=_clean(g.name)) for g in content.test_groups)
    _validate_groups(test_groups, len(tests), bad)
    if violations:
        raise InvalidArgument("the problem is invalid", violations=violations)
    return dataclasses.replace(
        content,
        slug=slug,
        title=title,
        tags=tags,
        test_groups=test_groups,
        checker=checker
        if checker.kind is CheckerKind.PROGRAM
        else dataclasses.replace(checker, program_language_id="", program_source=""),
        sample_tests=tuple(dataclasses.replace(t, sample=True) for t in content.sample_tests),
        hidden_tests=tuple(dataclasses.replace(t, sample=False, explanation="") for t in content.hidden_tests),
    )


# -- who may see and change a problem ---------------------------------------------------------------


def can_edit(problem: Problem, caller: Identity | None) -> bool:
    """The author and admins may change a problem (and see it while it is hidden)."""
    return caller is not None and (caller.user_id == problem.author_id or caller.is_admin)


@dataclasses.dataclass(frozen=True)
class VisibleProblems:
    """The problems one caller may see, as the inputs of one predicate (``includes``).

    A problem is included at ``now`` when it is public and no contest embargoes it at ``now``,
    or when every hidden or embargoed problem is (``all_hidden``), or when it is a problem of
    ``hidden_of_author`` (their own, whatever its visibility or embargo). ``visible_to``
    decides the values; the in-memory store evaluates ``includes`` itself and the SQL store
    translates its three terms into a WHERE clause. Deleted problems are never visible (the
    stores drop them first). The moment is an argument, not a field: a value keys cached pages.
    """

    all_hidden: bool = False
    hidden_of_author: str | None = None

    def includes(self, problem: Problem, now: dt.datetime) -> bool:
        return (
            (problem.content.visibility is Visibility.PUBLIC and not problem.embargoed_at(now))
            or self.all_hidden
            or (self.hidden_of_author is not None and problem.author_id == self.hidden_of_author)
        )


PUBLIC_ONLY = VisibleProblems()
"""What an anonymous caller sees."""


def visible_to(caller: Identity | None) -> VisibleProblems:
    """Public problems no contest embargoes to everyone; a hidden or embargoed one only to those who may
    edit it (``can_edit``)."""
    if caller is None:
        return PUBLIC_ONLY
    return VisibleProblems(all_hidden=caller.is_admin, hidden_of_author=caller.user_id)


def can_see(problem: Problem, caller: Identity | None, now: dt.datetime) -> bool:
    return visible_to(caller).includes(problem, now)


# -- contest embargoes ------------------------------------------------------------------------------

CONTEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_EMBARGOED = 100
"""Problems one contest may embargo (a contest lists far fewer)."""


@dataclasses.dataclass(frozen=True)
class Embargo:
    """One contest's embargo: its problems stay hidden from the public until ``end`` (its start)."""

    contest_id: str
    problem_ids: tuple[str, ...]
    end: dt.datetime | None


def check_embargo(contest_id: str, problem_ids: Sequence[str], end: dt.datetime | None) -> Embargo:
    """The embargo with repeats removed (first kept), or InvalidArgument naming every bad field.

    An empty list lifts the contest's embargo (no end needed); otherwise the end is required. An
    end in the past is allowed: it hides nothing (a contest that already started)."""
    violations: list[FieldViolation] = []
    if not CONTEST_ID_PATTERN.match(contest_id):
        violations.append(FieldViolation("contest_id", "must be 1-64 letters, digits, `-` or `_`"))
    ids = tuple(dict.fromkeys(problem_ids))
    if len(ids) > MAX_EMBARGOED:
        violations.append(FieldViolation("problem_ids", f"at most {MAX_EMBARGOED} problems"))
    for index, problem_id in enumerate(problem_ids):
        if not ID_SHAPED.match(problem_id):
            violations.append(FieldViolation(f"problem_ids[{index}]", "must be a problem id (32 hexadecimal digits)"))
    if ids and end is None:
        violations.append(FieldViolation("end_time", "is required to embargo problems"))
    if violations:
        raise InvalidArgument(f"invalid embargo: {violations[0].field}: {violations[0].description}",
                              violations=violations)  # fmt: skip
    return Embargo(contest_id, ids, end if ids else None)


# -- lists ------------------------------------------------------------------------------------------

ORDERS = ("create_time desc", "create_time", "title", "difficulty", "like_count desc")
"""The orders a list may be sorted in; ties are broken by problem id, in the same direction."""
DEFAULT_ORDER = "create_time desc"


def title_key(title: str) -> str:
    """What titles are searched and sorted by: lowercased, cut to ``TITLE_KEY_MAX`` characters
    (lowercasing can lengthen a title: "İ" becomes "i̇")."""
    return title.lower()[:TITLE_KEY_MAX]


@dataclasses.dataclass(frozen=True)
class Filters:
    """What a list asks for; every criterion given must hold.

    The tag compares case-insensitively; ``query`` is found anywhere in the title's ``title_key``,
    case-insensitively and literally (``%`` and ``_`` are plain characters).
    """

    difficulty: Difficulty | None = None
    tag: str = ""
    query: str = ""

    def matches(self, problem: Problem) -> bool:
        content = problem.content
        return (
            (self.difficulty is None or content.difficulty is self.difficulty)
            and (not self.tag or self.tag.lower() in content.tags)
            and (not self.query or self.query.lower() in title_key(content.title))
        )


@dataclasses.dataclass(frozen=True)
class Listing:
    """One list request, normalized: what is asked for, in which order, and who asks.

    Who asks decides what may be listed (``visible``) and whose likes and bookmarks show
    (``viewer_id``). Equal listings give equal pages, so a listing (with a page size and a
    position) keys a cached page.
    """

    filters: Filters
    order: str
    viewer_id: str | None
    visible: VisibleProblems


def listing(
    caller: Identity | None,
    *,
    difficulty: Difficulty | None = None,
    tag: str = "",
    query: str = "",
    order: str = "",
) -> Listing:
    """A list request from its plain values: over-long criteria cut, the order checked (default newest first)."""
    order = order.strip() or DEFAULT_ORDER
    if order not in ORDERS:
        raise InvalidArgument.field("order_by", f"must be one of: {', '.join(ORDERS)}")
    return Listing(
        filters=Filters(difficulty=difficulty, tag=tag[:TAG_MAX], query=query[:TITLE_MAX]),
        order=order,
        viewer_id=caller.user_id if caller is not None else None,
        visible=visible_to(caller),
    )


MarkKind = Literal["like", "bookmark"]
"""What a user may set on a problem they see; each kind has its own exact counter."""
