"""The ai_analysis service's own settings: read once in ``__main__``, from ``ARENA_`` variables.

The language model is off unless ``ARENA_AI_MODEL_BASE_URL`` is set (any OpenAI-compatible server: a
hosted API, vLLM, llama.cpp's server, Ollama's ``/v1``); without it every RPC answers from the static
analysis alone.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

from arena.kit.config import ConfigError

VARIABLES: dict[str, str] = {
    "ARENA_AI_MODEL_BASE_URL": "ai_analysis: base URL of an OpenAI-compatible chat-completions API, such as "
    "`http://127.0.0.1:11434/v1` (default empty: no model, static analysis only).",
    "ARENA_AI_MODEL": "ai_analysis: the model name to ask for (default `gpt-4o-mini`).",
    "ARENA_AI_MODEL_API_KEY": "ai_analysis: the API key sent to the model server (default empty).",
    "ARENA_AI_MODEL_TIMEOUT_S": "ai_analysis: seconds a model call may take before the static result is "
    "returned alone (default 20).",
    "ARENA_AI_TOKENS_PER_USER_PER_DAY": "ai_analysis: model tokens each user may spend per day; past it the "
    "static result comes with a note (default 50000).",
    "ARENA_AI_REQUESTS_PER_USER_PER_MINUTE": "ai_analysis: AnalyzeCode, AnalyzeCodeStream and GetHint calls "
    "per user per minute (default 30; RESOURCE_EXHAUSTED past it).",
}


@dataclasses.dataclass(frozen=True)
class ModelSettings:
    base_url: str
    model: str = "gpt-4o-mini"
    api_key: str = ""
    timeout_s: float = 20.0
    max_output_tokens: int = 600


@dataclasses.dataclass(frozen=True)
class AiAnalysisSettings:
    model: ModelSettings | None = None
    """None: no model configured (the default)."""
    tokens_per_user_per_day: int = 50_000
    requests_per_user_per_minute: int = 30
    cache_entries: int = 2048
    """Static results kept in memory by (language, source hash)."""


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name, "")
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number from {low:g} to {high:g}, not {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be a number from {low:g} to {high:g}, not {raw!r}")
    return value


def load_ai_analysis_settings(env: Mapping[str, str] | None = None) -> AiAnalysisSettings:
    """Reads the service's settings from the environment."""
    env = os.environ if env is None else env
    base_url = env.get("ARENA_AI_MODEL_BASE_URL", "").strip()
    if base_url and not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"ARENA_AI_MODEL_BASE_URL must be an http(s) URL, not {base_url!r}")
    model = (
        ModelSettings(
            base_url=base_url,
            model=env.get("ARENA_AI_MODEL", "").strip() or "gpt-4o-mini",
            api_key=env.get("ARENA_AI_MODEL_API_KEY", ""),
            timeout_s=_number(env, "ARENA_AI_MODEL_TIMEOUT_S", 20.0, 0.1, 600.0),
        )
        if base_url
        else None
    )
    return AiAnalysisSettings(
        model=model,
        tokens_per_user_per_day=int(_number(env, "ARENA_AI_TOKENS_PER_USER_PER_DAY", 50_000, 0, 1e9)),
        requests_per_user_per_minute=int(_number(env, "ARENA_AI_REQUESTS_PER_USER_PER_MINUTE", 30, 1, 1e6)),
    )
