#!/usr/bin/env bash
# Rewrites tests/chart/golden/*.yaml from `helm template` of every values case
# in tests/chart/values/. Review the diff (git diff tests/chart/golden) before
# committing: it is exactly what a chart change does to users' manifests.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/../../tools/k8s/build.sh" helm >/dev/null
exec python3 "$here/chart_test.py" golden --update
