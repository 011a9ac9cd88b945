"""ai_analysis values: findings, summaries, complexity estimates, reviews, hints, similarity results.

Pure data and small pure functions; the analysers (``static``, ``rules``, ``similarity``) build these
from syntax trees, the servicer turns them into messages.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import math
import re

MAX_SOURCE_BYTES = 64 * 1024
"""The contract's limit on a source (AnalyzeCode, AnalyzeCodeStream, GetHint)."""

ANALYZER_VERSION = "arena-static-1"
"""Names the analyser in ``Analysis.model``; part of the cache key, so a new rule set re-analyses."""


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3


class Category(enum.IntEnum):
    CORRECTNESS = 1
    PERFORMANCE = 2
    STYLE = 3
    SAFETY = 4


@dataclasses.dataclass(frozen=True)
class Finding:
    rule_id: str
    severity: Severity
    category: Category
    line_start: int
    column: int
    line_end: int
    message: str
    suggestion: str = ""


@dataclasses.dataclass(frozen=True)
class FunctionSummary:
    name: str
    line_start: int
    line_end: int
    cyclomatic_complexity: int
    max_loop_depth: int
    recursive: bool


@dataclasses.dataclass(frozen=True)
class CodeSummary:
    lines: int
    code_lines: int
    comment_lines: int
    functions: tuple[FunctionSummary, ...]
    max_loop_depth: int
    recursion: bool
    syntax_errors: bool

    @property
    def comment_ratio(self) -> float:
        total = self.code_lines + self.comment_lines
        return self.comment_lines / total if total else 0.0


@dataclasses.dataclass(frozen=True, order=True)
class Cost:
    """An asymptotic cost ``n^degree · log^logs n``, or exponential; ordered by growth."""

    exponential: bool = False
    degree: int = 0
    logs: int = 0

    def times(self, other: Cost) -> Cost:
        return Cost(self.exponential or other.exponential, self.degree + other.degree, self.logs + other.logs)

    def big_o(self) -> str:
        if self.exponential:
            return "O(2^n)"
        parts = []
        if self.degree == 1:
            parts.append("n")
        elif self.degree > 1:
            parts.append(f"n^{self.degree}")
        if self.logs == 1:
            parts.append("log n")
        elif self.logs > 1:
            parts.append(f"log^{self.logs} n")
        return f"O({' '.join(parts) or '1'})"

    def operations(self, n: float) -> float:
        if self.exponential:
            return math.inf if n > 60 else 2.0**n
        return float(n**self.degree * max(1.0, math.log2(max(n, 2))) ** self.logs)


@dataclasses.dataclass(frozen=True)
class Complexity:
    time: Cost
    space: str
    explanation: str
    confidence: float
    limit_check: str = ""


@dataclasses.dataclass(frozen=True)
class ProblemContext:
    """What the analyser may know about the problem: its statement, limits and public samples only."""

    problem_id: str
    title: str
    statement: str
    time_limit_s: float
    samples: tuple[tuple[str, str], ...] = ()
    """(input, expected output) of the sample tests; hidden tests never come here."""


@dataclasses.dataclass(frozen=True)
class StaticResult:
    """What the analyser finds without a model: cached by (language, source hash, analyser version)."""

    summary: CodeSummary
    findings: tuple[Finding, ...]
    complexity: Complexity
    quality_score: int
    text: str


@dataclasses.dataclass(frozen=True)
class Analysis:
    analysis_id: str
    user_id: str
    language_id: str
    problem_id: str
    submission_id: str
    result: StaticResult
    model: str
    create_time: dt.datetime
    review: str = ""
    note: str = ""


@dataclasses.dataclass(frozen=True)
class Hint:
    level: int
    max_level: int
    text: str
    source: str
    note: str = ""


MAX_HINT_LEVEL = 3
"""The ladder: 1 a nudge, 2 the approach, 3 pseudo-code; never a full solution."""


def source_hash(language_id: str, source: str) -> str:
    return hashlib.sha256(f"{ANALYZER_VERSION}\0{language_id}\0{source}".encode()).hexdigest()


# -- limits from a statement ------------------------------------------------------------------------

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_NUMBER = r"(10\s*\^\s*\{?\d+\}?|10[⁰¹²³⁴⁵⁶⁷⁸⁹]+|\d[\d,]*(?:\s*[·*x\u00d7⋅]\s*10\s*\^?\s*\{?\d+\}?)?)"
_BOUND = re.compile(r"\b([a-zA-Z])\s*(?:≤|<=|\\le(?:q)?|<)\s*\$?\s*" + _NUMBER)


def _number(text: str) -> float | None:
    text = text.replace(",", "").replace(" ", "").replace("{", "").replace("}", "")
    text = text.translate(_SUPERSCRIPTS) if "10" in text and any(c in text for c in "⁰¹²³⁴⁵⁶⁷⁸⁹") else text
    match = re.fullmatch(r"(\d+)(?:[·*x\u00d7⋅]10\^?(\d+))?", text)
    if match and match.group(2):
        return float(match.group(1)) * 10.0 ** int(match.group(2))
    match = re.fullmatch(r"10\^?(\d+)", text)
    if match and not text.isdigit():
        return 10.0 ** int(match.group(1))
    return float(text) if text.isdigit() else None


def input_bound(statement: str) -> tuple[str, float] | None:
    """The largest size bound the statement gives (``n ≤ 2·10^5`` → ("n", 200000)), if any.

    Superscript powers (10⁵) are read as well; bounds on values rather than sizes cannot be told apart,
    so the estimate is stated with its confidence, not as a fact.
    """
    best: tuple[str, float] | None = None
    statement = statement.replace("\\cdot", "·").replace("\\times", "\u00d7")
    for match in _BOUND.finditer(statement):
        raw = match.group(2)
        if re.fullmatch(r"10[⁰¹²³⁴⁵⁶⁷⁸⁹]+", raw):
            value: float | None = 10.0 ** int(raw[2:].translate(_SUPERSCRIPTS))
        else:
            value = _number(raw)
        if value is not None and value >= 10 and (best is None or value > best[1]) and value <= 1e18:
            best = (match.group(1), value)
    return best


OPERATIONS_PER_SECOND = {"python": 2e7, "javascript": 2e8, "java": 2e8, "c": 5e8, "cpp": 5e8}
"""Rough simple-operation throughput per grammar, for the limit check."""


def limit_check(cost: Cost, grammar: str, statement: str, time_limit_s: float) -> str:
    bound = input_bound(statement)
    if bound is None:
        return ""
    name, n = bound
    budget = OPERATIONS_PER_SECOND.get(grammar, 1e8) * max(time_limit_s, 0.1)
    ops = cost.operations(n)
    shown = f"{n:.0e}".replace("e+0", "e").replace("e+", "e") if n >= 1000 else f"{n:.0f}"
    what = f"{cost.big_o()} with {name} up to {shown}"
    if ops > 10 * budget:
        return f"likely too slow: {what} is about {ops:.1e} steps for a {time_limit_s:g} s limit"
    if ops > budget:
        return f"may be too slow: {what} is about {ops:.1e} steps for a {time_limit_s:g} s limit"
    return f"fits: {what} is about {ops:.1e} steps for a {time_limit_s:g} s limit"


def quality_score(findings: tuple[Finding, ...], summary: CodeSummary) -> int:
    """100 minus a penalty per finding by severity and per very complex function."""
    penalty = sum({Severity.ERROR: 20, Severity.WARNING: 8, Severity.INFO: 2}[f.severity] for f in findings)
    penalty += sum(5 for f in summary.functions if f.cyclomatic_complexity > 15)
    if summary.syntax_errors:
        penalty += 30
    return max(0, min(100, 100 - penalty))
