"""``python -m arena.execution``: the execution service process (the judge)."""

from __future__ import annotations

import os

# The judge forks a sandbox per run (as another uid, so Python must fork rather than vfork).
# gRPC's fork handlers would run in every such child while other threads hold gRPC's locks;
# the child only execs, so it needs none of them. Read by gRPC when it loads: set it first.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "0")

import contextlib
import functools
import shutil

import grpc
import structlog

from arena.broker.connection import connect
from arena.broker.nudges import Nudges
from arena.contest.v1 import contest_internal_service_pb2, contest_internal_service_pb2_grpc
from arena.execution import languages, outbox, system_tree
from arena.execution.app import AppSettings, Authorize, ExecutionApp
from arena.execution.bundles import ProblemServiceBundles
from arena.execution.domain import Event, Isolation, Submission
from arena.execution.judge import Judge
from arena.execution.lint import Linter
from arena.execution.messages import event_message
from arena.execution.publish import RealtimeForwarder
from arena.execution.runs import SandboxRunner
from arena.execution.sandbox import Sandbox
from arena.execution.servicer import ExecutionInternalServicer, ExecutionServicer
from arena.execution.settings import ExecutionSettings, load_execution_settings
from arena.execution.store import SqlExecutionStore
from arena.execution.v1 import execution_internal_service_pb2_grpc, execution_service_pb2_grpc
from arena.execution.watchers import EventFeed
from arena.execution.worker import JudgePool, PoolSettings
from arena.kit.db import make_engine
from arena.kit.errors import FailedPrecondition, UpstreamError
from arena.kit.server import Runtime, ServiceParts, main
from arena.problem.v1 import problem_internal_service_pb2_grpc
from arena.wiring import standard

log = structlog.get_logger("arena.execution")

EVENTS = "arena.execution.events"
"""Nudge subject prefix: ``arena.execution.events.<submission id>`` with the stored event's sequence."""


def _contest_authorizer(runtime: Runtime) -> Authorize:
    contests = runtime.clients.stub(contest_internal_service_pb2_grpc.ContestInternalServiceStub, "contest")

    async def authorize(contest_id: str, user_id: str, problem_id: str) -> bool:
        request = contest_internal_service_pb2.AuthorizeSubmissionRequest(
            contest_id=contest_id, user_id=user_id, problem_id=problem_id
        )
        try:
            response = await contests.AuthorizeSubmission(request, timeout_s=5.0)
        except UpstreamError as exc:
            if exc.code == grpc.StatusCode.UNIMPLEMENTED:
                raise FailedPrecondition("contest submissions are not open yet", reason="CONTEST_NOT_RUNNING") from None
            raise
        return bool(response.run_all_tests)

    return authorize


async def build(settings: ExecutionSettings, runtime: Runtime) -> ServiceParts:
    config = runtime.config
    workers = settings.judge_workers
    # One process per instance by default; with several, each needs its own claims and work root.
    owner = config.instance_id if config.processes == 1 else f"{config.instance_id}-{os.getpid()}"
    work_root = settings.sandbox_root(owner)
    shutil.rmtree(work_root, ignore_errors=True)  # workspaces of an earlier life: judged again from scratch
    sandbox = Sandbox(work_root, slots=workers)
    available = await languages.detect(sandbox)

    engine = make_engine(config.database_url)
    store = SqlExecutionStore(engine)
    await store.migrate()
    bundles = ProblemServiceBundles(
        runtime.clients.stub(problem_internal_service_pb2_grpc.ProblemInternalServiceStub, "problem")
    )
    forwarder = RealtimeForwarder(runtime.clients, event_message)
    nudges: Nudges | None = None
    if settings.nats_url:  # several instances: each stored event wakes the other instances' watchers
        connection = await connect(settings.nats_url, owner)
        nudges = Nudges(connection, origin=owner)

    def on_event(submission: Submission, event: Event) -> None:
        forwarder(submission, event)
        if nudges is not None:
            nudges.send(EVENTS, submission.submission_id, sequence=event.sequence)

    feed = EventFeed(on_event=on_event)
    if nudges is not None:
        await nudges.listen(EVENTS, lambda key, fields: feed.watchers.nudge(key, fields.get("sequence", 0)))
    dispatcher = outbox.Dispatcher(store, outbox.senders(runtime.clients))
    judge = Judge(sandbox, {a.language.language_id: a.language for a in available})
    pool = JudgePool(
        store,
        judge,
        judge.languages,
        bundles,
        PoolSettings(owner=owner, workers=workers),
        feed=feed,
        on_finished=dispatcher.kick,
    )

    def queued() -> None:
        pool.wake()
        dispatcher.kick()

    app = ExecutionApp(
        store,
        SandboxRunner(judge),
        available,
        bundles,
        AppSettings(watch_poll_s=settings.watch_poll_s),
        feed=feed,
        authorize=_contest_authorizer(runtime),
        on_queued=queued,
        isolation=Isolation(cpu_accounting=sandbox.cpu_accounting, neutral_paths=sandbox.neutral_paths),
        linter=Linter(sandbox),
    )

    async def cleanup() -> None:
        await pool.stop()
        await dispatcher.stop()
        await forwarder.close()
        if nudges is not None:
            await nudges.close()
            with contextlib.suppress(Exception):
                await nudges.connection.drain()
        await engine.dispose()
        sandbox.close()
        shutil.rmtree(work_root, ignore_errors=True)

    return ServiceParts(
        servicers=[
            (execution_service_pb2_grpc.add_ExecutionServiceServicer_to_server, ExecutionServicer(app)),
            (
                execution_internal_service_pb2_grpc.add_ExecutionInternalServiceServicer_to_server,
                ExecutionInternalServicer(app),
            ),
        ],
        on_serving=[pool.start, dispatcher.start],
        on_stop=[cleanup],
    )


if __name__ == "__main__":
    system_tree.enter_private_mount_namespace()  # before any thread starts (see there)
    main("execution", functools.partial(build, load_execution_settings()), standard())
