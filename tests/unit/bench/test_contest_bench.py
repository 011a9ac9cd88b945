"""The contest benchmarks' data, seeding and reports."""

from __future__ import annotations

import asyncio

from bench import contest_data, standings

from arena.contest.domain import ScoringRule
from arena.contest.domain import standings as score
from arena.contest.store import SqlContestStore
from arena.kit.db import make_engine


def test_the_synthetic_contest_is_deterministic_and_sized():
    a = contest_data.synthetic(ScoringRule.ICPC, contestants=20, problems=3, submissions=200)
    b = contest_data.synthetic(ScoringRule.ICPC, contestants=20, problems=3, submissions=200)
    assert a == b
    assert len(a.participants) == 20 and len(a.results) == 200 and len(a.contest.spec.problems) == 3
    assert len({r.submission_id for r in a.results}) == 200
    ioi = contest_data.synthetic(ScoringRule.IOI, contestants=20, problems=3, submissions=200)
    assert any(r.groups for r in ioi.results)


def test_a_seeded_store_has_the_same_board(tmp_path):
    data = contest_data.synthetic(ScoringRule.ICPC, contestants=15, problems=2, submissions=60)
    url = f"sqlite+aiosqlite:///{tmp_path}/contest.db"

    async def board():
        await contest_data.seed(url, data)
        engine = make_engine(url)
        try:
            return await SqlContestStore(engine).board(contest_data.CONTEST_ID)
        finally:
            await engine.dispose()

    stored = asyncio.run(board())
    assert stored is not None and stored.version == 2
    assert score(stored.contest, stored.participants, stored.results) == score(
        data.contest, data.participants, data.results
    )


def test_the_standings_table_gives_ratios_against_the_sort():
    timings = [standings.summarize(standings.BASELINE, [2.0, 2.0, 4.0]), standings.summarize("x", [10.0, 10.0])]
    text = standings.table(timings, baseline=standings.BASELINE)
    assert "| x | 2 | 10.0 | 10.0 | 10.0 | 5.0 |" in text
    assert f"| {standings.BASELINE} | 3 | 2.0 | 4.0 |" in text


def test_the_plain_sort_orders_by_solved():
    data = contest_data.synthetic(ScoringRule.ICPC, contestants=10, problems=2, submissions=80)
    ranked = standings.plain_sort(data)
    assert len(ranked) == 10  # type: ignore[arg-type]


def test_the_leaderboard_check_and_verdict():
    from bench import leaderboard
    from bench.harness import Cell

    page = {"leaderboard": {"rows": [{"user_id": "a", "rank": 1}], "version": 2}}
    assert leaderboard.same_page(page, page) == []
    other = {"leaderboard": {"rows": [{"user_id": "b", "rank": 1}], "version": 2}}
    assert "different rows" in leaderboard.same_page(page, other)

    def cell(scenario: str, rps: float) -> Cell:
        return Cell("c", scenario, 1, rps, 1.0, 2.0, 0, [])

    lines = leaderboard.verdict([cell(leaderboard.BASELINE, 100.0), cell(leaderboard.NATIVE, 250.0)])
    assert lines == ["- concurrency 1: native gRPC 2.50x the baseline (meets the 2x target)"]


def test_stream_latencies_from_arrivals():
    from bench import board_stream as bs

    subscribers = [[(10.0, 1), (10.5, 2), (11.0, 4)], [(10.0, 1), (10.2, 3)]]
    assert bs.first_at(subscribers[0], 3) == 11.0 and bs.first_at(subscribers[1], 4) is None
    assert [round(x) for x in bs.single_latencies(10.1, 2, subscribers)] == [400, 100]
    # acknowledged in the order b, a: b made version 2, a version 3
    latencies = bs.burst_latencies(1, [(10.15, 10.3), (10.1, 10.2)], subscribers)
    assert [round(x) for x in latencies] == [400, 100, 850, 50]


def test_stream_table_and_web_frames():
    import struct

    from bench import board_stream as bs

    rows = [
        bs.summarize(bs.NATIVE, "one verdict", 10, 1, [10.0, 20.0]),
        bs.summarize(bs.NDJSON, "one verdict", 5, 1, [60.0]),
    ]
    text = bs.table(rows, baseline=bs.NATIVE)
    assert "| one verdict | REST NDJSON via Envoy | 5 | 1 | 1 | 60.0 | 60.0 | 60.0 | 3.00 | no |" in text
    assert "| 20.0 | 20.0 | 1.00 | yes |" in text
    buffer = bytearray(struct.pack(">BI", 0, 3) + b"abc" + struct.pack(">BI", 0x80, 2) + b"ok" + b"\x00\x00")
    assert bs.web_messages(buffer) == [b"abc"] and buffer == bytearray(b"\x00\x00")


def test_the_floor_server_sends_every_stream_the_new_version_and_versions_read_from_either_message():
    import grpc
    from bench import board_floor
    from bench import board_stream as bs

    from arena.contest.v1 import (
        contest_internal_service_pb2,
        contest_internal_service_pb2_grpc,
        contest_service_pb2,
        contest_service_pb2_grpc,
    )

    async def run() -> list[list[int]]:
        server = grpc.aio.server()
        server.add_generic_rpc_handlers((board_floor.handlers(board_floor.Board()),))
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                public = contest_service_pb2_grpc.ContestServiceStub(channel)
                internal = contest_internal_service_pb2_grpc.ContestInternalServiceStub(channel)
                request = contest_service_pb2.GetLeaderboardStreamRequest(contest_id="c")
                streams = [public.GetLeaderboardStream(request) for _ in range(3)]
                seen = [[bs.board_version(await s.read())] for s in streams]
                applied = await internal.RecordSubmissionResult(
                    contest_internal_service_pb2.RecordSubmissionResultRequest()
                )
                assert applied.applied
                for versions, stream in zip(seen, streams, strict=True):
                    versions.append(bs.board_version(await asyncio.wait_for(stream.read(), 5)))
                    stream.cancel()
                return seen
        finally:
            await server.stop(0)

    assert asyncio.run(run()) == [[1, 2]] * 3
    snapshot = contest_service_pb2.GetLeaderboardStreamResponse()
    snapshot.leaderboard.version = 7
    assert bs.board_version(snapshot) == 7
