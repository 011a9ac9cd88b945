"""The ICPC Contest API export (CCS 2023-06): the scoreboard's shape and values, the event feed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from arena.contest import icpc
from arena.contest.domain import JURY, PUBLIC, ScoringRule, Verdict, standings
from unit.contest.test_domain import MIN, PEOPLE, T0, contest, res

ROW_KEYS = {"rank", "team_id", "score", "problems"}
SCORE_KEYS = {"num_solved", "total_time"}
PROBLEM_KEYS = {"problem_id", "num_judged", "num_pending", "solved"}
SOLVED_KEYS = PROBLEM_KEYS | {"time", "first_to_solve"}

RESULTS = [
    res("s1", "bob", "p1", Verdict.WRONG_ANSWER, 30),
    res("s2", "bob", "p1", Verdict.ACCEPTED, 41.5),
    res("s3", "ann", "p1", Verdict.ACCEPTED, 50),
    res("s4", "ann", "p2", Verdict.COMPILATION_ERROR, 55),  # no attempt: no penalty, not judged
    res("s5", "ann", "p2", Verdict.ACCEPTED, 70),
    res("s6", "cyd", "p3", Verdict.ACCEPTED, 4 * 60 + 10),  # during the freeze
]


def board(viewer=JURY, **changes):  # type: ignore[no-untyped-def]
    c = contest(**changes)
    now = T0 + dt.timedelta(hours=6)
    return c, icpc.scoreboard(c, standings(c, PEOPLE, RESULTS, viewer, now), T0 + 70 * MIN, now)


def test_the_scoreboard_has_the_contest_api_shape_and_icpc_values() -> None:
    _c, doc = board()
    assert set(doc) == {"time", "contest_time", "state", "rows"}
    assert doc["contest_time"] == "1:10:00.000" and doc["time"] == "2026-12-01T11:10:00.000+00"
    assert set(doc["state"]) == {"started", "frozen", "ended", "thawed", "finalized", "end_of_updates"}
    for row in doc["rows"]:
        assert set(row) == ROW_KEYS and set(row["score"]) == SCORE_KEYS
        for p in row["problems"]:
            assert set(p) == (SOLVED_KEYS if p["solved"] else PROBLEM_KEYS)
            assert all(isinstance(v, int) for k, v in p.items() if k in ("num_judged", "num_pending", "time"))
    ann, bob, cyd, dan = doc["rows"]
    assert (ann["rank"], ann["team_id"], ann["score"]) == (1, "ann", {"num_solved": 2, "total_time": 120})
    # bob: solved at 41.5 min → 41, plus 20 for the rejection
    assert (bob["rank"], bob["score"]) == (2, {"num_solved": 1, "total_time": 61})
    a = bob["problems"][0]
    assert a == {
        "problem_id": "A",
        "num_judged": 2,
        "num_pending": 0,
        "solved": True,
        "time": 41,
        "first_to_solve": True,
    }
    assert ann["problems"][1] == {
        "problem_id": "B",
        "num_judged": 1,
        "num_pending": 0,
        "solved": True,
        "time": 70,
        "first_to_solve": True,
    }
    assert cyd["score"]["num_solved"] == 1 and dan["rank"] == 4
    assert dan["problems"][0] == {"problem_id": "A", "num_judged": 0, "num_pending": 0, "solved": False}


def test_the_public_frozen_scoreboard_shows_pending_attempts() -> None:
    _c, doc = board(PUBLIC)
    cyd = next(r for r in doc["rows"] if r["team_id"] == "cyd")
    assert cyd["score"]["num_solved"] == 0
    assert cyd["problems"][2] == {"problem_id": "C", "num_judged": 0, "num_pending": 1, "solved": False}
    assert doc["state"]["frozen"] == "2026-12-01T14:00:00.000+00" and doc["state"]["finalized"] is None


def test_the_state_follows_the_clock_and_publishing() -> None:
    c = contest()
    assert icpc.state(c, T0 - MIN) == icpc.State(None, None, None, None, None, None)
    ended = icpc.state(c, T0 + dt.timedelta(hours=6))
    assert ended.ended == T0 + dt.timedelta(hours=5) and ended.finalized is None  # still frozen
    published = dataclasses.replace(c, final_standings_published=True, update_time=T0 + dt.timedelta(hours=7))
    final = icpc.state(published, T0 + dt.timedelta(hours=8))
    assert final.thawed == final.finalized == final.end_of_updates == T0 + dt.timedelta(hours=7)
    unfrozen = contest(freeze_before_end=dt.timedelta(0))
    assert icpc.state(unfrozen, T0 + dt.timedelta(hours=6)).finalized == T0 + dt.timedelta(hours=5)


def test_reltime_and_abstime() -> None:
    assert icpc.reltime(dt.timedelta(hours=1, minutes=2, seconds=3, milliseconds=45)) == "1:02:03.045"
    assert icpc.reltime(dt.timedelta(seconds=-90)) == "-0:01:30.000"
    assert icpc.abstime(T0) == "2026-12-01T10:00:00.000+00"


def test_ioi_scoreboards_carry_scores() -> None:
    results = [res("s1", "ann", "p1", Verdict.WRONG_ANSWER, 10, score=0.5)]
    c = contest(scoring_rule=ScoringRule.IOI, freeze_before_end=dt.timedelta(0))
    now = T0 + dt.timedelta(hours=6)
    doc = icpc.scoreboard(c, standings(c, PEOPLE, results, JURY, now), T0, now)
    ann = doc["rows"][0]
    assert ann["score"] == {"num_solved": 0, "total_time": 0, "score": 50.0}
    assert ann["problems"][0]["score"] == 50.0


def test_the_event_feed_rebuilds_the_contest_and_hides_pending_judgements() -> None:
    c = contest()
    now = T0 + dt.timedelta(hours=6)
    events = icpc.event_feed(c, PEOPLE, RESULTS, PUBLIC, now)
    types = [e["type"] for e in events]
    assert types[0] == "contest" and types[-1] == "state"
    assert types.index("judgement-types") < types.index("problems") < types.index("teams") < types.index("submissions")
    assert events[0]["data"]["penalty_time"] == 20 and events[0]["data"]["duration"] == "5:00:00.000"
    submissions = [e["data"] for e in events if e["type"] == "submissions"]
    assert [s["id"] for s in submissions] == ["s1", "s2", "s3", "s4", "s5", "s6"]
    assert submissions[1]["problem_id"] == "A" and submissions[1]["contest_time"] == "0:41:30.000"
    judgements = {
        e["data"]["submission_id"]: e["data"]["judgement_type_id"] for e in events if e["type"] == "judgements"
    }
    assert judgements == {"s1": "WA", "s2": "AC", "s3": "AC", "s4": "CE", "s5": "AC"}  # s6 pending for the public
    jury = icpc.event_feed(c, PEOPLE, RESULTS, JURY, now)
    assert sum(e["type"] == "judgements" for e in jury) == 6
    lines = icpc.ndjson(events).decode().splitlines()
    assert len(lines) == len(events) and json.loads(lines[0])["type"] == "contest"
    types_by_id = {e["id"]: e["data"] for e in events if e["type"] == "judgement-types"}
    assert types_by_id["CE"]["penalty"] is False and types_by_id["WA"]["penalty"] is True
