"""Stage Google's api/ and rpc/ protos from the installed googleapis-common-protos.

buf cannot fetch dependencies from its registry here, and the .proto files are
not committed: googleapis-common-protos ships them next to its Python modules, so
this copies the ones Arena imports (and what they import) into ``third_party/``.
"""

from __future__ import annotations

import argparse
import pathlib
import shutil

import google.api
import google.rpc

# The files Arena's protos import, plus their own imports inside google/api and google/rpc.
FILES = (
    "google/api/annotations.proto",
    "google/api/http.proto",
    "google/api/field_behavior.proto",
    "google/api/httpbody.proto",
    "google/rpc/status.proto",
    "google/rpc/code.proto",
    "google/rpc/error_details.proto",
)


def package_root() -> pathlib.Path:
    """The site-packages directory that holds google/api and google/rpc."""
    api_dir = pathlib.Path(next(iter(google.api.__path__)))
    rpc_dir = pathlib.Path(next(iter(google.rpc.__path__)))
    if api_dir.parent != rpc_dir.parent:
        raise SystemExit(f"google.api ({api_dir}) and google.rpc ({rpc_dir}) are installed apart")
    return api_dir.parent.parent


def stage(target: pathlib.Path) -> None:
    root = package_root()
    for name in FILES:
        source = root / name
        if not source.is_file():
            raise SystemExit(f"{source} is missing: is googleapis-common-protos installed?")
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        if not destination.exists() or destination.read_bytes() != source.read_bytes():
            shutil.copyfile(source, destination)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target", type=pathlib.Path, nargs="?", default=pathlib.Path("third_party"))
    stage(parser.parse_args().target)


if __name__ == "__main__":
    main()
