#!/usr/bin/env python3
"""The escalation tests notice a wrong lead time.

Regenerates the rules from dashboards/rules/source.yaml into a temporary
directory three times — as they are, with lead_time 29m and with 31m — and
runs the "escalation edges" test group of stack_alerts.test.yaml against
each. The unchanged rules must pass; both mutants must fail. This shows that
"critical from 30 minutes before a class, and not 31" is really tested.
"""

import pathlib
import shutil
import subprocess
import sys
import tempfile

import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
SOURCE = REPO / "dashboards" / "rules" / "source.yaml"
GENERATOR = REPO / "dashboards" / "generate_rules.py"
TEST = pathlib.Path(__file__).resolve().parent / "stack_alerts.test.yaml"
GROUP = "escalation edges"


def run_variant(tmp, name, lead_time, promtool):
    text = SOURCE.read_text()
    if "lead_time: 30m" not in text:
        raise SystemExit(f"FAIL: {SOURCE} no longer says `lead_time: 30m`; update this test")
    src = tmp / f"{name}.source.yaml"
    src.write_text(text.replace("lead_time: 30m", f"lead_time: {lead_time}"))
    rules = tmp / f"{name}.rules.yaml"
    gen = subprocess.run([sys.executable, str(GENERATOR), "--source", str(src), "--output", str(rules)],
                         capture_output=True, text=True)
    if gen.returncode != 0:
        raise SystemExit(f"FAIL: generator: {gen.stderr}")
    doc = yaml.safe_load(TEST.read_text())
    doc["rule_files"] = [str(rules)]
    doc["tests"] = [t for t in doc["tests"] if t.get("name") == GROUP]
    if len(doc["tests"]) != 1:
        raise SystemExit(f"FAIL: {TEST.name} has no test group {GROUP!r}")
    test = tmp / f"{name}.test.yaml"
    test.write_text(yaml.safe_dump(doc, sort_keys=False))
    r = subprocess.run([promtool, "test", "rules", str(test)], capture_output=True, text=True, timeout=600)
    return r.returncode, r.stdout + r.stderr


def main():
    promtool = shutil.which("promtool")
    if not promtool:
        print("FAIL: promtool not found; install prometheus (scripts/install-deps.sh --servers)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        rc, out = run_variant(tmp, "control", "30m", promtool)
        if rc != 0:
            print(f"FAIL: the unchanged rules fail {GROUP!r}:\n{out}", file=sys.stderr)
            return 1
        for lead in ("29m", "31m"):
            rc, out = run_variant(tmp, f"lead-{lead}", lead, promtool)
            if rc == 0:
                print(f"FAIL: rules with lead_time {lead} pass {GROUP!r}: the test does not pin the lead time",
                      file=sys.stderr)
                return 1
            print(f"lead_time {lead}: {GROUP!r} fails as it should")
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
