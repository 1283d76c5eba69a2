#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is missing, builds
# prebell, and runs every test. What CI runs.
#
#   1. Release build, every test (unit, cli, rules, differential, scenario,
#      integration against real servers), two at a time.
#   2. Debug build with ASan+UBSan: the unit and command-line tests.
#   3. clang libFuzzer build: each fuzz target for a bounded time.
#
#   scripts/test.sh -L unit     pass ctest options through (every pass)
#
# Integration tests start real servers (kube-apiserver, etcd, Prometheus,
# Alertmanager) on 127.0.0.1; the Kubernetes binaries and Helm are built from
# the Go module proxy once and cached in ${PREBELL_CACHE_DIR:-~/.cache/prebell}.
# Compiler output is cached by ccache, keyed by content, across checkouts.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --servers

export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
ctest_args=("$@")

echo "== 1/3 Release: every test"
cmake --preset release
cmake --build --preset release
ctest --preset release -j2 --timeout 3600 "${ctest_args[@]}"

echo "== 2/3 ASan+UBSan: unit and command-line tests"
cmake --preset asan
cmake --build --preset asan --target suite_targets prebell
ctest --preset asan -j2 --timeout 1800 "${ctest_args[@]}"

echo "== 3/3 libFuzzer (clang): every fuzz target for a bounded time"
cmake --preset fuzz -DPREBELL_FUZZ_SECONDS=45
cmake --build --preset fuzz --target suite_targets
ctest --test-dir build/fuzz --output-on-failure -j2 -L fuzz
