"""What a streamed leaderboard page sends after its snapshot: the rows that changed, not the page again.

A verdict usually changes one participant's row and the ranks of those it passes; a page of 100 rows sent
again to every follower for that is most of the bytes a board stream moves (and most of what its clients
parse). A change names only the positions whose row differs from the base page; the client keeps every
other position as it was. Pure: rows in, rows out (the servicer renders the messages).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from arena.contest.domain import Row


@dataclasses.dataclass(frozen=True)
class Placed:
    """A position of the new page and its row; ``moved``: the row is the base page's row of the same
    participant with only its rank changed (the client takes it from the page it holds)."""

    position: int
    row: Row
    moved: bool


@dataclasses.dataclass(frozen=True)
class PageChange:
    row_count: int
    placed: tuple[Placed, ...]


def page_change(base: Sequence[Row], new: Sequence[Row]) -> PageChange:
    """The change that turns the page ``base`` into ``new`` (both best first)."""
    before = {row.user_id: row for row in base}
    placed = []
    for position, row in enumerate(new):
        if position < len(base) and base[position] == row:
            continue  # same participant, same row, same place: the client keeps it
        old = before.get(row.user_id)
        moved = old is not None and dataclasses.replace(old, rank=row.rank) == row
        placed.append(Placed(position, row, moved))
    return PageChange(len(new), tuple(placed))


def apply_page_change(base: Sequence[Row], change: PageChange) -> tuple[Row, ...]:
    """The page a client holds after ``change`` (what every client of the stream does, written once here
    for the tests and as the reference for other languages)."""
    before = {row.user_id: row for row in base}
    page: list[Row | None] = [*base[: change.row_count], *[None] * (change.row_count - len(base))]
    for placed in change.placed:
        row = placed.row
        if placed.moved:
            row = dataclasses.replace(before[row.user_id], rank=row.rank)
        page[placed.position] = row
    if any(row is None for row in page):
        raise ValueError("the change leaves a position of the page empty")
    return tuple(row for row in page if row is not None)
