"""One behavioural contract for the realtime port (``TopicBroker``), run against the in-process hub and
against ``JetStreamBroker`` on a real nats-server; then what only the shared broker promises: instances
(each its own NATS connection) see one topic alike, and a token from one resumes on another."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from arena.broker.connection import connect
from arena.core.errors import Unavailable
from arena.realtime.domain import Delivery
from arena.realtime.jetstream import JetStreamBroker
from arena.realtime.store import InProcessHub, Subscription, TopicBroker

WAIT_S = 20.0


def render(value: object) -> Callable[[int], bytes]:
    return lambda sequence: f"{sequence}:{value}".encode()


def fresh_topic() -> str:
    return f"contests/c{uuid.uuid4().hex[:12]}/board.live-x_y"


async def take(subscription: Subscription, count: int) -> list[Delivery]:
    got: list[Delivery] = []
    async with asyncio.timeout(WAIT_S):
        while len(got) < count:
            item = await subscription.queue.get()
            assert item is not None, "the subscription was cut off"
            got.append(item)
    return got


async def nothing_more(subscription: Subscription, settle_s: float = 0.3) -> None:
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(settle_s):
            await subscription.queue.get()


class Instances:
    """Makes brokers: for the hub always the same one (one process), for JetStream one per connection."""

    def __init__(self, kind: str, url: str | None) -> None:
        self.kind = kind
        self._url = url
        self._closing: list[Callable[[], object]] = []
        self._hub: InProcessHub | None = None

    async def make(self, **options: int) -> TopicBroker:
        if self.kind == "hub":
            if self._hub is None or options:
                self._hub = InProcessHub(**options)
            return self._hub
        assert self._url is not None
        connection = await connect(self._url, f"test-{uuid.uuid4().hex[:6]}")
        broker = JetStreamBroker(connection, **options)
        await broker.setup()
        self._closing += [broker.close, connection.close]
        return broker

    async def close(self) -> None:
        for close in self._closing:
            await close()  # type: ignore[misc]


@pytest.fixture(params=["hub", "jetstream"])
async def instances(request: pytest.FixtureRequest) -> AsyncIterator[Instances]:
    url = request.getfixturevalue("nats_url") if request.param == "jetstream" else None
    made = Instances(request.param, url)
    yield made
    await made.close()


async def test_sequences_have_no_gaps_and_subscribers_get_every_message_in_order(instances: Instances):
    broker, topic = await instances.make(), fresh_topic()
    subscription, backlog = await broker.subscribe((topic,), {})
    assert backlog == [] and subscription.positions == {topic: 0}
    assert [(await broker.publish(topic, render(i)))[0] for i in range(5)] == [1, 2, 3, 4, 5]
    received = await take(subscription, 5)
    assert [d.sequence for d in received] == [1, 2, 3, 4, 5]
    assert received[4].payload == b"5:4" and received[4].topic == topic
    await nothing_more(subscription)


async def test_a_new_subscription_starts_at_the_current_sequence_unless_resumed(instances: Instances):
    broker, x, y = await instances.make(), fresh_topic(), fresh_topic()
    for i in range(2):
        await broker.publish(x, render(i))
    subscription, backlog = await broker.subscribe((x, y), {y: 0})
    assert subscription.positions == {x: 2, y: 0} and backlog == []
    await broker.publish(x, render("next"))
    assert [d.sequence for d in await take(subscription, 1)] == [3]


async def test_resuming_replays_only_what_was_missed_then_follows(instances: Instances):
    broker, topic = await instances.make(retention=10), fresh_topic()
    for i in range(5):
        await broker.publish(topic, render(i))
    subscription, backlog = await broker.subscribe((topic,), {topic: 3})
    assert [d.sequence for d in backlog] == [4, 5]
    await broker.publish(topic, render(5))
    assert [d.sequence for d in await take(subscription, 1)] == [6]


async def test_the_replay_window_keeps_the_latest_messages(instances: Instances):
    broker, topic = await instances.make(retention=4), fresh_topic()
    for i in range(7):
        await broker.publish(topic, render(i))
    _, backlog = await broker.subscribe((topic,), {topic: 0})
    assert [d.sequence for d in backlog] == [4, 5, 6, 7]


async def test_one_rendered_payload_is_shared_by_all_subscribers(instances: Instances):
    broker, topic = await instances.make(), fresh_topic()
    first, _ = await broker.subscribe((topic,), {})
    second, _ = await broker.subscribe((topic,), {})
    rendered: list[int] = []

    def counting(sequence: int) -> bytes:
        rendered.append(sequence)
        return b"x"

    assert await broker.publish(topic, counting) == (1, 2)
    assert rendered == [1]
    (one,), (other,) = await take(first, 1), await take(second, 1)
    assert one.payload is other.payload


async def test_a_slow_subscriber_is_cut_off_not_waited_for(instances: Instances):
    broker, topic = await instances.make(queue_capacity=2), fresh_topic()
    slow, _ = await broker.subscribe((topic,), {})
    watcher, _ = await broker.subscribe((topic,), {})
    for i in range(5):
        await broker.publish(topic, render(i))
    await take(watcher, 2)  # (the capacity is 2 for everyone: read as they come)
    async with asyncio.timeout(WAIT_S):
        while not slow.overflowed:
            await asyncio.sleep(0.01)
    assert [slow.queue.get_nowait().sequence for _ in range(2)] == [1, 2]
    assert slow.queue.empty()  # (a full queue has no room for the wake-up: the reader sees ``overflowed``)
    await broker.publish(topic, render(6))
    await nothing_more(slow)


async def test_unsubscribed_queues_get_nothing(instances: Instances):
    broker, topic = await instances.make(), fresh_topic()
    subscription, _ = await broker.subscribe((topic,), {})
    await broker.unsubscribe(subscription)
    await broker.unsubscribe(subscription)  # idempotent
    await broker.publish(topic, render(1))
    await nothing_more(subscription)


# -- only the shared broker: several instances -----------------------------------------------------


async def two(nats_url: str, **options: int) -> tuple[Instances, JetStreamBroker, JetStreamBroker]:
    made = Instances("jetstream", nats_url)
    a, b = await made.make(**options), await made.make(**options)
    assert isinstance(a, JetStreamBroker) and isinstance(b, JetStreamBroker)
    return made, a, b


async def test_a_message_published_on_one_instance_reaches_subscribers_on_both(nats_url: str):
    made, a, b = await two(nats_url)
    try:
        topic = fresh_topic()
        on_a, _ = await a.subscribe((topic,), {})
        on_b, _ = await b.subscribe((topic,), {})
        for i in range(3):
            await a.publish(topic, render(f"a{i}"))
        for received in (await take(on_a, 3), await take(on_b, 3)):
            assert [(d.sequence, d.payload) for d in received] == [(1, b"1:a0"), (2, b"2:a1"), (3, b"3:a2")]
    finally:
        await made.close()


async def test_a_token_from_one_instance_resumes_exactly_on_another(nats_url: str):
    made, a, b = await two(nats_url)
    try:
        topic = fresh_topic()
        on_a, _ = await a.subscribe((topic,), {})
        for i in range(4):
            await a.publish(topic, render(i))
        seen = await take(on_a, 2)  # the subscriber read two, then lost its connection to A
        await a.unsubscribe(on_a)
        for i in range(4, 6):
            await b.publish(topic, render(i))
        resumed, backlog = await b.subscribe((topic,), {topic: seen[-1].sequence})
        assert [d.sequence for d in backlog] == [3, 4, 5, 6]
        await a.publish(topic, render(6))
        assert [d.sequence for d in await take(resumed, 1)] == [7]
        await nothing_more(resumed)
    finally:
        await made.close()


async def test_concurrent_publishers_on_two_instances_get_one_gap_free_order(nats_url: str):
    made, a, b = await two(nats_url)
    try:
        topic = fresh_topic()
        subscribers = [(await a.subscribe((topic,), {}))[0], (await b.subscribe((topic,), {}))[0]]
        count = 40
        sequences = await asyncio.gather(
            *((a if i % 2 else b).publish(topic, render(f"{'ab'[i % 2]}{i}")) for i in range(count))
        )
        assert sorted(s for s, _ in sequences) == list(range(1, count + 1))  # each taken once, none skipped
        orders = [[(d.sequence, d.payload) for d in await take(s, count)] for s in subscribers]
        assert [seq for seq, _ in orders[0]] == list(range(1, count + 1))
        assert orders[0] == orders[1]  # every subscriber, on either instance, saw the same order
        assert {p.split(b":")[0] for _, p in orders[0]} == {str(i).encode() for i in range(1, count + 1)}
    finally:
        await made.close()


async def test_idle_topics_drop_their_consumer_and_come_back_whole(nats_url: str):
    now = itertools.count(0, 1000)
    connection = await connect(nats_url, "test-idle")
    broker = JetStreamBroker(connection, clock=lambda: float(next(now)))
    await broker.setup()
    try:
        topic = fresh_topic()
        subscription, _ = await broker.subscribe((topic,), {})
        await broker.publish(topic, render(1))
        assert await broker.forget_idle(600) == 0  # it has a subscriber
        await broker.unsubscribe(subscription)
        assert await broker.forget_idle(600) == 1
        again, backlog = await broker.subscribe((topic,), {topic: 0})
        assert [d.sequence for d in backlog] == [1] and again.positions == {topic: 0}
    finally:
        await broker.close()
        await connection.close()


async def test_an_unreachable_broker_is_unavailable_not_a_hang(nats_url: str, nats_server):
    from arena.broker.server import NatsServer
    from support.ports import free_port

    own = NatsServer(free_port(), nats_server.data_dir.parent / f"gone-{uuid.uuid4().hex[:6]}", nats_server.log_path)
    own.start()
    connection = await connect(own.url, "test-gone")
    broker = JetStreamBroker(connection, request_timeout_s=1.0)
    await broker.setup()
    own.stop()
    try:
        with pytest.raises(Unavailable):
            await broker.publish(fresh_topic(), render(1))
        with pytest.raises(Unavailable):
            await broker.subscribe((fresh_topic(),), {})
    finally:
        with contextlib.suppress(OSError):  # (closing a connection whose server is gone)
            await connection.close()


async def test_a_broker_restart_loses_nothing_stored_and_the_streams_carry_on(nats_server):
    from arena.broker.server import NatsServer
    from support.ports import free_port

    own = NatsServer(free_port(), nats_server.data_dir.parent / f"restart-{uuid.uuid4().hex[:6]}", nats_server.log_path)
    own.start()
    made = Instances("jetstream", own.url)
    try:
        a, b = await made.make(), await made.make()
        topic = fresh_topic()
        subscription, _ = await b.subscribe((topic,), {})
        await a.publish(topic, render(0))
        assert [d.sequence for d in await take(subscription, 1)] == [1]
        own.stop()
        own.start()  # same port, same JetStream directory
        async with asyncio.timeout(WAIT_S):
            while True:
                try:
                    sequence, _ = await a.publish(topic, render(1))
                    break
                except Unavailable:
                    await asyncio.sleep(0.1)
        assert sequence == 2  # the stored sequence survived the restart
        assert [d.sequence for d in await take(subscription, 1)] == [2]  # the consumer came back by itself
        _, backlog = await b.subscribe((topic,), {topic: 0})
        assert [d.payload for d in backlog] == [b"1:0", b"2:1"]
    finally:
        with contextlib.suppress(OSError):
            await made.close()
        own.stop()
