"""``JetStreamBroker``: the ``TopicBroker`` port across instances, on NATS JetStream.

Every topic is one subject of one stream (``ARENA_TOPICS``, subjects ``arena.topics.>``), keeping the
last ``retention`` messages per subject, as the hub's replay window does. A message carries its topic
sequence in the ``Arena-Seq`` header; the payload is the message rendered once for that sequence.

Sequences are assigned centrally by compare-and-set: the publisher names the subject's last stream
sequence it knows in ``Nats-Expected-Last-Subject-Sequence`` and the next topic sequence in
``Arena-Seq``; JetStream stores it only if no other message reached the subject meanwhile, otherwise
(error 10071) the publisher reads the subject's last message and tries again. So per topic the
sequences are 1, 2, 3 ... with no gap, whichever instance published.

Each instance reads a topic through ONE ordered push consumer (created on the first local subscriber,
dropped once the topic has been idle for ``idle_topic_s``), which first loads the retained messages
(the local replay window) and then follows the subject; it feeds every local ``Subscription`` in
stream order. A subscriber resuming with a token from another instance gets exactly what followed
its positions: the window here holds the same messages as the stream.

A topic silent for longer than the stream's ``max_age_s`` loses its messages and starts again at 1
(as the hub forgets an idle topic); subscribers resume from their tokens as usual.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import Callable, Mapping

import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js import api
from nats.js.errors import BadRequestError, NotFoundError
from nats.js.manager import JetStreamManager

from arena.broker.subjects import topic_subject
from arena.core.errors import Unavailable
from arena.realtime.domain import Delivery, Render
from arena.realtime.store import Subscription

log = structlog.get_logger("arena.realtime.jetstream")

STREAM = "ARENA_TOPICS"
PREFIX = "arena.topics"
SEQUENCE_HEADER = "Arena-Seq"
EXPECTED_LAST_SUBJECT_SEQUENCE = "Nats-Expected-Last-Subject-Sequence"
WRONG_LAST_SEQUENCE = 10071
"""JetStream's error code when the expected last subject sequence is not the subject's."""
MAX_ATTEMPTS = 64
"""Compare-and-set rounds a publish may lose to other publishers before it gives up (UNAVAILABLE)."""
MAX_HEADS = 10_000
BROKER_ERRORS = (NatsError, TimeoutError, OSError)
"""What a lost or slow connection raises (nats-py lets socket errors through as they are)."""


class _Topic:
    """A topic as this instance reads it: the last sequence delivered here, the replay window, the local
    subscribers, and the one NATS consumer feeding them."""

    def __init__(self, name: str, retention: int, clock: Callable[[], float]) -> None:
        self.name = name
        self.sequence = 0
        self.stream_sequence = 0
        self.recent: collections.deque[Delivery] = collections.deque(maxlen=retention)
        self.subscribers: set[Subscription] = set()
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.loaded_through = 0
        """The stream sequence of the subject's last message when the consumer was made: ready once here."""
        self.consumer: object | None = None
        self.clock = clock
        self.touched = clock()

    def take(self, msg: Msg) -> None:
        """One message from the consumer: a new sequence goes to the window and every local subscriber; a
        repeat (an ordered consumer recreated after a reconnect starts again after what it delivered, but a
        message may come twice) is dropped."""
        stream_sequence = msg.metadata.sequence.stream
        raw = (msg.headers or {}).get(SEQUENCE_HEADER)
        if raw is not None and raw.isdigit() and int(raw) > self.sequence:
            sequence = int(raw)
            if self.sequence and sequence != self.sequence + 1:
                log.warning("topic sequence jumped", topic=self.name, after=self.sequence, to=sequence)
            delivery = Delivery(self.name, sequence, msg.data)
            self.sequence = sequence
            self.recent.append(delivery)
            for subscription in self.subscribers:
                subscription.offer(delivery)
        self.stream_sequence = max(self.stream_sequence, stream_sequence)
        if not self.ready.done() and stream_sequence >= self.loaded_through:
            self.ready.set_result(None)


class JetStreamBroker:
    """``TopicBroker`` shared by every instance connected to the same NATS server."""

    def __init__(
        self,
        connection: Client,
        *,
        retention: int = 1000,
        queue_capacity: int = 1000,
        max_age_s: float = 7 * 24 * 3600.0,
        ready_timeout_s: float = 10.0,
        request_timeout_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._nc = connection
        self._js = connection.jetstream(timeout=request_timeout_s)
        self._jsm: JetStreamManager = connection.jsm(timeout=request_timeout_s)
        self._retention = retention
        self._queue_capacity = queue_capacity
        self._max_age_s = max_age_s
        self._ready_timeout_s = ready_timeout_s
        self._request_timeout_s = request_timeout_s
        self._clock = clock
        self._topics: dict[str, _Topic] = {}
        self._heads: collections.OrderedDict[str, tuple[int, int]] = collections.OrderedDict()
        """Per topic the newest (stream sequence, topic sequence) this instance knows: the next publish's
        expectation, right unless another instance published since."""

    async def setup(self) -> None:
        """Creates the stream (or brings its limits up to date); every instance may do it at start."""
        config = api.StreamConfig(
            name=STREAM,
            subjects=[f"{PREFIX}.>"],
            max_msgs_per_subject=self._retention,
            max_age=self._max_age_s,
            storage=api.StorageType.FILE,
            discard=api.DiscardPolicy.OLD,
            allow_direct=True,
        )
        try:
            await self._jsm.add_stream(config)
        except BadRequestError:  # exists with other limits (a changed setting): take the new ones
            await self._jsm.update_stream(config)

    # -- publishing ------------------------------------------------------------------------------

    async def _last(self, subject: str) -> tuple[int, int]:
        """The subject's last message as (stream sequence, topic sequence); (0, 0) when it has none."""
        try:
            msg = await self._jsm.get_last_msg(STREAM, subject, direct=True)
        except NotFoundError:
            return 0, 0
        raw = (msg.headers or {}).get(SEQUENCE_HEADER, "0")
        return int(msg.seq or 0), int(raw) if raw.isdigit() else 0

    def _remember(self, topic: str, head: tuple[int, int]) -> None:
        known = self._heads.get(topic)
        if known is None or head[0] > known[0]:
            self._heads[topic] = head
        self._heads.move_to_end(topic)
        while len(self._heads) > MAX_HEADS:
            self._heads.popitem(last=False)

    async def publish(self, topic: str, render: Render) -> tuple[int, int]:
        """Stores the message under the topic's next sequence (compare-and-set, retried when another
        publisher won); returns (its sequence, this instance's subscribers of the topic). The message
        reaches local subscribers through the consumer, in stream order like everyone else's."""
        subject = topic_subject(PREFIX, topic)
        head = self._heads.get(topic)
        try:
            for _ in range(MAX_ATTEMPTS):
                if head is None:
                    head = await self._last(subject)
                stream_sequence, sequence = head
                sequence += 1
                headers = {EXPECTED_LAST_SUBJECT_SEQUENCE: str(stream_sequence), SEQUENCE_HEADER: str(sequence)}
                try:
                    ack = await self._js.publish(subject, render(sequence), stream=STREAM, headers=headers)
                except BadRequestError as exc:
                    if exc.err_code != WRONG_LAST_SEQUENCE:
                        raise
                    head = None  # another publisher came first: read the subject's last message again
                    continue
                self._remember(topic, (ack.seq, sequence))
                state = self._topics.get(topic)
                return sequence, len(state.subscribers) if state is not None else 0
        except BROKER_ERRORS as exc:
            raise Unavailable(f"the message broker did not take the message: {exc}", retry_after_s=1.0) from None
        raise Unavailable("too many concurrent publishers on this topic; try again", retry_after_s=0.1)

    # -- subscribing -----------------------------------------------------------------------------

    async def _open(self, topic: str) -> _Topic:
        """The topic's local state, its consumer made and its retained messages loaded."""
        state = self._topics.get(topic)
        if state is None:
            state = self._topics[topic] = _Topic(topic, self._retention, self._clock)
            try:
                await self._start(state)
            except BaseException as exc:
                if self._topics.get(topic) is state:
                    del self._topics[topic]
                if not state.ready.done():
                    state.ready.set_exception(exc if isinstance(exc, Exception) else Unavailable("cancelled"))
                    state.ready.exception()  # (retrieved: no "never retrieved" warning)
                await self._drop_consumer(state)
                if isinstance(exc, BROKER_ERRORS):
                    raise Unavailable(f"the message broker cannot be read: {exc}", retry_after_s=1.0) from None
                raise
        else:
            try:
                await asyncio.shield(state.ready)
            except BROKER_ERRORS as exc:  # (the first subscriber's attempt failed: the same answer here)
                raise Unavailable(f"the message broker cannot be read: {exc}", retry_after_s=1.0) from None
        state.touched = self._clock()
        return state

    async def _start(self, state: _Topic) -> None:
        subject = topic_subject(PREFIX, state.name)
        stream_sequence, _ = await self._last(subject)
        state.loaded_through = stream_sequence

        async def take(msg: Msg) -> None:
            state.take(msg)

        state.consumer = await self._js.subscribe(
            subject,
            stream=STREAM,
            cb=take,
            ordered_consumer=True,
            deliver_policy=api.DeliverPolicy.ALL,
            idle_heartbeat=2.0,
        )
        if stream_sequence == 0 and not state.ready.done():
            state.ready.set_result(None)  # nothing retained: nothing to load first
        deadline = asyncio.get_running_loop().time() + self._ready_timeout_s
        while not state.ready.done():
            try:
                await asyncio.wait_for(asyncio.shield(state.ready), 0.5)
            except TimeoutError:
                # The message it waits for may have expired meanwhile: ready once nothing newer is stored.
                if (await self._last(subject))[0] <= state.stream_sequence and not state.ready.done():
                    state.ready.set_result(None)
                elif asyncio.get_running_loop().time() > deadline:
                    raise
        self._remember(state.name, (state.stream_sequence, state.sequence))

    async def subscribe(self, topics: tuple[str, ...], after: Mapping[str, int]) -> tuple[Subscription, list[Delivery]]:
        states = [await self._open(name) for name in topics]
        # From here on no await: positions, backlog and registration see the same moment.
        positions = {s.name: after.get(s.name, s.sequence) for s in states}
        subscription = Subscription(topics, positions, self._queue_capacity)
        backlog: list[Delivery] = []
        for state in states:
            position = after.get(state.name)
            if position is not None:
                backlog.extend(d for d in state.recent if d.sequence > position)
            state.subscribers.add(subscription)
        return subscription, backlog

    async def unsubscribe(self, subscription: Subscription) -> None:
        for name in subscription.topics:
            state = self._topics.get(name)
            if state is not None:
                state.subscribers.discard(subscription)
                state.touched = self._clock()

    # -- upkeep ----------------------------------------------------------------------------------

    async def _drop_consumer(self, state: _Topic) -> None:
        consumer, state.consumer = state.consumer, None
        if consumer is not None:
            with contextlib.suppress(Exception):
                await consumer.unsubscribe()  # type: ignore[attr-defined]

    async def forget_idle(self, idle_s: float) -> int:
        """Drops the consumers of topics nobody here watched for ``idle_s``; returns how many."""
        now = self._clock()
        idle = [s for s in self._topics.values() if not s.subscribers and now - s.touched > idle_s and s.ready.done()]
        for state in idle:
            del self._topics[state.name]
            await self._drop_consumer(state)
        return len(idle)

    async def close(self) -> None:
        for state in list(self._topics.values()):
            await self._drop_consumer(state)
        self._topics.clear()
