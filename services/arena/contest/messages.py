"""Contest domain values → protobuf messages shared by the servicer and the realtime publisher."""

from __future__ import annotations

from typing import cast

from arena.contest.domain import Clarification, ClarificationKind, VirtualParticipation
from arena.contest.v1 import contest_pb2
from arena.kit.convert import timestamp

_KIND_TO_PROTO: dict[ClarificationKind, contest_pb2.ClarificationKind] = {
    k: cast("contest_pb2.ClarificationKind", contest_pb2.ClarificationKind.Value(f"CLARIFICATION_KIND_{k.name}"))
    for k in ClarificationKind
}


def clarification_message(c: Clarification) -> contest_pb2.Clarification:
    message = contest_pb2.Clarification(
        clarification_id=c.clarification_id,
        contest_id=c.contest_id,
        kind=_KIND_TO_PROTO[c.kind],
        problem_id=c.problem_id,
        label=c.label,
        text=c.text,
        author_id=c.author_id,
        answer=c.answer,
        public=c.public,
        answerer_id=c.answerer_id,
        create_time=timestamp(c.create_time),
    )
    answer_time = timestamp(c.answer_time)
    if answer_time is not None:
        message.answer_time.CopyFrom(answer_time)
    return message


def virtual_message(v: VirtualParticipation) -> contest_pb2.VirtualParticipation:
    return contest_pb2.VirtualParticipation(
        contest_id=v.contest_id,
        user_id=v.user_id,
        start_time=timestamp(v.start_time),
        end_time=timestamp(v.end_time),
    )
