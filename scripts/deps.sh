#!/usr/bin/env bash
# Installs what corral needs to build and test on Debian 12, as root.
# Idempotent and quiet when everything is present: it asks dpkg, not apt,
# so a machine that has it all never touches the network.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(
  build-essential pkg-config meson ninja-build python3
  libjavascriptcoregtk-4.1-dev libseccomp-dev libmicrohttpd-dev libjansson-dev
  libsqlite3-dev libpq-dev libcurl4-openssl-dev libarchive-dev libssl-dev libpcre2-dev
  zlib1g-dev libbrotli-dev
  curl strace iproute2 procps util-linux
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "deps: missing packages: ${missing[*]} (run as root, or install them)" >&2
    exit 1
  fi
  echo "deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# JS libraries embedded into the binary, pinned by package-lock.json.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "deps: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
