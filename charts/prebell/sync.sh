#!/usr/bin/env bash
# Copies what the chart embeds from its single source of truth in the
# repository, so that the packaged chart is self-contained:
#   crds/*.yaml                      -> charts/prebell/crds/
#   dashboards/**/*.json (Grafana)   -> charts/prebell/files/dashboards/
#   dashboards/rules/*.y*ml with a top-level `groups:` (Prometheus rule files,
#   not promtool tests)              -> charts/prebell/files/rules/<name>.yaml
#   examples/alertmanager/alertmanagerconfig.yaml
#                                    -> charts/prebell/files/alertmanager/
#
#   charts/prebell/sync.sh           rewrite the copies
#   charts/prebell/sync.sh --check   change nothing; exit 1 and name every file
#                                    that differs, is missing or is extra
#                                    (the `chart_sync` test runs this)
set -euo pipefail

chart="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$chart/../.." && pwd)"
check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) echo "sync.sh: unknown argument '$1' (expected --check or nothing)" >&2; exit 2 ;;
esac

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/crds" "$stage/files/dashboards" "$stage/files/rules" "$stage/files/alertmanager"

for f in "$repo"/crds/*.yaml; do
  [[ -e "$f" ]] || continue
  cp "$f" "$stage/crds/"
done

if [[ -d "$repo/dashboards" ]]; then
  while IFS= read -r -d '' f; do
    # Only Grafana dashboards (a JSON object with "panels"), not other JSON.
    grep -q '"panels"' "$f" || continue
    dest="$stage/files/dashboards/$(basename "$f")"
    if [[ -e "$dest" ]]; then
      echo "sync.sh: two dashboards named $(basename "$f") under dashboards/" >&2
      exit 1
    fi
    cp "$f" "$dest"
  done < <(find "$repo/dashboards" -name '*.json' -type f -print0 | sort -z)
fi

if [[ -d "$repo/dashboards/rules" ]]; then
  for f in "$repo"/dashboards/rules/*.yaml "$repo"/dashboards/rules/*.yml; do
    [[ -e "$f" ]] || continue
    grep -q '^groups:' "$f" || continue
    name="$(basename "$f")"
    cp "$f" "$stage/files/rules/${name%.*}.yaml"
  done
fi

amc="$repo/examples/alertmanager/alertmanagerconfig.yaml"
if [[ -f "$amc" ]]; then
  grep -q '^kind: AlertmanagerConfig$' "$amc" ||
    { echo "sync.sh: $amc is not an AlertmanagerConfig" >&2; exit 1; }
  cp "$amc" "$stage/files/alertmanager/"
fi

status=0
for dir in crds files/dashboards files/rules files/alertmanager; do
  if ((check)); then
    mkdir -p "$stage/empty"
    current="$chart/$dir"
    [[ -d "$current" ]] || current="$stage/empty"
    if ! diff -r -q "$stage/$dir" "$current" >"$stage/diff" 2>&1; then
      sed "s|$stage/||g; s|$chart/|charts/prebell/|g" "$stage/diff" >&2
      status=1
    fi
  else
    rm -rf "${chart:?}/$dir"
    mkdir -p "$chart/$dir"
    cp -a "$stage/$dir/." "$chart/$dir/"
  fi
done
if ((check && status)); then
  echo "sync.sh: charts/prebell is out of date with crds/, dashboards/ or examples/alertmanager/; run charts/prebell/sync.sh" >&2
fi
exit "$status"
