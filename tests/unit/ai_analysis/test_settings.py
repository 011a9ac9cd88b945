"""The service's settings: no model by default, every variable checked."""

from __future__ import annotations

import pytest

from arena.ai_analysis.settings import VARIABLES, load_ai_analysis_settings
from arena.kit.config import ConfigError


def test_defaults_have_no_model():
    settings = load_ai_analysis_settings({})
    assert settings.model is None
    assert (settings.requests_per_user_per_minute, settings.tokens_per_user_per_day) == (30, 50_000)


def test_a_base_url_turns_the_model_on():
    settings = load_ai_analysis_settings(
        {
            "ARENA_AI_MODEL_BASE_URL": "http://127.0.0.1:11434/v1",
            "ARENA_AI_MODEL": "qwen2.5-coder",
            "ARENA_AI_MODEL_API_KEY": "k",
            "ARENA_AI_MODEL_TIMEOUT_S": "7.5",
            "ARENA_AI_TOKENS_PER_USER_PER_DAY": "1000",
            "ARENA_AI_REQUESTS_PER_USER_PER_MINUTE": "5",
        }
    )
    assert settings.model is not None
    assert (settings.model.base_url, settings.model.model, settings.model.api_key, settings.model.timeout_s) == (
        "http://127.0.0.1:11434/v1",
        "qwen2.5-coder",
        "k",
        7.5,
    )
    assert (settings.tokens_per_user_per_day, settings.requests_per_user_per_minute) == (1000, 5)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ARENA_AI_MODEL_BASE_URL", "localhost:8000"),
        ("ARENA_AI_MODEL_TIMEOUT_S", "soon"),
        ("ARENA_AI_MODEL_TIMEOUT_S", "0"),
        ("ARENA_AI_REQUESTS_PER_USER_PER_MINUTE", "0"),
        ("ARENA_AI_TOKENS_PER_USER_PER_DAY", "-1"),
    ],
)
def test_bad_values_are_refused_by_name(name: str, value: str):
    env = {"ARENA_AI_MODEL_BASE_URL": "http://x/v1", name: value}
    with pytest.raises(ConfigError, match=name):
        load_ai_analysis_settings(env)


def test_every_variable_is_documented():
    assert all(name.startswith("ARENA_AI_") and text for name, text in VARIABLES.items())
