#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is missing, builds
# prebell twice (Release, and Debug with ASan+UBSan) and runs every test.
#
#   scripts/test.sh           everything (what CI runs)
#   scripts/test.sh -L unit   only tests with a CTest label, in both builds
#
# Integration tests start real servers (kube-apiserver, etcd, Prometheus,
# Alertmanager) on 127.0.0.1; the Kubernetes binaries are built from the Go
# module proxy once and cached in ${PREBELL_CACHE_DIR:-~/.cache/prebell}.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --servers

ctest_args=("$@")
# ctest's own closing line ("100% tests passed, 0 tests failed out of N") is
# what a reader of this log looks at; each build prints one.
cmake --preset release
cmake --build --preset release
ctest --preset release --timeout 3600 "${ctest_args[@]}"

# Sanitizers over everything that does not need the slow real servers.
cmake --preset asan
cmake --build --preset asan
ctest --preset asan --timeout 1800 -LE 'integration|fuzz|scenario' "${ctest_args[@]}"

# libFuzzer targets for a bounded time each (clang); label `fuzz`.
if [[ -d tests/fuzz ]]; then
  cmake --preset fuzz
  cmake --build --preset fuzz
  ctest --test-dir build/fuzz --output-on-failure -L fuzz
fi
