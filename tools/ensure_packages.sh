#!/usr/bin/env bash
# Installs the Debian packages a make target needs, only those missing, so `make up`, `make test` and
# `make bench` work on a fresh Debian machine. Usage: tools/ensure_packages.sh GROUP...
#   judge  the sandbox (bubblewrap; gcc also builds its launcher) and the judge's toolchains
#   test   what the test suite drives for real: PostgreSQL, headless Chromium and its driver, npm, a JDK,
#          iproute2 (`ip`: the fault suite's network namespaces)
#   bench  the load generators (wrk, h2load)
#   web    what builds the web app (`make web-app`, run by `make up`): Node.js and npm
#   languages        the judge's opt-in languages: Go, Rust, Kotlin, PyPy, C# (Mono), Ruby, PHP, Pascal,
#                    Lua, Bash (~1.3 GB; `make languages`, and `make test` so their tests really run)
#   languages-large  Haskell (GHC, ~800 MB): `make languages`, and `make test` so its tests run
# Without root it prints the apt-get line to run and fails, rather than half-working later.
set -euo pipefail

declare -A groups=(
  [judge]="bubblewrap python3 gcc g++ nodejs"
  [test]="git postgresql chromium chromium-driver nodejs openjdk-17-jdk-headless iproute2"
  [bench]="wrk nghttp2-client"
  [web]="nodejs"
  [languages]="golang-go rustc kotlin pypy3 mono-mcs mono-runtime ruby php-cli fp-compiler lua5.4 bash"
  [languages-large]="ghc"
)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

install() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "missing Debian packages: $* (run: sudo apt-get install $*)" >&2
    exit 1
  fi
  echo "==> installing Debian packages: $*"
  export DEBIAN_FRONTEND=noninteractive
  [[ -n "${apt_updated:-}" ]] || { apt-get update -qq; apt_updated=1; }
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

missing=()
for group in "$@"; do
  [[ -n "${groups[$group]+set}" ]] || { echo "ensure_packages: unknown group '$group' (judge, test, web, bench, languages, languages-large)" >&2; exit 2; }
  for pkg in ${groups[$group]}; do
    installed "$pkg" || [[ " ${missing[*]} " == *" $pkg "* ]] || missing+=("$pkg")
  done
done
((${#missing[@]})) && install "${missing[@]}"

# The tests' JavaScript client needs npm: NodeSource's nodejs bundles it (and conflicts with Debian's
# npm package), Debian's nodejs does not. Known only once nodejs is in.
if [[ " $* " == *" test "* || " $* " == *" web "* ]] && ! command -v npm >/dev/null; then
  install npm
fi
exit 0
