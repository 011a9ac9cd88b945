"""Plagiarism detection: normalised token streams, k-gram winnowing, pair similarity and an index.

The method of MOSS (Schleimer, Wilkerson, Aiken: "Winnowing", SIGMOD 2003) as Dolos applies it to
syntax-tree tokens: every leaf of the tree-sitter tree becomes a token, identifiers become ``V`` and
literals ``L`` (renaming and changed constants vanish), comments and whitespace are dropped (they are not
tokens). Hashes of every k consecutive tokens are winnowed (the minimum of each window of w hashes is
kept), so any match of at least w + k - 1 tokens is found, wherever it is: reordering functions or
inserting dead code leaves the other fingerprints intact. ``while`` is folded into ``for``, so a loop
rewritten from one to the other keeps most of its fingerprints.

Similarity of a pair is the share of the smaller program's fingerprints found in the other one, so
padding a copy with dead code does not dilute it. Base code (a template every contestant was given) is
removed from both sides before counting.

``SimilarityIndex`` keeps an inverted index (fingerprint → submissions) per problem and language, and the
count of shared fingerprints per pair, updated as each submission is added: adding one costs its
fingerprints' postings, not a comparison with every other submission.
"""

from __future__ import annotations

import collections
import dataclasses
import re
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence

from arena.ai_analysis.grammars import Grammar, parse
from arena.ai_analysis.syntax import leaves

K = 9
"""Tokens per k-gram (short competitive programs: long enough to be specific, short enough to survive edits)."""
W = 6
"""Window of the winnowing: a match of W + K - 1 = 14 tokens is always detected."""
METHOD = f"winnowing-k{K}-w{W}"
SUSPICIOUS = 0.5
"""A pair at or above this similarity deserves a human look (chosen on the test corpus; see its figures)."""
_MOD = (1 << 61) - 1
_BASE = 1_000_003
_FOLD = {"while": "for", "do": "for", "foreach": "for", "elif": "else", "++": "+=", "--": "-="}
_STRING_PARTS = frozenset({"escape_sequence", "string_start", "string_end"})
_LEXICAL = re.compile(r"[A-Za-z_]\w*|\d+(?:\.\d+)?|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|\S")
_KEYWORDS = frozenset(
    [
        "if",
        "else",
        "for",
        "while",
        "do",
        "return",
        "break",
        "continue",
        "func",
        "fn",
        "def",
        "let",
        "var",
        "const",
        "int",
        "long",
        "float",
        "double",
        "bool",
        "string",
        "struct",
        "class",
        "new",
        "match",
        "case",
        "switch",
        "when",
        "loop",
        "in",
        "end",
        "begin",
        "then",
        "local",
        "function",
        "import",
        "package",
        "use",
        "mut",
        "true",
        "false",
        "nil",
        "null",
        "None",
        "print",
        "println",
    ]
)


@dataclasses.dataclass(frozen=True)
class Token:
    kind: str
    line: int


@dataclasses.dataclass(frozen=True)
class Fingerprints:
    """Winnowed k-gram hashes of one program and where each came from (first and last line)."""

    hashes: dict[int, tuple[int, int]]
    token_count: int


@dataclasses.dataclass(frozen=True)
class Fragment:
    left_start: int
    left_end: int
    right_start: int
    right_end: int


@dataclasses.dataclass(frozen=True)
class Comparison:
    similarity: float
    fragments: tuple[Fragment, ...]
    shared: int

    @property
    def suspicious(self) -> bool:
        return self.similarity >= SUSPICIOUS


def tokens(grammar: Grammar | None, source: str) -> list[Token]:
    """The normalised token stream: tree-sitter leaves, or a reduced lexer for languages without a grammar."""
    if grammar is None:
        return _lexical_tokens(source)
    out: list[Token] = []
    tree = parse(grammar, source.encode())
    identifiers, literals, comments = grammar.identifiers, grammar.literals | _STRING_PARTS, grammar.comments
    previous = ""
    for node in leaves(tree.root_node):
        kind = node.type
        if kind in comments:
            continue
        if kind in identifiers:
            kind = "V"
        elif kind in literals:
            if previous == "L":
                continue  # a string's pieces are one literal
            kind = "L"
        else:
            kind = _FOLD.get(kind, kind)
        if not kind:
            continue
        previous = kind
        out.append(Token(kind, node.start_point[0] + 1))
    return out


def _lexical_tokens(source: str) -> list[Token]:
    """Tokens for a language without a grammar: words, numbers, strings and punctuation, comments dropped."""
    out: list[Token] = []
    for number, line in enumerate(source.splitlines(), start=1):
        code = re.split(r"//|#|--(?!-)|;;", line, maxsplit=1)[0]
        for match in _LEXICAL.finditer(code):
            word = match.group(0)
            if word in _KEYWORDS:
                kind = _FOLD.get(word, word)
            elif word[0].isalpha() or word[0] == "_":
                kind = "V"
            elif word[0].isdigit() or word[0] in "\"'":
                kind = "L"
            else:
                kind = word
            out.append(Token(kind, number))
    return out


def _code(kind: str) -> int:
    return zlib.crc32(kind.encode())


def fingerprint(stream: Sequence[Token], *, k: int = K, w: int = W) -> Fingerprints:
    """Winnowed k-gram hashes with the line span of the k-gram each was chosen from (first occurrence)."""
    n = len(stream)
    if n < k:
        if not n:
            return Fingerprints({}, 0)
        h = 0
        for t in stream:
            h = (h * _BASE + _code(t.kind)) % _MOD
        return Fingerprints({h: (stream[0].line, stream[-1].line)}, n)
    codes = [_code(t.kind) for t in stream]
    top = pow(_BASE, k - 1, _MOD)
    grams: list[int] = []
    h = 0
    for i, c in enumerate(codes):
        if i >= k:
            h = (h - codes[i - k] * top) % _MOD
        h = (h * _BASE + c) % _MOD
        if i >= k - 1:
            grams.append(h)
    chosen: dict[int, tuple[int, int]] = {}
    window: collections.deque[int] = collections.deque()  # positions of increasing hashes; front: the minimum
    last = -1
    for position, value in enumerate(grams):
        while window and grams[window[-1]] >= value:  # rightmost minimum, as in the paper
            window.pop()
        window.append(position)
        if window[0] <= position - w:
            window.popleft()
        if position >= w - 1 or position == len(grams) - 1:
            best = window[0]
            if best != last:
                last = best
                h = grams[best]
                if h not in chosen:
                    chosen[h] = (stream[best].line, stream[best + k - 1].line)
    return Fingerprints(chosen, n)


def program_fingerprints(grammar: Grammar | None, source: str, base: Fingerprints | None = None) -> Fingerprints:
    fp = fingerprint(tokens(grammar, source))
    if base is None or not base.hashes:
        return fp
    return Fingerprints({h: span for h, span in fp.hashes.items() if h not in base.hashes}, fp.token_count)


def fragments(left: Fingerprints, right: Fingerprints, shared: Iterable[int]) -> tuple[Fragment, ...]:
    """Matching regions: spans of shared fingerprints merged where they are adjacent on both sides."""
    spans = sorted((left.hashes[h], right.hashes[h]) for h in shared)
    merged: list[list[int]] = []
    for (ls, le), (rs, re_) in spans:
        if merged:
            cur = merged[-1]
            if ls <= cur[1] + 2 and rs <= cur[3] + 2 and re_ >= cur[2] - 2:
                cur[1], cur[2], cur[3] = max(cur[1], le), min(cur[2], rs), max(cur[3], re_)
                continue
        merged.append([ls, le, rs, re_])
    return tuple(Fragment(*m) for m in merged)


def similarity_of(left: Fingerprints, right: Fingerprints) -> float:
    """The pair's similarity alone (no fragments: a tenth of the cost, for ranking many pairs)."""
    smaller = min(len(left.hashes), len(right.hashes))
    return round(len(left.hashes.keys() & right.hashes.keys()) / smaller, 4) if smaller else 0.0


def compare(left: Fingerprints, right: Fingerprints) -> Comparison:
    shared = left.hashes.keys() & right.hashes.keys()
    smaller = min(len(left.hashes), len(right.hashes))
    similarity = len(shared) / smaller if smaller else 0.0
    return Comparison(round(similarity, 4), fragments(left, right, shared), len(shared))


@dataclasses.dataclass(frozen=True)
class Entry:
    submission_id: str
    user_id: str
    scope: str
    """Problem and language family: only submissions of one scope are compared."""
    fingerprints: Fingerprints
    contest_id: str = ""


@dataclasses.dataclass(frozen=True)
class Pair:
    left: Entry
    right: Entry
    comparison: Comparison


class SimilarityIndex:
    """Fingerprints of every indexed submission, an inverted index per scope and shared counts per pair.

    Fingerprints found in more than ``common_share`` of a scope's submissions (and at least
    ``common_min`` of them) are treated as boilerplate for ranking (everyone's ``main``), like MOSS's
    frequency cut; exact pair similarity is then computed on the candidates with full fingerprints.
    """

    def __init__(self, *, common_share: float = 0.5, common_min: int = 20) -> None:
        self._entries: dict[str, Entry] = {}
        self._postings: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
        self._shared: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
        self._sizes: dict[str, int] = defaultdict(int)
        self.common_share = common_share
        self.common_min = common_min

    def __contains__(self, submission_id: str) -> bool:
        return submission_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, submission_id: str) -> Entry | None:
        return self._entries.get(submission_id)

    def _common(self, scope: str, postings: list[str]) -> bool:
        size = self._sizes[scope]
        return len(postings) >= self.common_min and len(postings) > self.common_share * size

    def add(self, entry: Entry) -> None:
        if entry.submission_id in self._entries:
            return
        self._entries[entry.submission_id] = entry
        self._sizes[entry.scope] += 1
        postings = self._postings[entry.scope]
        shared = self._shared[entry.scope]
        me = entry.submission_id
        counts: collections.Counter[str] = collections.Counter()
        for h in entry.fingerprints.hashes:
            owners = postings[h]
            if owners and not self._common(entry.scope, owners):
                counts.update(owners)  # counted in C: adding costs the postings, not a loop per owner here
            owners.append(me)
        for other, count in counts.items():
            shared[(other, me) if other < me else (me, other)] = count

    def candidates(self, entries: Iterable[Entry], min_similarity: float) -> list[Pair]:
        """Pairs among ``entries`` (same scope, different authors) at least ``min_similarity`` alike,
        most similar first."""
        wanted = {e.submission_id for e in entries}
        scopes = {self._entries[s].scope for s in wanted if s in self._entries}
        pairs: list[Pair] = []
        for scope in scopes:
            for (a, b), count in self._shared[scope].items():
                if a not in wanted or b not in wanted:
                    continue
                left, right = self._entries[a], self._entries[b]
                if left.user_id and left.user_id == right.user_id:
                    continue
                smaller = min(len(left.fingerprints.hashes), len(right.fingerprints.hashes)) or 1
                if count / smaller < min_similarity * 0.5:
                    continue  # cannot reach the threshold even counting every boilerplate hash back
                if similarity_of(left.fingerprints, right.fingerprints) >= min_similarity:
                    pairs.append(Pair(left, right, compare(left.fingerprints, right.fingerprints)))
        pairs.sort(key=lambda p: (-p.comparison.similarity, p.left.submission_id, p.right.submission_id))
        return pairs
