"""The README documents what a user needs: both commands and every configuration variable."""

from __future__ import annotations

import pathlib

from support.variables import VARIABLES


def test_readme_documents_every_variable_and_both_commands(repo_root: pathlib.Path):
    readme = (repo_root / "README.md").read_text()
    assert "make up" in readme and "make test" in readme
    missing = [name for name in VARIABLES if f"`{name}`" not in readme]
    assert not missing, f"README.md does not document {missing}"
