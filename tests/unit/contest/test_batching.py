"""Group commit: items that arrive while a write is under way are written together by the next write."""

from __future__ import annotations

import asyncio

import pytest

from arena.contest.batching import Batches


class Writer:
    def __init__(self, fail_on: str = "") -> None:
        self.writes: list[tuple[str, list[int]]] = []
        self.entered: asyncio.Queue[str] = asyncio.Queue()
        """Each write's key as it starts (tests wait on it)."""
        self.gate = asyncio.Event()
        self.fail_on = fail_on

    async def write(self, key: str, items: list[int]) -> list[int]:
        self.writes.append((key, items))
        self.entered.put_nowait(key)
        await self.gate.wait()
        if key == self.fail_on:
            raise OSError(f"{key} is down")
        return [i * 10 for i in items]


async def test_what_arrives_during_a_write_goes_into_the_next_one_and_each_caller_gets_its_outcome() -> None:
    writer = Writer()
    batches: Batches[str, int, int] = Batches(writer.write)
    first = asyncio.create_task(batches.submit("c1", 1))
    assert await asyncio.wait_for(writer.entered.get(), 5) == "c1"
    assert writer.writes == [("c1", [1])]  # a lone item is written at once, no timer
    rest = [asyncio.create_task(batches.submit("c1", i)) for i in (2, 3, 4)]
    other = asyncio.create_task(batches.submit("c2", 5))  # another key has its own writer
    assert await asyncio.wait_for(writer.entered.get(), 5) == "c2"  # while c1's first write still runs
    writer.gate.set()
    assert await first == 10 and [await t for t in rest] == [20, 30, 40] and await other == 50
    assert writer.writes == [("c1", [1]), ("c2", [5]), ("c1", [2, 3, 4])]
    assert not batches._writers and not batches._waiting  # nothing left behind


async def test_a_failed_write_fails_its_callers_only_and_the_next_write_still_runs() -> None:
    writer = Writer(fail_on="down")
    batches: Batches[str, int, int] = Batches(writer.write)
    writer.gate.set()
    with pytest.raises(OSError, match="down is down"):
        await batches.submit("down", 1)
    assert await batches.submit("up", 2) == 20


async def test_a_write_that_answers_for_the_wrong_number_of_items_is_an_error() -> None:
    async def short(key: str, items: list[int]) -> list[int]:
        return []

    batches: Batches[str, int, int] = Batches(short)
    with pytest.raises(RuntimeError, match="0 outcomes for 1 items"):
        await batches.submit("c", 1)


async def test_a_caller_that_goes_away_leaves_the_others_their_outcome() -> None:
    writer = Writer()
    batches: Batches[str, int, int] = Batches(writer.write)
    gone = asyncio.create_task(batches.submit("c", 1))
    stays = asyncio.create_task(batches.submit("c", 2))
    assert await asyncio.wait_for(writer.entered.get(), 5) == "c"  # both in the write under way
    gone.cancel()
    writer.gate.set()
    assert await stays == 20
    with pytest.raises(asyncio.CancelledError):
        await gone
