#!/usr/bin/env bash
# prebell's main job on the built-in example: installs what is missing,
# builds the `prebell` binary, and shows what it would do for a university
# term: the upcoming sessions of the example timetable.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target prebell
bin=build/release/controller/main/prebell

example=examples/timetables/university-term.yaml
echo "== Sessions in the first week of the example term ($example)"
"$bin" sessions --from 2026-09-28T00:00:00Z --to 2026-10-05T00:00:00Z --output table "$example"
