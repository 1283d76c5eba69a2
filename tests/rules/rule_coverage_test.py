#!/usr/bin/env python3
"""The promtool tests cover every rule of dashboards/rules/prebell.rules.yaml.

For each alertname: each of its copies (severity warning; critical; critical
+ audience exam-room) is expected to fire in some alert_rule_test; an alert
with a warning copy is expected as a warning alone at some evaluation (a
warning outside any window) and is expected not to fire at some evaluation
(exp_alerts: []). Each recording rule appears in a promql_expr_test.
"""

import collections
import pathlib
import sys

import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
RULES = REPO / "dashboards" / "rules" / "prebell.rules.yaml"
TESTS = sorted(pathlib.Path(__file__).resolve().parent.glob("*.test.yaml"))


def main():
    rules = yaml.safe_load(RULES.read_text())
    copies = collections.defaultdict(set)
    records = set()
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                copies[rule["alert"]].add((rule["labels"]["severity"], rule["labels"].get("audience")))
            else:
                records.add(rule["record"])

    fired = collections.defaultdict(set)
    warning_alone = set()
    silent = set()
    exprs = []
    for path in TESTS:
        doc = yaml.safe_load(path.read_text())  # SafeLoader resolves the `<<` merges
        if not any(str(f).endswith("prebell.rules.yaml") for f in doc.get("rule_files", [])):
            print(f"FAIL: {path.name} does not test prebell.rules.yaml", file=sys.stderr)
            return 1
        for group in doc.get("tests", []):
            for case in group.get("alert_rule_test", []):
                name = case["alertname"]
                alerts = case.get("exp_alerts") or []
                if not alerts:
                    silent.add(name)
                # A warning alone at this instant, for some label set.
                by_identity = collections.defaultdict(set)
                for a in alerts:
                    labels = dict(a.get("exp_labels") or {})
                    copy = (labels.pop("severity", None), labels.pop("audience", None))
                    fired[name].add(copy)
                    by_identity[tuple(sorted(labels.items()))].add(copy)
                if any(c == {("warning", None)} for c in by_identity.values()):
                    warning_alone.add(name)
            exprs += [case["expr"] for case in group.get("promql_expr_test", [])]

    errors = []
    for name, want in sorted(copies.items()):
        for copy in sorted(want, key=str):
            if copy not in fired[name]:
                errors.append(f"{name}: no test expects the copy severity={copy[0]} audience={copy[1]} to fire")
        if ("warning", None) in want and name not in warning_alone:
            errors.append(f"{name}: no test expects the warning alone (outside a window)")
        if name not in silent:
            errors.append(f"{name}: no test expects it not to fire (exp_alerts: [])")
    for name in sorted(set(fired) - set(copies)):
        errors.append(f"tests expect alert {name}, which is not in {RULES.name}")
    for record in sorted(records):
        if not any(record in e for e in exprs):
            errors.append(f"recording rule {record}: not used by any promql_expr_test")
    if errors:
        print("FAIL rule coverage:\n  " + "\n  ".join(errors), file=sys.stderr)
        return 1
    n = sum(len(v) for v in copies.values())
    print(f"{len(copies)} alertnames / {n} alerting rules and {len(records)} recording rules covered by "
          f"{len(TESTS)} promtool test files")
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
