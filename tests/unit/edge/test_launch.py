"""The launcher's edge files: the committed config for default settings, a rendered one otherwise."""

from __future__ import annotations

from arena.edge.launch import COMMITTED_CONFIG, render_for_launch
from arena.launcher import LaunchSettings


def test_chosen_cors_origins_reach_the_rendered_envoy_config(tmp_path, descriptor_set_path):
    settings = LaunchSettings(
        data_dir=tmp_path, descriptor=descriptor_set_path, cors_origins=("https://arena.example",)
    )
    config = render_for_launch(settings)
    assert config != settings.repo_root / COMMITTED_CONFIG
    text = config.read_text()
    assert "exact: https://arena.example" in text
    assert "localhost:5173" not in text
