"""Stream clients that reconnect and resume, recording every message, to find gaps.

Each follows one REST (NDJSON, through Envoy) server stream and, when the stream ends early
(a server shutting down sends a ``last`` message with nothing in it; a killed one just ends)
or a connection fails, reconnects with its resume parameter set to the last thing it saw:

- ``watch_submissions``: ``GET /v1/submissions/{id}:watch?after_sequence=N``: every
  submission's events must come as 1, 2, ... N with no gap and no repeat, ending FINISHED;
- ``NotificationFollower``: ``GET /v1/notifications:stream?after_sequence=N``: sequences
  strictly increasing, and at the end every notification the list shows after the start
  must have come through the stream;
- ``BoardFollower``: ``GET /v1/contests/{id}/leaderboard:watch?after_version=V``: versions
  strictly increasing.

Connection errors and early ends count as reconnects; what a client missed counts as a gap.
"""

from __future__ import annotations

import abc
import asyncio
import collections
import contextlib
import dataclasses
import datetime as dt
import json
import threading
import time
from collections.abc import AsyncGenerator, Mapping
from typing import Any

import httpx


@dataclasses.dataclass
class StreamLog:
    name: str
    messages: int = 0
    reconnects: int = 0
    gaps: list[str] = dataclasses.field(default_factory=list)
    errors: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    seen: list[int] = dataclasses.field(default_factory=list)
    repeats: int = 0
    """Messages that carried nothing new (the same board version again): not a gap."""

    def summary(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "reconnects": self.reconnects,
            "gaps": self.gaps[:10],
            "gap_count": len(self.gaps),
            "errors": dict(self.errors),
            "repeats": self.repeats,
        }


async def ndjson(
    client: httpx.AsyncClient, path: str, params: Mapping[str, Any], headers: Mapping[str, str], log: StreamLog
) -> AsyncGenerator[dict[str, Any], None]:
    """The messages of one connection (``result`` unwrapped); ends quietly when the connection does."""
    try:
        async with client.stream("GET", path, params=dict(params), headers=dict(headers)) as response:
            if response.status_code != 200:
                body = (await response.aread())[:200]
                log.errors[f"{response.status_code} {body!r}"] += 1
                return
            async for line in response.aiter_lines():
                if not line.strip():
                    continue
                try:
                    message = json.loads(line)
                except ValueError:
                    log.errors["bad json"] += 1
                    continue
                if isinstance(message, dict) and "result" in message:
                    message = message["result"]
                if isinstance(message, dict) and "error" in message:
                    log.errors[f"error {message['error'].get('code')}"] += 1
                    return
                yield message
    except httpx.HTTPError as error:
        log.errors[type(error).__name__] += 1


async def watch_submission(
    client: httpx.AsyncClient, submission_id: str, headers: Mapping[str, str], log: StreamLog, deadline: float
) -> bool:
    """Follows one submission to its verdict, resuming after drops; True once FINISHED was seen."""
    last = 0
    first = True
    while time.monotonic() < deadline:
        if not first:
            log.reconnects += 1
            await asyncio.sleep(0.1)
        first = False
        async for message in ndjson(
            client, f"/v1/submissions/{submission_id}:watch", {"after_sequence": last}, headers, log
        ):
            log.messages += 1
            event = message.get("event")
            if event:
                sequence = int(event.get("sequence", 0))
                if sequence != last + 1:
                    log.gaps.append(f"{submission_id}: event {sequence} after {last}")
                last = max(last, sequence)
            if message.get("last"):
                if event or (message.get("submission") or {}).get("status") == "SUBMISSION_STATUS_FINISHED":
                    return True
                break  # the server is shutting down: reconnect after the last event
    log.gaps.append(f"{submission_id}: not finished by the deadline (last event {last})")
    return False


class Follower(abc.ABC):
    """A long-lived stream followed until ``stop`` (resume parameter from the last message)."""

    path: str = ""
    resume: str = ""

    def __init__(self, name: str, headers: Mapping[str, str]) -> None:
        self.log = StreamLog(name)
        self.headers = headers
        self.position = 0

    def params(self) -> dict[str, Any]:
        return {self.resume: self.position}

    @abc.abstractmethod
    def take(self, message: dict[str, Any]) -> None:
        """Reads one message: its position, and any gap or repeat."""

    async def run(self, client: httpx.AsyncClient, stop: asyncio.Event) -> None:
        first = True
        while not stop.is_set():
            if not first:
                self.log.reconnects += 1
                await asyncio.sleep(0.1)
            first = False
            reader = ndjson(client, self.path, self.params(), self.headers, self.log)
            stopper = asyncio.ensure_future(stop.wait())
            try:
                while True:
                    step = asyncio.ensure_future(anext(reader))
                    done, _ = await asyncio.wait({step, stopper}, return_when=asyncio.FIRST_COMPLETED)
                    if stopper in done:
                        step.cancel()
                        with contextlib.suppress(BaseException):
                            await step
                        return
                    try:
                        message = step.result()
                    except StopAsyncIteration:
                        break
                    self.log.messages += 1
                    self.take(message)
                    if message.get("last") and not message.get("leaderboard"):
                        break
            finally:
                stopper.cancel()
                with contextlib.suppress(BaseException):
                    await reader.aclose()


class NotificationFollower(Follower):
    path = "/v1/notifications:stream"
    resume = "after_sequence"

    def take(self, message: dict[str, Any]) -> None:
        notification = message.get("notification")
        if not notification:
            return
        sequence = int(notification.get("sequence", 0))
        if sequence <= self.position:
            self.log.gaps.append(f"notification {sequence} repeated after {self.position}")
        self.log.seen.append(sequence)
        self.position = max(self.position, sequence)


class BoardFollower(Follower):
    resume = "after_version"

    def __init__(self, name: str, headers: Mapping[str, str], contest_id: str) -> None:
        super().__init__(name, headers)
        self.path = f"/v1/contests/{contest_id}/leaderboard:watch"

    def take(self, message: dict[str, Any]) -> None:
        board = message.get("leaderboard") or message.get("change")  # a snapshot or the change to one
        if not board:
            return
        version = int(board.get("version", 0))
        if version < self.position:
            self.log.gaps.append(f"board version {version} after {self.position}")
        elif version == self.position:
            self.log.repeats += 1
        self.log.seen.append(version)
        self.position = max(self.position, version)


class StreamClients:
    """Runs followers and submission watchers on a loop in a thread while a scenario acts."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.followers: list[Follower] = []
        self.watch_log = StreamLog("WatchSubmission")
        self.watched: dict[str, bool] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-streams", daemon=True)
        self._stop: asyncio.Event | None = None
        self._tasks: list[asyncio.Future[Any]] = []
        self.stopped_at: dt.datetime | None = None
        """When the followers were ended (what was made later is not theirs to have seen)."""
        self._client: httpx.AsyncClient | None = None

    def start(self, followers: list[Follower]) -> None:
        self.followers = followers
        self._thread.start()

        async def begin() -> None:
            self._stop = asyncio.Event()
            self._client = httpx.AsyncClient(
                base_url=self.base_url,
                timeout=httpx.Timeout(10.0, read=60.0),
                limits=httpx.Limits(max_connections=64),
                trust_env=False,
            )
            for follower in followers:
                self._tasks.append(asyncio.ensure_future(follower.run(self._client, self._stop)))

        asyncio.run_coroutine_threadsafe(begin(), self._loop).result(10)

    def watch(self, submission_id: str, headers: Mapping[str, str], timeout_s: float = 120.0) -> None:
        async def follow() -> None:
            assert self._client is not None
            self.watched[submission_id] = await watch_submission(
                self._client, submission_id, headers, self.watch_log, time.monotonic() + timeout_s
            )

        self._tasks.append(asyncio.run_coroutine_threadsafe(follow(), self._loop))  # type: ignore[arg-type]

    def stop(self, timeout_s: float = 150.0) -> None:
        """Waits for the submission watches to reach their verdicts, then ends the followers and notes when
        (``stopped_at``): what was made after that is not theirs to have seen."""
        deadline = time.monotonic() + timeout_s
        for task in self._tasks:
            with contextlib.suppress(Exception):
                if hasattr(task, "result") and not isinstance(task, asyncio.Task):
                    task.result(max(0.1, deadline - time.monotonic()))  # type: ignore[call-arg]

        async def end() -> None:
            assert self._stop is not None
            self._stop.set()

        self.stopped_at = dt.datetime.now(dt.UTC)
        asyncio.run_coroutine_threadsafe(end(), self._loop).result(10)

        async def close() -> None:
            for task in self._tasks:
                if isinstance(task, asyncio.Task):
                    with contextlib.suppress(BaseException):
                        await asyncio.wait_for(task, 10)
            if self._client is not None:
                await self._client.aclose()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
