"""The language table: well-formed entries, versions read from each toolchain's own words, and every
opt-in language installable by the package groups."""

from __future__ import annotations

import dataclasses
import re

import pytest

from arena.execution.languages import LANGUAGES, Language

BY_ID = {language.language_id: language for language in LANGUAGES}

# What each toolchain's version command prints (this machine's Debian 12 packages), and what is shown.
VERSION_OUTPUTS = {
    "python3": ("Python 3.11.2", "3.11.2"),
    "c": ("12.2.0", "12.2.0"),
    "cpp": ("12.2.0", "12.2.0"),
    "javascript": ("v20.20.2", "20.20.2"),
    "java": ('openjdk version "17.0.15" 2025-04-15', "17.0.15"),
    "go": ("go version go1.19.8 linux/amd64", "1.19.8"),
    "rust": ("rustc 1.63.0", "1.63.0"),
    "kotlin": ("1.3.31+ds1-1", "1.3.31"),
    "pypy3": ("Python 3.9.16 (7.3.11+dfsg-2+deb12u3, Dec 30 2024, 22:36:23)\n[PyPy 7.3.11 with GCC 12.2.0]", "7.3.11"),
    "csharp": ("Mono C# compiler version 6.8.0.105", "6.8.0.105"),
    "ruby": ("ruby 3.1.2p20 (2022-04-12 revision 4491bb740a) [x86_64-linux-gnu]", "3.1.2"),
    "php": ("PHP 8.2.36 (cli) (built: Nov 18 2026 20:02:04) (NTS)", "8.2.36"),
    "pascal": ("3.2.2", "3.2.2"),
    "haskell": ("9.0.2", "9.0.2"),
    "lua": ("Lua 5.4.4  Copyright (C) 1994-2022 Lua.org, PUC-Rio", "5.4.4"),
    "bash": ("GNU bash, version 5.2.15(1)-release (x86_64-pc-linux-gnu)", "5.2.15"),
}
# The Debian package giving each language beyond `make up`'s default set.
PACKAGES = {
    "go": "golang-go",
    "rust": "rustc",
    "kotlin": "kotlin",
    "pypy3": "pypy3",
    "csharp": "mono-mcs",
    "ruby": "ruby",
    "php": "php-cli",
    "pascal": "fp-compiler",
    "haskell": "ghc",
    "lua": "lua5.4",
    "bash": "bash",
}


def package_groups(repo_root) -> dict[str, set[str]]:
    script = (repo_root / "tools" / "ensure_packages.sh").read_text()
    return {name: set(packages.split()) for name, packages in re.findall(r'\[([\w-]+)\]="([^"]*)"', script)}


def test_ids_and_source_files_are_unique():
    assert len(BY_ID) == len(LANGUAGES)
    assert len({language.source_file for language in LANGUAGES}) == len(LANGUAGES) - 1  # PyPy shares main.py


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.language_id)
def test_entry_is_complete(language: Language):
    assert language.hello and language.version_command
    assert language.binary.startswith("/"), "the toolchain is found by an absolute path"
    for command in (language.compile or (), language.run):
        # Inside the sandbox PATH is minimal and the environment empty: programs by absolute path,
        # or the compiled program in /box.
        assert command[0].startswith("/") or command[0] == "./main", command


@pytest.mark.parametrize("language_id", sorted(VERSION_OUTPUTS))
def test_version_pattern_reads_the_toolchains_words(language_id: str):
    printed, shown = VERSION_OUTPUTS[language_id]
    match = re.search(BY_ID[language_id].version_pattern, printed)
    assert match is not None and match.group(1) == shown


def test_every_language_has_its_version_sample():
    assert set(VERSION_OUTPUTS) == set(BY_ID)


def test_run_commands_take_the_memory_limit_where_the_runtime_needs_it():
    assert "GOMEMLIMIT=256MiB" in BY_ID["go"].run_command(256 * 1024)
    assert "-Xmx256m" in BY_ID["kotlin"].run_command(256 * 1024)
    assert BY_ID["ruby"].run_command(256 * 1024) == list(BY_ID["ruby"].run)


def test_a_wrapped_command_names_its_toolchain():
    assert BY_ID["go"].binary == "/usr/bin/go"  # not /usr/bin/env
    assert BY_ID["csharp"].binary == "/usr/bin/mcs"  # not /bin/sh
    assert BY_ID["rust"].binary == "/usr/bin/rustc"


def test_a_missing_toolchain_has_no_version():
    missing = dataclasses.replace(BY_ID["go"], toolchain="/nonexistent/go")
    assert missing.detect_version() is None


def test_opt_in_languages_are_in_the_package_groups(repo_root):
    groups = package_groups(repo_root)
    opt_in = groups["languages"] | groups["languages-large"]
    assert set(PACKAGES) == set(BY_ID) - {"python3", "c", "cpp", "javascript", "java"}
    assert {language_id for language_id, package in PACKAGES.items() if package not in opt_in} == set()
    assert "ghc" not in groups["languages"], "GHC (~800 MB) stays out of what `make test` installs"
