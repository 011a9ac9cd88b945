"""A service process tunes CPython's collector before serving and freezes its start-up objects once ready."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from arena.kit import server


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)
    gc.unfreeze()


def test_main_sets_the_thresholds_and_freezes_once_serving(monkeypatch: pytest.MonkeyPatch, restored_gc: None) -> None:
    seen: dict[str, Any] = {}

    async def serve(config: Any, build: Any, *, wiring: Any, on_ready: Any) -> int:
        seen["thresholds"] = gc.get_threshold()
        seen["on_ready"] = on_ready
        return 0

    monkeypatch.setattr(server, "serve", serve)
    # (logging left as the test session has it: configuring it would bind this test's captured stdout)
    monkeypatch.setattr(server.kit_logging, "configure", lambda **_: None)
    with pytest.raises(SystemExit) as exited:
        server.main("user", build=None, wiring=None)  # type: ignore[arg-type]
    assert exited.value.code == 0
    assert seen["thresholds"] == server.GC_THRESHOLDS != (700, 10, 10)
    assert seen["on_ready"] is server.freeze_startup_objects


def test_freezing_moves_live_objects_out_of_the_collected_generations(restored_gc: None) -> None:
    kept = [object() for _ in range(10)] + [[i] for i in range(1000)]
    server.freeze_startup_objects(None)  # type: ignore[arg-type]
    assert gc.get_freeze_count() >= 1000
    assert kept
