#!/usr/bin/env bash
# Installs everything prebell needs to build and test on a fresh Debian 12
# machine. Idempotent: packages already present are not touched, and apt's
# lists are refreshed only when something is missing.
#
#   scripts/install-deps.sh            build + unit-test dependencies
#   scripts/install-deps.sh --servers  also the real servers the integration
#                                      tests start (Prometheus, Alertmanager...)
set -euo pipefail

build_packages=(
  build-essential cmake ninja-build pkg-config git ccache
  libcpprest-dev prometheus-cpp-dev libyaml-cpp-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libical-dev libhowardhinnant-date-dev
  libicu-dev libcli11-dev libspdlog-dev libfmt-dev libbenchmark-dev
  libssl-dev tzdata
  clang libclang-rt-14-dev clang-format clang-tidy
  python3 python3-recurring-ical-events python3-icalendar python3-yaml
)
server_packages=(
  prometheus prometheus-alertmanager redis-server curl openssl
)

wanted=("${build_packages[@]}")
if [[ "${1:-}" == "--servers" ]]; then
  wanted+=("${server_packages[@]}")
fi

missing=()
for p in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: everything is installed"
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
