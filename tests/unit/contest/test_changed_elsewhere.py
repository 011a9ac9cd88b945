"""Another instance's write, heard through the broker (``ContestApp.changed_elsewhere``): the held board
is reread at once despite the read cache's expiry, a followed board's stream moves without waiting for
its poll, and this instance's own writes are told to the others (``tell_others``) with their version."""

from __future__ import annotations

import asyncio

import pytest

from arena.contest.app import Boards, ContestApp
from arena.contest.domain import Verdict
from arena.contest.store import InMemoryContestStore
from unit.contest.test_app import ANN, BOB, SETTER, T0, Catalog, Clock, H, ac, spec


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def test_a_nudge_expires_the_held_board_and_wakes_its_stream(clock: Clock) -> None:
    store = InMemoryContestStore()
    app = ContestApp(store, Catalog(), clock=clock, poll_s=3600.0)
    ticks = [100.0]
    app.boards = Boards(store, ttl_s=3600.0, monotonic=lambda: ticks[0])
    app.watch._boards = app.boards  # (the watch reads the boards it was built with)
    cid = (await app.create(SETTER, spec())).contest_id
    await app.register(ANN, cid)
    clock.now = T0 + H
    board = await app.boards.board(cid)
    async with app.watch.follow(board) as followed:
        generation = followed.generation
        version = await store.record_at(cid, ac("s1", "ann", 5), clock.now)  # another instance's write
        assert version is not None
        assert (await app.boards.board(cid)).version == board.version  # the expiry hides it...
        app.changed_elsewhere(cid, version)  # ...until its nudge arrives
        streamed = await asyncio.wait_for(followed.after(generation), 5.0)
        assert streamed.version == version
    assert (await app.view(cid, None)).board.version == version
    app.changed_elsewhere(cid, version)  # a nudge for what is held already changes nothing
    assert app.boards._checked.get(cid)


async def test_local_writes_are_told_to_the_other_instances_with_their_version(clock: Clock) -> None:
    app = ContestApp(InMemoryContestStore(), Catalog(), clock=clock)
    told: list[tuple[str, int]] = []
    app.tell_others = lambda contest_id, version: told.append((contest_id, version))
    cid = (await app.create(SETTER, spec())).contest_id
    await app.register(BOB, cid)
    clock.now = T0 + H
    await app.boards.board(cid)
    await app.record(cid, ac("s1", "bob", 30, Verdict.WRONG_ANSWER))
    assert told[0] == (cid, 0)  # the registration: version not known here
    assert told[-1][0] == cid and told[-1][1] == (await app.boards.board(cid)).version > 0
