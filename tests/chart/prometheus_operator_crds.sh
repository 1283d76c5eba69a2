#!/usr/bin/env bash
# Prints the directory holding the Prometheus Operator CRDs at the version
# pinned in tests/chart/prometheus-operator/go.mod, fetched through the Go
# module proxy into the module cache (verified against that go.sum).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v go >/dev/null || { echo "prometheus_operator_crds.sh: go not found on PATH" >&2; exit 1; }
dir="$(cd "$here/prometheus-operator" &&
  GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod download -json github.com/prometheus-operator/prometheus-operator |
  sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
crds="$dir/example/prometheus-operator-crd"
ls "$crds"/monitoring.coreos.com_*.yaml >/dev/null 2>&1 ||
  { echo "prometheus_operator_crds.sh: no CRDs in '$crds'" >&2; exit 1; }
echo "$crds"
