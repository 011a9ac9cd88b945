"""The language model, through the ``openai`` client library (any OpenAI-compatible server).

One small port: ``ChatModel.stream(messages, max_tokens)`` yields text pieces as they arrive and then a
``Usage``. Every failure (refused connection, HTTP error, malformed stream, timeout) becomes a
``ModelError``, which the use cases turn into the static result with a note: a model's trouble is never
the user's error.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol, cast

import openai

from arena.ai_analysis.settings import ModelSettings


@dataclasses.dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class ModelError(Exception):
    """The model could not answer (the message says why, in words fit for the user's note)."""


class ChatModel(Protocol):
    name: str

    def stream(self, messages: Sequence[dict[str, str]], max_tokens: int) -> AsyncIterator[str | Usage]:
        """Text pieces as they arrive, then one ``Usage``; raises ``ModelError``."""
        ...


class OpenAiChatModel:
    """``ChatModel`` on ``openai.AsyncOpenAI`` with streaming chat completions and a total timeout."""

    def __init__(self, settings: ModelSettings) -> None:
        self.name = settings.model
        self._settings = settings
        self._client = openai.AsyncOpenAI(
            base_url=settings.base_url,
            api_key=settings.api_key or "unused",
            timeout=settings.timeout_s,
            max_retries=0,
        )

    async def close(self) -> None:
        await self._client.close()

    async def stream(self, messages: Sequence[dict[str, str]], max_tokens: int) -> AsyncIterator[str | Usage]:
        usage: Usage | None = None
        produced = 0
        finished = False
        try:
            async with asyncio.timeout(self._settings.timeout_s):
                response: Any = await self._client.chat.completions.create(
                    model=self._settings.model,
                    messages=cast(Any, list(messages)),
                    max_tokens=max_tokens,
                    temperature=0.2,
                    stream=True,
                    stream_options={"include_usage": True},
                )
                async for chunk in response:
                    if chunk.usage is not None:
                        usage = Usage(chunk.usage.prompt_tokens or 0, chunk.usage.completion_tokens or 0)
                    for choice in chunk.choices or ():
                        finished = finished or bool(choice.finish_reason)
                        piece = choice.delta.content if choice.delta is not None else None
                        if piece:
                            produced += len(piece)
                            yield piece
        except TimeoutError:
            raise ModelError(f"the model did not answer within {self._settings.timeout_s:g} s") from None
        except openai.APIStatusError as exc:
            raise ModelError(f"the model server answered HTTP {exc.status_code}") from None
        except openai.APIError as exc:
            raise ModelError(f"the model server could not be reached ({type(exc).__name__})") from None
        if not finished:
            raise ModelError("the model's answer was cut off (the stream ended without a finish reason)")
        yield usage or Usage(sum(len(m["content"]) for m in messages) // 4, produced // 4)
