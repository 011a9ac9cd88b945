"""Standings kept up to date: a new board version recomputes only the participants it changed.

``domain.standings`` scores a whole contest (every participant's cells from every result, ~10k results for a
1,000-contestant contest). Between two versions of a board usually one result changed, so ``LiveStandings``
holds each participant's ``Entry`` for one view and, given the next board, recomputes the entries of the
participants whose results (or names) differ, then ranks again (``domain.ranked``: a sort of nearly sorted
entries plus the first-solve flags). The result is by construction what ``domain.standings`` gives for the same
board; ``tests/unit/contest/test_ranking.py`` checks that on random boards and random sequences of changes.
No I/O: the board arrives as values.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator

from arena.contest.domain import (
    PUBLIC,
    Contest,
    Entry,
    Participant,
    Result,
    RowMemo,
    Standings,
    Viewer,
    entry,
    latest,
    ranked,
)


@dataclasses.dataclass(frozen=True)
class Added:
    """Results recorded on top of an earlier board's results (what folding new verdicts into a held board
    applied, in order): lets a view that holds exactly that earlier board skip comparing every result."""

    base: object
    """The earlier board's results object (compared by identity)."""
    results: tuple[Result, ...]


class LiveStandings:
    """One view's standings of one contest across board versions (``update`` with each new board)."""

    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer
        self._contest: Contest | None = None
        self._people: dict[str, Participant] = {}
        self._results: dict[str, Result] = {}
        """The latest judgement per submission id (as ``domain.latest`` reduces them)."""
        self._by_user: dict[str, dict[str, Result]] = {}
        self._entries: dict[str, Entry] = {}
        self._rows: RowMemo = {}
        """The rows of the last ranking, reused where nothing about them changed."""
        self._inputs: tuple[object, object] | None = None
        """The last board's participants and results objects: the same board again needs no comparison."""
        self.recomputed = 0
        """Entries computed by the last ``update`` (what the incremental path saves shows here)."""

    def update(
        self,
        contest: Contest,
        participants: Iterable[Participant],
        results: Iterable[Result],
        now: dt.datetime | None = None,
        added: Added | None = None,
    ) -> Standings:
        """The standings of this board for the view, equal to ``domain.standings(contest, participants,
        results, viewer, now)``. ``added``: how ``results`` differ from an earlier board's (a hint)."""
        self._sync(contest, participants, results, added)
        return ranked(contest, self._entries.values(), self.viewer, now, self._rows)

    def seen_by(
        self,
        viewer: Viewer,
        contest: Contest,
        participants: Iterable[Participant],
        results: Iterable[Result],
        now: dt.datetime | None = None,
        added: Added | None = None,
    ) -> Standings:
        """The standings of this board for one contestant when this is the public view: the public entries,
        the contestant's own entry as they see it (their results are never hidden from them). Equal to
        ``domain.standings(..., viewer, now)`` without holding entries per contestant."""
        self._sync(contest, participants, results, added)
        entries = dict(self._entries)
        person = self._people.get(viewer.user_id)
        if person is not None:
            entries[viewer.user_id] = entry(contest, person, self._by_user.get(viewer.user_id, {}).values(), viewer)
        return ranked(contest, entries.values(), viewer, now, self._rows)

    def _sync(
        self,
        contest: Contest,
        participants: Iterable[Participant],
        results: Iterable[Result],
        added: Added | None = None,
    ) -> None:
        """Brings the entries to this board, recomputing the participants whose results or names changed."""
        held = self._inputs
        same_people = held is not None and held[0] is participants and contest == self._contest
        if same_people and held is not None and held[1] is results:
            self.recomputed = 0  # boards are immutable: the same objects are the same board
            return
        self._inputs = (participants, results)
        changed: set[str] = set()
        if same_people and held is not None and added is not None and held[1] is added.base:
            for r in added.results:  # only these differ from the board held; the latest judgement wins
                old = self._results.get(r.submission_id)
                if old is None or (old is not r and r.supersedes(old)):
                    self._results[r.submission_id] = r
                    self._file(r.submission_id, old, r, changed)
            self._rescore(contest, changed)
            return
        people = {p.user_id: p for p in participants}
        current = latest(results)
        if contest != self._contest:  # times, problems, rule or publication changed: every entry may differ
            self._contest = contest
            self._people, self._results, self._by_user, self._entries = {}, {}, {}, {}
        changed.update(u for u, p in people.items() if self._people.get(u) != p)
        changed.update(u for u in self._people if u not in people)
        for sid, r in current.items():
            old = self._results.get(sid)
            if old is not r and old != r:
                self._file(sid, old, r, changed)
        for sid in self._results.keys() - current.keys():
            self._file(sid, self._results[sid], None, changed)
        self._results, self._people = current, people
        self._rescore(contest, changed)

    def _file(self, sid: str, old: Result | None, new: Result | None, changed: set[str]) -> None:
        """Moves submission ``sid`` from ``old`` to ``new`` in the per-participant index; notes whose entries
        change."""
        if old is not None:
            changed.add(old.user_id)
            self._by_user.get(old.user_id, {}).pop(sid, None)
        if new is not None:
            changed.add(new.user_id)
            self._by_user.setdefault(new.user_id, {})[sid] = new

    def _rescore(self, contest: Contest, changed: set[str]) -> None:
        for user_id in changed:
            person = self._people.get(user_id)
            if person is None:
                self._entries.pop(user_id, None)
            else:
                self._entries[user_id] = entry(contest, person, self._by_user.get(user_id, {}).values(), self.viewer)
        self.recomputed = len(changed & self._people.keys())


@dataclasses.dataclass(frozen=True)
class RevealStep:
    """One step of an unfreeze reveal: the board after resolving one pending cell (the first step resolves
    none: the frozen public board)."""

    standings: Standings
    user_id: str = ""
    problem_id: str = ""
    """The cell resolved by this step (empty on the first step)."""
    solved: bool = False
    """Whether the resolved cell turned out solved."""
    remaining: int = 0
    """Pending cells still to resolve after this step."""


def reveal(contest: Contest, participants: Iterable[Participant], results: Iterable[Result]) -> Iterator[RevealStep]:
    """The ICPC-style reveal of a frozen contest's final standings: from the frozen public board, the lowest
    ranked participant with pending cells has their leftmost pending cell resolved, the board is ranked
    again, and so on until nothing is pending; the last step equals the published (unfrozen) board (with
    nothing pending, the only step).
    Each step rescores one participant (``domain.entry`` with that problem revealed)."""
    frozen = dataclasses.replace(contest, final_standings_published=False)
    published = dataclasses.replace(contest, final_standings_published=True)
    people = {p.user_id: p for p in participants}
    by_user: dict[str, list[Result]] = {}
    for r in latest(results).values():
        if r.user_id in people:
            by_user.setdefault(r.user_id, []).append(r)
    revealed: dict[str, frozenset[str]] = {u: frozenset() for u in people}
    entries = {u: entry(frozen, person, by_user.get(u, ()), PUBLIC) for u, person in people.items()}
    columns = [p.problem_id for p in contest.spec.problems]

    def board_after(left: int) -> Standings:
        if left:
            return ranked(frozen, entries.values(), PUBLIC)
        # Nothing pending shows any more; hidden attempts after an accepted one (never shown as pending)
        # are revealed too: the last board is the published one.
        for user_id, e in entries.items():
            if e.hidden:
                entries[user_id] = entry(published, people[user_id], by_user.get(user_id, ()), PUBLIC)
        return ranked(published, entries.values(), PUBLIC)

    left = sum(c.pending_attempts > 0 for e in entries.values() for c in e.cells)
    board = board_after(left)
    yield RevealStep(board, remaining=left)
    while left:
        row = next(r for r in reversed(board.rows) if any(c.pending_attempts for c in r.cells))
        column = next(k for k, c in enumerate(row.cells) if c.pending_attempts)
        user_id, problem_id = row.user_id, columns[column]
        revealed[user_id] = revealed[user_id] | {problem_id}
        entries[user_id] = entry(frozen, people[user_id], by_user.get(user_id, ()), PUBLIC, revealed[user_id])
        solved = entries[user_id].cells[column].solved
        left -= 1
        board = board_after(left)
        yield RevealStep(board, user_id, problem_id, solved, left)
