"""Conversions between Python values and protobuf well-known types, for servicers."""

from __future__ import annotations

import datetime as dt

from google.protobuf import duration_pb2, timestamp_pb2


def timestamp(value: dt.datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value.astimezone(dt.UTC))
    return stamp


def datetime(value: timestamp_pb2.Timestamp) -> dt.datetime:
    return value.ToDatetime(tzinfo=dt.UTC)


def duration(value: dt.timedelta | float | None) -> duration_pb2.Duration | None:
    """A Duration from a timedelta or a number of seconds."""
    if value is None:
        return None
    result = duration_pb2.Duration()
    if isinstance(value, dt.timedelta):
        result.FromTimedelta(value)
    else:
        result.FromNanoseconds(round(value * 1e9))
    return result


def seconds(value: duration_pb2.Duration) -> float:
    return value.seconds + value.nanos / 1e9
