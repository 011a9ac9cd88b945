"""The broker's one setting, subject tokens, the polls that became settings, and the launcher's hook."""

from __future__ import annotations

import pathlib

import pytest

from arena.broker.connection import load_nats_url
from arena.broker.subjects import token, topic_subject
from arena.contest.settings import load_contest_settings
from arena.execution.settings import load_execution_settings
from arena.kit.config import ConfigError
from arena.launcher import LaunchSettings
from arena.realtime.settings import load_realtime_settings


def test_no_url_means_one_instance_and_a_url_is_checked():
    assert load_nats_url({}) is None and load_nats_url({"ARENA_NATS_URL": " "}) is None
    assert load_nats_url({"ARENA_NATS_URL": "nats://127.0.0.1:4222"}) == "nats://127.0.0.1:4222"
    for bad in ("127.0.0.1:4222", "http://broker:4222", "nats://", "nats://host:port"):
        with pytest.raises(ConfigError, match="ARENA_NATS_URL"):
            load_nats_url({"ARENA_NATS_URL": bad})


def test_every_service_that_shares_streams_reads_the_same_url():
    env = {"ARENA_NATS_URL": "nats://127.0.0.1:4999"}
    assert load_realtime_settings(env).nats_url == "nats://127.0.0.1:4999"
    assert load_execution_settings(env).nats_url == "nats://127.0.0.1:4999"
    assert load_contest_settings(env).nats_url == "nats://127.0.0.1:4999"
    assert load_realtime_settings({}).nats_url is None


def test_the_polls_are_settings_with_clear_errors():
    assert load_execution_settings({}).watch_poll_s == 1.0
    assert load_execution_settings({"ARENA_WATCH_POLL_S": "120"}).watch_poll_s == 120.0
    assert load_contest_settings({"ARENA_CONTEST_BOARD_POLL_S": "0.5"}).board_poll_s == 0.5
    for bad in ("0", "-1", "soon", "1e9"):
        with pytest.raises(ConfigError, match="ARENA_WATCH_POLL_S"):
            load_execution_settings({"ARENA_WATCH_POLL_S": bad})
        with pytest.raises(ConfigError, match="ARENA_CONTEST_BOARD_POLL_S"):
            load_contest_settings({"ARENA_CONTEST_BOARD_POLL_S": bad})


@pytest.mark.parametrize(
    ("topic", "subject"),
    [
        ("contests/c1/leaderboard", "arena.topics.contests.c1.leaderboard"),
        ("users/u_1/submissions/s-9", "arena.topics.users.u_1.submissions.s-9"),
        ("problems/p1/v1.2", "arena.topics.problems.p1.v1%2E2"),
    ],
)
def test_topics_map_to_subjects_one_token_per_part(topic: str, subject: str):
    assert topic_subject("arena.topics", topic) == subject


def test_tokens_never_carry_separators_wildcards_or_spaces_and_never_collide():
    names = ["a.b", "a%2Eb", "*", ">", "a b", "", "%", "ü", "a/b"]
    tokens = [token(n) for n in names]
    assert len(set(tokens)) == len(names)
    for t in tokens:
        assert t and not any(c in t for c in ".*> /\t") and t.isascii()


def test_the_launcher_gives_every_service_the_broker_only_when_asked(tmp_path: pathlib.Path):
    assert "ARENA_NATS_URL" not in LaunchSettings(data_dir=tmp_path).service_env()
    with_broker = LaunchSettings(data_dir=tmp_path, broker=True, broker_port=4333)
    assert with_broker.service_env()["ARENA_NATS_URL"] == "nats://127.0.0.1:4333"
