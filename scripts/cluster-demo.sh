#!/usr/bin/env bash
# The local cluster demo: installs what is missing, builds the `prebell`
# binary and (the first time, from the Go module proxy, cached in
# ${PREBELL_CACHE_DIR:-~/.cache/prebell}) the Kubernetes control plane, KWOK
# and Helm; then tools/demo/cluster_demo.py brings up a local control plane,
# installs charts/prebell with Helm, runs the controller against it with the
# chart's ServiceAccount, replays a class day of connections into a real
# Prometheus (with Alertmanager), and prints how the gateway, Redis and media
# were scaled ahead of each class, with the alert severity at each moment.
#
# Time is compressed: today's classes start minutes apart, the alert lead time
# is 60 s instead of 30 min (the demo prints exactly what is compressed).
# About 11 minutes on a warm machine. Ctrl-C stops everything it started.
#
#   scripts/cluster-demo.sh            the full day: three classes and an exam
#   scripts/cluster-demo.sh --short    a class and an exam, about 4 minutes
#
# Logs, the control plane's state and summary.json go to build/cluster-demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --servers
# As scripts/test.sh: compiler output cached by content, across checkouts.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake --preset release >/dev/null
cmake --build --preset release --target prebell

# The Kubernetes binaries, KWOK and Helm: built once, then found in the cache.
for component in kube etcd kwok helm; do
  if ! tools/k8s/build.sh --check "$component" >/dev/null 2>&1; then
    case "$component" in
      kube | etcd) tools/k8s/build.sh all >/dev/null ;;
      *) tools/k8s/build.sh "$component" >/dev/null ;;
    esac
  fi
done

exec python3 tools/demo/cluster_demo.py --prebell build/release/controller/main/prebell \
  --workdir build/cluster-demo "$@"
