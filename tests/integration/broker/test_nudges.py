"""Nudges between instances over a real nats-server: another instance's arrive with their fields, an
instance's own and malformed ones are ignored, and a key of any text stays one subject token."""

from __future__ import annotations

import asyncio
import uuid

from arena.broker.connection import connect
from arena.broker.nudges import Nudges

WAIT_S = 10.0


async def test_nudges_reach_the_other_instances_only_and_bad_ones_are_ignored(nats_url: str):
    prefix = f"arena.test{uuid.uuid4().hex[:8]}"
    connections = [await connect(nats_url, name) for name in ("a", "b")]
    a, b = Nudges(connections[0], "instance-a"), Nudges(connections[1], "instance-b")
    heard: dict[str, list[tuple[str, dict[str, int]]]] = {"a": [], "b": []}
    await a.listen(prefix, lambda key, fields: heard["a"].append((key, dict(fields))))
    await b.listen(prefix, lambda key, fields: heard["b"].append((key, dict(fields))))
    try:
        key = "sub.mission/1 *>"  # separators, wildcards and spaces in an id: still one token
        await connections[1].publish(f"{prefix}.junk", b"not json")  # malformed: ignored, not fatal
        await connections[1].publish(f"{prefix}.junk", b'{"origin": "x", "key": 5}')
        # Nudges are best effort (a lost one costs a poll): sent again until each side has heard the other's.
        # A CI run once saw a first nudge not arrive within 10 s; the cause is not known.
        async with asyncio.timeout(WAIT_S):
            while not (heard["a"] and heard["b"]):
                if not heard["b"]:
                    a.send(prefix, key, sequence=7)
                if not heard["a"]:
                    b.send(prefix, "c1", version=3)
                await asyncio.sleep(0.25)
        # A last nudge from a third origin on b's connection: once both have it, everything sent before it
        # on that connection (the junk, b's own nudge) has been through both handlers.
        await connections[1].publish(f"{prefix}.end", b'{"origin": "z", "key": "end"}')
        async with asyncio.timeout(WAIT_S):
            while not (heard["a"][-1][0] == "end" and heard["b"][-1][0] == "end"):
                await asyncio.sleep(0.01)
        # Only the other instance's nudges, intact; b's own and the malformed ones are not heard.
        assert heard["b"][-1] == ("end", {}) and heard["b"][:-1]
        assert all(entry == (key, {"sequence": 7}) for entry in heard["b"][:-1])
        assert heard["a"][-1] == ("end", {}) and heard["a"][:-1]
        assert all(entry == ("c1", {"version": 3}) for entry in heard["a"][:-1])
    finally:
        await a.close()
        await b.close()
        for connection in connections:
            await connection.close()
