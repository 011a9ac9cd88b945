"""A leaderboard stream's client as the contract describes it: the page it holds, kept current by changes."""

from __future__ import annotations

from arena.contest.v1 import contest_pb2, contest_service_pb2


class FollowedBoard:
    """The page a GetLeaderboardStream client holds: set by each snapshot, updated by each change."""

    def __init__(self) -> None:
        self.board: contest_pb2.Leaderboard | None = None
        self.snapshots = 0
        self.changes = 0

    def take(self, message: contest_service_pb2.GetLeaderboardStreamResponse) -> contest_pb2.Leaderboard:
        if message.HasField("leaderboard"):
            assert not message.HasField("change"), "a message is a snapshot or a change, never both"
            self.board = contest_pb2.Leaderboard()
            self.board.CopyFrom(message.leaderboard)
            self.snapshots += 1
            return self.board
        assert message.HasField("change"), "a message past the headers is a snapshot or a change"
        change = message.change
        assert self.board is not None, "a change before any snapshot"
        assert change.base_version == self.board.version, "a change for a page this client does not hold"
        before = {row.user_id: row for row in self.board.rows}
        page: list[contest_pb2.StandingRow | None] = [*self.board.rows[: change.row_count]]
        page += [None] * (change.row_count - len(page))
        for placed in change.rows:
            row = contest_pb2.StandingRow()
            if placed.moved:
                row.CopyFrom(before[placed.row.user_id])
                row.rank = placed.row.rank
            else:
                row.CopyFrom(placed.row)
            page[placed.position] = row
        assert all(row is not None for row in page), "the change left a position empty"
        rows = [row for row in page if row is not None]
        del self.board.rows[:]
        self.board.rows.extend(rows)
        self.board.version = change.version
        self.board.participant_count = change.participant_count
        self.board.update_time.CopyFrom(change.update_time)
        self.changes += 1
        return self.board

    def take_bytes(self, data: bytes) -> contest_pb2.Leaderboard:
        return self.take(contest_service_pb2.GetLeaderboardStreamResponse.FromString(data))
