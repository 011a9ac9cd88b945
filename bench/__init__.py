"""Arena's benchmarks (``python -m bench.<name>``, ``make bench``)."""

import os

# The benchmarks start platforms and servers with subprocess while gRPC may be busy on other threads;
# gRPC's fork handlers would run in each child between fork and exec (see arena.launcher). Set before gRPC
# loads: every benchmark module is imported through this package first.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "0")
