#!/usr/bin/env bash
# prebell's main job on a built-in example: installs what is missing, builds
# the `prebell` binary, then, for a university in Chicago whose term crosses
# the DST change (a deterministic five-week trace generated from
# tests/scenarios/generate_scenario.py):
#   1. checks the timetable,
#   2. shows the plan the controller would follow on a teaching morning:
#      the sessions ahead and every replica change with its reason,
#   3. replays the planner over two weeks it has not seen and scores it
#      against the oracle, Kubernetes HPA and KEDA cron windows + HPA.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target prebell
bin=build/release/controller/main/prebell

demo=build/demo/chicago-dst
python3 tests/scenarios/generate_scenario.py chicago-dst "$demo" >/dev/null

echo "== 1. The timetable"
"$bin" validate "$demo/timetable.yaml"

# A teaching morning inside the scored window (scenario.json: eval_from).
morning=$(python3 -c "import json,datetime as d; s=json.load(open('$demo/scenario.json')); print(d.datetime.fromtimestamp(s['eval_from']+2*86400+13*3600, d.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'))")
echo
echo "== 2. The plan at $morning, learned from the metric history before it"
"$bin" plan --timetable "$demo/timetable.yaml" --policy "$demo/policy.yaml" \
  --metrics "$demo/metrics.csv" --now "$morning" --horizon 6h

echo
echo "== 3. Two weeks replayed at 15 s steps, scored against the peers"
"$bin" backtest --timetable "$demo/timetable.yaml" --policy "$demo/policy.yaml" \
  --metrics "$demo/metrics.csv" --scenario "$demo/scenario.json" --compare \
  --output "$demo/plan.csv"
echo "(the replica timeline is in $demo/plan.csv)"
