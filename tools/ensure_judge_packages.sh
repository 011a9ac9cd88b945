#!/usr/bin/env bash
# The judge's Debian packages (bubblewrap for the sandbox, prlimit from util-linux, the toolchains of
# the languages it offers). Installed when missing and we are root; otherwise a clear hint.
set -euo pipefail
packages=(bubblewrap util-linux python3 gcc g++ nodejs)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
((${#missing[@]})) || exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "the judge needs: ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}"
