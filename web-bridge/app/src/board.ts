// The live leaderboard a page holds: set by each snapshot of GetLeaderboardStream, kept current by
// each change (only the positions whose row changed; see LeaderboardChange in the contract).

import { clone } from "@bufbuild/protobuf";
import { LeaderboardSchema, StandingRowSchema, type Leaderboard, type StandingRow } from "../../gen/arena/contest/v1/contest_pb.js";
import type { GetLeaderboardStreamResponse } from "../../gen/arena/contest/v1/contest_service_pb.js";

/** The board after one stream message; undefined when a change arrives for a page this client does not
 * hold (it then reconnects and gets a snapshot). */
export function nextBoard(held: Leaderboard | undefined, message: GetLeaderboardStreamResponse): Leaderboard | undefined {
  if (message.leaderboard) return message.leaderboard;
  const change = message.change;
  if (!change) return held; // headers only
  if (!held || change.baseVersion !== held.version) return undefined;
  if (change.version === held.version && change.rows.length === 0) return held; // a heartbeat
  const before = new Map(held.rows.map((row) => [row.userId, row]));
  const rows: (StandingRow | undefined)[] = held.rows.slice(0, change.rowCount);
  while (rows.length < change.rowCount) rows.push(undefined);
  for (const placed of change.rows) {
    if (!placed.row) return undefined;
    let row: StandingRow | undefined = placed.row;
    if (placed.moved) {
      const old = before.get(placed.row.userId);
      row = old && clone(StandingRowSchema, { ...old, rank: placed.row.rank });
    }
    rows[placed.position] = row;
  }
  if (rows.some((row) => row === undefined)) return undefined;
  const next = clone(LeaderboardSchema, held);
  next.rows = rows as StandingRow[];
  next.version = change.version;
  next.participantCount = change.participantCount;
  next.updateTime = change.updateTime;
  return next;
}
