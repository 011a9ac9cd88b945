import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { LeaderboardSchema, StandingRowSchema, type StandingRow } from "../../gen/arena/contest/v1/contest_pb.js";
import {
  GetLeaderboardStreamResponseSchema,
  LeaderboardChangeSchema,
  PlacedRowSchema,
} from "../../gen/arena/contest/v1/contest_service_pb.js";
import { nextBoard } from "../src/board.js";

const row = (userId: string, rank: number, solvedCount: number): StandingRow =>
  create(StandingRowSchema, { userId, rank, solvedCount, displayName: userId.toUpperCase() });
const snapshot = (version: number, rows: StandingRow[]) =>
  create(GetLeaderboardStreamResponseSchema, { leaderboard: create(LeaderboardSchema, { version, rows, participantCount: 3 }) });
const change = (baseVersion: number, version: number, rowCount: number, rows: { position: number; row: StandingRow; moved?: boolean }[]) =>
  create(GetLeaderboardStreamResponseSchema, {
    change: create(LeaderboardChangeSchema, {
      baseVersion,
      version,
      rowCount,
      participantCount: 3,
      rows: rows.map((r) => create(PlacedRowSchema, { position: r.position, row: r.row, moved: r.moved ?? false })),
    }),
  });

describe("nextBoard", () => {
  const held = nextBoard(undefined, snapshot(4, [row("ann", 1, 2), row("bob", 2, 1), row("cyd", 3, 0)]))!;

  it("takes a snapshot as it is", () => {
    expect(held.version).toBe(4);
    expect(held.rows.map((r) => r.userId)).toEqual(["ann", "bob", "cyd"]);
  });

  it("applies a climb: the climber's whole row, the passed rows moved with their new rank", () => {
    const next = nextBoard(held, change(4, 5, 3, [
      { position: 0, row: row("cyd", 1, 3) },
      { position: 1, row: create(StandingRowSchema, { userId: "ann", rank: 2 }), moved: true },
      { position: 2, row: create(StandingRowSchema, { userId: "bob", rank: 3 }), moved: true },
    ]))!;
    expect(next.version).toBe(5);
    expect(next.rows.map((r) => [r.userId, r.rank, r.solvedCount, r.displayName])).toEqual([
      ["cyd", 1, 3, "CYD"],
      ["ann", 2, 2, "ANN"],
      ["bob", 3, 1, "BOB"],
    ]);
    expect(held.rows[0].userId).toBe("ann"); // the held board is not modified
  });

  it("keeps unnamed positions and drops rows past the new row count", () => {
    const next = nextBoard(held, change(4, 6, 2, [{ position: 1, row: row("bob", 2, 2) }]))!;
    expect(next.rows.map((r) => [r.userId, r.solvedCount])).toEqual([["ann", 2], ["bob", 2]]);
  });

  it("returns the held board for a heartbeat", () => {
    expect(nextBoard(held, change(4, 4, 3, []))).toBe(held);
  });

  it("refuses a change for another base version or one that leaves a hole", () => {
    expect(nextBoard(held, change(3, 5, 3, []))).toBeUndefined();
    expect(nextBoard(undefined, change(4, 5, 3, []))).toBeUndefined();
    expect(nextBoard(held, change(4, 5, 5, [{ position: 4, row: row("dan", 5, 0) }]))).toBeUndefined();
  });
});
