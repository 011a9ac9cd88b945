"""ai_analysis use cases: analyse, stream a review, give a hint, compare two submissions, rank a problem.

Static analysis always answers; the model (when configured) only adds to it. The order of a streamed
review is fixed here, whatever the model says: every finding, then the static summary, then the model's
review as it arrives, then the stored analysis. A model that fails, times out or is over the caller's
token budget leaves a note on the result instead of an error.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import datetime as dt
import time
from collections.abc import AsyncIterator, Callable
from typing import Protocol

import structlog

from arena.ai_analysis import prompts, similarity
from arena.ai_analysis.domain import (
    ANALYZER_VERSION,
    MAX_HINT_LEVEL,
    MAX_SOURCE_BYTES,
    Analysis,
    Finding,
    Hint,
    ProblemContext,
    StaticResult,
    source_hash,
)
from arena.ai_analysis.grammars import JUDGE_LANGUAGES, LANGUAGE_GRAMMARS, grammar_for
from arena.ai_analysis.llm import ChatModel, ModelError, Usage
from arena.ai_analysis.static import analyse
from arena.ai_analysis.store import AnalysisStore
from arena.core.errors import (
    ArenaError,
    DeadlineExceeded,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    QuotaViolation,
    ResourceExhausted,
    Unavailable,
)
from arena.core.identity import Identity
from arena.kit.ids import new_id

log = structlog.get_logger("arena.ai_analysis")

REPORT_MAX_PAIRS = 1000
REPORT_DEFAULT_PAIRS = 100
REPORT_DEFAULT_MIN_SIMILARITY = 0.5
REVIEW_MAX_TOKENS = 600
HINT_MAX_TOKENS = 400
OFFLOAD_BYTES = 8 * 1024
"""Sources larger than this are parsed on a worker thread, so one big source never stalls the loop."""


# -- ports ------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SubmissionRecord:
    submission_id: str
    user_id: str
    problem_id: str
    language_id: str
    source: str
    verdict: str


@dataclasses.dataclass(frozen=True)
class SourceRef:
    submission_id: str
    user_id: str
    problem_id: str
    language_id: str
    contest_id: str


@dataclasses.dataclass(frozen=True)
class FailingTest:
    ordinal: int
    sample: bool


class Problems(Protocol):
    async def context(self, problem_id: str) -> tuple[ProblemContext, tuple[str, ...]]:
        """The problem's statement, limits and samples (never hidden tests), and its tags."""
        ...


class Linter(Protocol):
    """The language's own linter, run by the judge in its sandbox (``upstream.ExecutionServiceLinter``)."""

    async def lint(self, language_id: str, source: str) -> list[Finding]: ...


class Submissions(Protocol):
    async def source(self, submission_id: str) -> SubmissionRecord: ...

    async def refs(self, problem_id: str, contest_id: str) -> list[SourceRef]: ...

    async def own(self, submission_id: str) -> tuple[SubmissionRecord, FailingTest | None]:
        """The caller's submission (checked by the execution service) and its first failing test."""
        ...


# -- stream events ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class TextDelta:
    text: str


@dataclasses.dataclass(frozen=True)
class SimilarityReport:
    pairs: list[similarity.Pair]
    submission_count: int
    newly_indexed: int
    skipped: list[str]


StreamEvent = Finding | TextDelta | Analysis


# -- quotas -----------------------------------------------------------------------------------------


class Quotas:
    """Per-user requests per minute (sliding window) and model tokens per day."""

    def __init__(self, requests_per_minute: int, tokens_per_day: int, clock: Callable[[], float] = time.time) -> None:
        self.requests_per_minute = requests_per_minute
        self.tokens_per_day = tokens_per_day
        self._clock = clock
        self._requests: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        self._tokens: dict[tuple[str, int], int] = collections.defaultdict(int)

    def admit(self, user_id: str) -> None:
        now = self._clock()
        window = self._requests[user_id]
        while window and window[0] <= now - 60:
            window.popleft()
        if len(window) >= self.requests_per_minute:
            retry = max(0.1, window[0] + 60 - now)
            raise ResourceExhausted(
                f"at most {self.requests_per_minute} analyses and hints per minute; retry in {retry:.0f} s",
                retry_after_s=retry,
                violations=[QuotaViolation(f"user:{user_id}", "analyses and hints per minute")],
                reason="ANALYSIS_RATE_LIMITED",
            )
        window.append(now)

    def _day(self) -> int:
        return int(self._clock() // 86400)

    def tokens_left(self, user_id: str) -> int:
        return max(0, self.tokens_per_day - self._tokens[(user_id, self._day())])

    def charge(self, user_id: str, tokens: int) -> None:
        self._tokens[(user_id, self._day())] += tokens


# -- the use cases ----------------------------------------------------------------------------------


def _check_source(field: str, language_id: str, source: str, *, required: bool = True, analysed: bool = True) -> None:
    violations = []
    if required and not language_id:
        violations.append(FieldViolation("language_id", "required"))
    elif language_id and language_id not in JUDGE_LANGUAGES:
        violations.append(
            FieldViolation(
                "language_id", f"unknown language; the analyser reads {', '.join(sorted(LANGUAGE_GRAMMARS))}"
            )
        )
    if required and not source.strip():
        violations.append(FieldViolation(field, "required"))
    if violations:
        raise InvalidArgument("; ".join(f"{v.field}: {v.description}" for v in violations), violations=violations)
    size = len(source.encode())
    if size > MAX_SOURCE_BYTES:
        raise InvalidArgument(
            f"{field}: {size} bytes; at most {MAX_SOURCE_BYTES} are analysed",
            violations=[FieldViolation(field, f"at most {MAX_SOURCE_BYTES} bytes")],
            reason="SOURCE_TOO_LARGE",
        )
    if analysed and language_id and language_id not in LANGUAGE_GRAMMARS:
        raise FailedPrecondition(
            f"language {language_id!r} is judged but not analysed: the analyser has grammars for "
            f"{', '.join(sorted(LANGUAGE_GRAMMARS))} (plagiarism checks still cover it, with a reduced tokeniser)",
            reason="ANALYSIS_LANGUAGE_UNSUPPORTED",
            metadata={"language_id": language_id},
        )


def _family(language_id: str) -> str:
    return LANGUAGE_GRAMMARS.get(language_id, language_id)


class AiAnalysisApp:
    def __init__(
        self,
        store: AnalysisStore,
        problems: Problems,
        submissions: Submissions,
        *,
        model: ChatModel | None = None,
        quotas: Quotas | None = None,
        cache_entries: int = 2048,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        linter: Linter | None = None,
    ) -> None:
        self.store = store
        self.linter = linter
        self._lint_cache: collections.OrderedDict[tuple[str, str], tuple[Finding, ...]] = collections.OrderedDict()
        self.problems = problems
        self.submissions = submissions
        self.model = model
        self.quotas = quotas or Quotas(30, 50_000)
        self.clock = clock
        self.cache_entries = cache_entries
        self._cache: collections.OrderedDict[tuple[str, str, str], StaticResult] = collections.OrderedDict()
        self.cache_hits = 0
        self.index = similarity.SimilarityIndex()
        self._index_loaded = False
        self._index_lock = asyncio.Lock()

    # -- static ------------------------------------------------------------------------------------

    async def static(self, language_id: str, source: str, problem: ProblemContext | None) -> StaticResult:
        """The static result, cached by (language, source hash) and the problem's statement and limits."""
        grammar = grammar_for(language_id)
        assert grammar is not None  # checked by _check_source
        key = (
            language_id,
            source_hash(language_id, source),
            f"{problem.problem_id}:{hash((problem.statement, problem.time_limit_s))}" if problem else "",
        )
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            self.cache_hits += 1
            return cached
        if len(source) > OFFLOAD_BYTES:
            result = await asyncio.to_thread(analyse, grammar, source, problem)
        else:
            result = analyse(grammar, source, problem)
        self._cache[key] = result
        while len(self._cache) > self.cache_entries:
            self._cache.popitem(last=False)
        return result

    async def _linted(self, language_id: str, source: str, result: StaticResult) -> tuple[StaticResult, str]:
        """The result with the language's linter's findings (Python: ruff in the judge's sandbox), cached by
        (language, source hash); a linter that cannot run leaves the result as it is, with a note."""
        if self.linter is None or _family(language_id) != "python":
            return result, ""
        key = (language_id, source_hash(language_id, source))
        found = self._lint_cache.get(key)
        if found is None:
            try:
                found = tuple(await self.linter.lint(language_id, source))
            except Exception as exc:  # never an error for the user: the static analysis stands alone
                log.warning("the linter could not run", error=str(exc))
                return result, "The linter could not run; these are the analyser's own findings."
            self._lint_cache[key] = found
            while len(self._lint_cache) > self.cache_entries:
                self._lint_cache.popitem(last=False)
        if not found:
            return result, ""
        findings = sorted((*result.findings, *found), key=lambda f: (f.line_start, f.column, f.rule_id))
        return dataclasses.replace(result, findings=tuple(findings)), ""

    async def _problem(self, problem_id: str) -> tuple[ProblemContext | None, tuple[str, ...], str]:
        """The problem's context, or None with a note when its service is unreachable."""
        if not problem_id:
            return None, (), ""
        try:
            context, tags = await self.problems.context(problem_id)
        except (Unavailable, DeadlineExceeded) as exc:  # anything else (not found, not visible) is the caller's
            return None, (), f"the problem could not be read ({exc.message}); its limits were not checked"
        return context, tags, ""

    def _analysis(
        self,
        caller: Identity,
        language_id: str,
        problem_id: str,
        submission_id: str,
        result: StaticResult,
        *,
        review: str = "",
        note: str = "",
        model: str = "",
    ) -> Analysis:
        return Analysis(
            analysis_id=new_id(),
            user_id=caller.user_id,
            language_id=language_id,
            problem_id=problem_id,
            submission_id=submission_id,
            result=result,
            model=f"{ANALYZER_VERSION}+{model}" if model else ANALYZER_VERSION,
            create_time=self.clock(),
            review=review,
            note=note,
        )

    async def analyze(
        self, caller: Identity, language_id: str, source: str, problem_id: str, submission_id: str
    ) -> Analysis:
        _check_source("source", language_id, source)
        self.quotas.admit(caller.user_id)
        problem, _, note = await self._problem(problem_id)
        result, lint_note = await self._linted(language_id, source, await self.static(language_id, source, problem))
        note = " ".join(filter(None, [note, lint_note]))
        analysis = self._analysis(caller, language_id, problem_id, submission_id, result, note=note)
        await self.store.add_analysis(analysis)
        return analysis

    async def get(self, caller: Identity, analysis_id: str) -> Analysis:
        if not analysis_id:
            raise InvalidArgument.field("analysis_id", "required")
        analysis = await self.store.get_analysis(analysis_id)
        if analysis is None or (analysis.user_id != caller.user_id and not caller.is_admin):
            raise NotFound("analysis", analysis_id)
        return analysis

    # -- the model ---------------------------------------------------------------------------------

    def _model_note(self, caller: Identity, messages: list[dict[str, str]], max_tokens: int) -> str:
        """Why the model will not be asked, or empty when it may be."""
        if self.model is None:
            return ""
        estimate = sum(len(m["content"]) for m in messages) // 4 + max_tokens
        if self.quotas.tokens_left(caller.user_id) < estimate:
            return "The model's review was skipped: your daily token budget is used up; this is the static analysis."
        return ""

    async def _ask(self, caller: Identity, messages: list[dict[str, str]], max_tokens: int) -> AsyncIterator[str]:
        """The model's answer piece by piece; charges the caller's budget; raises ModelError."""
        assert self.model is not None
        usage: Usage | None = None
        try:
            async for piece in self.model.stream(messages, max_tokens):
                if isinstance(piece, Usage):
                    usage = piece
                else:
                    yield piece
        finally:
            self.quotas.charge(caller.user_id, usage.total if usage else sum(len(m["content"]) for m in messages) // 4)

    async def analyze_stream(
        self, caller: Identity, language_id: str, source: str, problem_id: str, submission_id: str
    ) -> AsyncIterator[StreamEvent]:
        """Every finding, the static summary, the model's review as it arrives, then the stored analysis.

        The checks run before the first event (a refusal is an error status, not a broken stream).
        """
        _check_source("source", language_id, source)
        self.quotas.admit(caller.user_id)
        problem, _, note = await self._problem(problem_id)
        result, lint_note = await self._linted(language_id, source, await self.static(language_id, source, problem))
        note = " ".join(filter(None, [note, lint_note]))
        return self._stream(caller, language_id, source, problem_id, submission_id, problem, result, note)

    async def _stream(
        self,
        caller: Identity,
        language_id: str,
        source: str,
        problem_id: str,
        submission_id: str,
        problem: ProblemContext | None,
        result: StaticResult,
        note: str,
    ) -> AsyncIterator[StreamEvent]:
        for finding in result.findings:
            yield finding
        yield TextDelta(result.text)
        review: list[str] = []
        model_name = ""
        if self.model is not None:
            messages = prompts.review_messages(language_id, source, result, problem)
            skipped = self._model_note(caller, messages, REVIEW_MAX_TOKENS)
            if skipped:
                note = " ".join(filter(None, [note, skipped]))
            else:
                model_name = self.model.name
                try:
                    first = True
                    async for piece in self._ask(caller, messages, REVIEW_MAX_TOKENS):
                        if first:
                            yield TextDelta("\n\n")
                            first = False
                        review.append(piece)
                        yield TextDelta(piece)
                except ModelError as exc:
                    log.warning("model review failed", error=str(exc))
                    note = " ".join(
                        filter(None, [note, f"The model's review is missing: {exc}. This is the static analysis."])
                    )
                    if review:
                        review.append("\n\n_(the review was cut off)_")
        analysis = self._analysis(
            caller,
            language_id,
            problem_id,
            submission_id,
            result,
            review="".join(review),
            note=note,
            model=model_name,
        )
        await self.store.add_analysis(analysis)
        yield analysis

    # -- hints -------------------------------------------------------------------------------------

    async def hint(
        self, caller: Identity, problem_id: str, level: int, language_id: str, source: str, submission_id: str
    ) -> Hint:
        if not problem_id:
            raise InvalidArgument.field("problem_id", "required")
        level = level or 1
        if not 1 <= level <= MAX_HINT_LEVEL:
            raise InvalidArgument.field("level", f"from 1 to {MAX_HINT_LEVEL}")
        if submission_id and source:
            raise InvalidArgument.field("source", "give either source or submission_id, not both")
        _check_source("source", language_id, source, required=False, analysed=False)  # any judge language
        if source and not language_id:
            raise InvalidArgument.field("language_id", "required with source")
        self.quotas.admit(caller.user_id)
        problem, tags, _ = await self._problem(problem_id)
        if problem is None:
            raise Unavailable("the problem service cannot be read now; try again", retry_after_s=1.0)
        verdict = ""
        failing: tuple[int, str, str] | None = None
        if submission_id:
            record, failing_test = await self.submissions.own(submission_id)
            if record.problem_id != problem.problem_id:
                raise InvalidArgument.field("submission_id", "the submission is for another problem")
            language_id, source, verdict = record.language_id, record.source, record.verdict
            if failing_test is not None and failing_test.sample and 1 <= failing_test.ordinal <= len(problem.samples):
                inp, out = problem.samples[failing_test.ordinal - 1]
                failing = (failing_test.ordinal, inp, out)
        static = (
            await self.static(language_id, source, problem) if source and language_id in LANGUAGE_GRAMMARS else None
        )
        fallback = prompts.static_hint(level, problem, tags, static, verdict, failing)
        if self.model is None:
            return Hint(level, MAX_HINT_LEVEL, fallback, "static")
        messages = prompts.hint_messages(level, problem, language_id, source, verdict, failing)
        skipped = self._model_note(caller, messages, HINT_MAX_TOKENS)
        if skipped:
            return Hint(level, MAX_HINT_LEVEL, fallback, "static", skipped.replace("review", "hint"))
        try:
            text = "".join([piece async for piece in self._ask(caller, messages, HINT_MAX_TOKENS)])
        except ModelError as exc:
            return Hint(level, MAX_HINT_LEVEL, fallback, "static", f"The model could not answer: {exc}.")
        cleaned = prompts.clean_hint(text, level)
        if not cleaned:
            return Hint(level, MAX_HINT_LEVEL, fallback, "static", "The model's answer was empty.")
        return Hint(level, MAX_HINT_LEVEL, cleaned, self.model.name)

    # -- similarity --------------------------------------------------------------------------------

    async def _load_index(self) -> None:
        if self._index_loaded:
            return
        async with self._index_lock:
            if not self._index_loaded:
                for entry in await self.store.all_fingerprints():
                    self.index.add(entry)
                self._index_loaded = True

    async def _entry(self, record: SubmissionRecord, contest_id: str = "") -> similarity.Entry:
        await self._load_index()
        existing = self.index.get(record.submission_id)
        if existing is not None:
            return existing
        grammar = grammar_for(record.language_id)
        fp = similarity.program_fingerprints(grammar, record.source)
        entry = similarity.Entry(
            record.submission_id,
            record.user_id,
            f"{record.problem_id}/{_family(record.language_id)}",
            fp,
            contest_id,
        )
        self.index.add(entry)
        await self.store.add_fingerprints(entry, record.problem_id, record.language_id)
        return entry

    async def compare(self, caller: Identity, left_id: str, right_id: str, base_code: str) -> similarity.Comparison:
        violations = [
            FieldViolation(f, "required")
            for f, v in (("left_submission_id", left_id), ("right_submission_id", right_id))
            if not v
        ]
        if violations:
            raise InvalidArgument("; ".join(f"{v.field}: required" for v in violations), violations=violations)
        if left_id == right_id:
            raise InvalidArgument.field("right_submission_id", "must differ from left_submission_id")
        if len(base_code.encode()) > MAX_SOURCE_BYTES:
            raise InvalidArgument.field("base_code", f"at most {MAX_SOURCE_BYTES} bytes", reason="SOURCE_TOO_LARGE")
        left, right = await asyncio.gather(self.submissions.source(left_id), self.submissions.source(right_id))
        if _family(left.language_id) != _family(right.language_id):
            raise FailedPrecondition(
                f"the submissions are in {left.language_id} and {right.language_id}; only one language compares",
                reason="SIMILARITY_LANGUAGE_MISMATCH",
            )
        a, b = await self._entry(left), await self._entry(right)
        base = similarity.program_fingerprints(grammar_for(left.language_id), base_code) if base_code else None
        return similarity.compare(_without(a.fingerprints, base), _without(b.fingerprints, base))

    async def report(
        self, caller: Identity, problem_id: str, contest_id: str, min_similarity: float, max_pairs: int, base_code: str
    ) -> SimilarityReport:
        if bool(problem_id) == bool(contest_id):
            raise InvalidArgument(
                "give exactly one of problem_id and contest_id",
                violations=[FieldViolation("problem_id", "exactly one of problem_id and contest_id")],
                reason="SIMILARITY_SCOPE_REQUIRED",
            )
        if not 0 <= min_similarity <= 1:
            raise InvalidArgument.field("min_similarity", "from 0 to 1")
        if not 0 <= max_pairs <= REPORT_MAX_PAIRS:
            raise InvalidArgument.field("max_pairs", f"from 1 to {REPORT_MAX_PAIRS} (0: {REPORT_DEFAULT_PAIRS})")
        if len(base_code.encode()) > MAX_SOURCE_BYTES:
            raise InvalidArgument.field("base_code", f"at most {MAX_SOURCE_BYTES} bytes", reason="SOURCE_TOO_LARGE")
        min_similarity = min_similarity or REPORT_DEFAULT_MIN_SIMILARITY
        max_pairs = max_pairs or REPORT_DEFAULT_PAIRS
        await self._load_index()
        refs = await self.submissions.refs(problem_id, contest_id)
        fresh = [r for r in refs if r.submission_id not in self.index]
        skipped: list[str] = []
        for start in range(0, len(fresh), 16):
            batch = fresh[start : start + 16]
            records = await asyncio.gather(
                *(self.submissions.source(r.submission_id) for r in batch), return_exceptions=True
            )
            for ref, record in zip(batch, records, strict=True):
                if isinstance(record, BaseException):
                    if not isinstance(record, ArenaError):
                        raise record
                    skipped.append(f"{ref.submission_id}: {record.message}")
                    continue
                await self._entry(record, ref.contest_id)
        entries = [e for r in refs if (e := self.index.get(r.submission_id)) is not None]
        pairs = self.index.candidates(entries, min_similarity)
        if base_code:
            pairs = _rebased(pairs, base_code, min_similarity)
        return SimilarityReport(pairs[:max_pairs], len(entries), len(fresh) - len(skipped), skipped)


def _without(fp: similarity.Fingerprints, base: similarity.Fingerprints | None) -> similarity.Fingerprints:
    if base is None:
        return fp
    return similarity.Fingerprints({h: s for h, s in fp.hashes.items() if h not in base.hashes}, fp.token_count)


def _rebased(pairs: list[similarity.Pair], base_code: str, min_similarity: float) -> list[similarity.Pair]:
    out = []
    bases: dict[str, similarity.Fingerprints] = {}
    for pair in pairs:
        family = pair.left.scope.rsplit("/", 1)[-1]
        if family not in bases:
            language = next((lang for lang, fam in LANGUAGE_GRAMMARS.items() if fam == family), family)
            bases[family] = similarity.program_fingerprints(grammar_for(language), base_code)
        base = bases[family]
        comparison = similarity.compare(_without(pair.left.fingerprints, base), _without(pair.right.fingerprints, base))
        if comparison.similarity >= min_similarity:
            out.append(similarity.Pair(pair.left, pair.right, comparison))
    out.sort(key=lambda p: (-p.comparison.similarity, p.left.submission_id, p.right.submission_id))
    return out
