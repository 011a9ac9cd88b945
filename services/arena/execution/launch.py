"""The sandbox's launcher (launch.c), built once per source version with the judge's C compiler.

Every run starts with it: one exec that becomes the slot user, lowers its priority, joins the run's cgroups
and sets its rlimits before becoming bubblewrap (setpriv, nice, sh and prlimit did this in four execs, which
cost about as much as bubblewrap itself). Statically linked where the C library allows (no dynamic loader
per run), else dynamically.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import shutil
import subprocess
import tempfile

SOURCE = pathlib.Path(__file__).with_name("launch.c")
BUILD_TIMEOUT_S = 60.0


class LaunchUnavailable(RuntimeError):
    """The launcher cannot be built here (no C compiler, or it fails)."""


def build_launch(directory: pathlib.Path) -> pathlib.Path:
    """The launcher binary in ``directory`` (root's alone: mode 0700), built unless this source version is there."""
    source = SOURCE.read_bytes()
    target = directory / f"arena-launch-{hashlib.sha256(source).hexdigest()[:16]}"
    if target.is_file() and os.access(target, os.X_OK):
        return target
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        raise LaunchUnavailable("a C compiler (gcc) is needed to build the sandbox's launcher: apt-get install gcc")
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory, prefix=".launch-") as scratch:
        built = pathlib.Path(scratch) / "arena-launch"
        errors = []
        for linking in (["-static"], []):
            result = subprocess.run(
                [compiler, "-O2", "-Wall", "-Werror", *linking, "-o", str(built), str(SOURCE)],
                capture_output=True,
                text=True,
                timeout=BUILD_TIMEOUT_S,
                check=False,
            )
            if result.returncode == 0:
                break
            errors.append(result.stderr.strip())
        else:
            raise LaunchUnavailable(f"the sandbox's launcher does not build: {errors[-1][-2000:]}")
        os.chmod(built, 0o700)
        os.replace(built, target)  # atomic: a concurrent build of the same source ends the same
    return target
