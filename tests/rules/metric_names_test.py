#!/usr/bin/env python3
"""Every metric a rule or a dashboard uses is in docs/metrics.md.

docs/metrics.md is the contract the controller's exporter is written to.
This test reads its tables and fails when an expression in
dashboards/rules/prebell.rules.yaml or dashboards/*.json names a `prebell_`
metric that is not catalogued (histograms may be used with _bucket, _sum,
_count), a `prebell:` series that no recording rule records, or a stack
metric (centrifugo_, redis_, livekit_) missing from the stack table. It also
checks the catalogue itself: types, naming conventions, duplicates.
"""

import pathlib
import re
import sys

import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "dashboards"))
import list_queries  # noqa: E402

CATALOGUE = REPO / "docs" / "metrics.md"
RULES = REPO / "dashboards" / "rules" / "prebell.rules.yaml"
ROW_RE = re.compile(r"^\|\s*`([a-zA-Z_:][a-zA-Z0-9_:]*)`\s*\|(.*)$")
NAME_RE = re.compile(r"(?<![a-zA-Z0-9_:\"'])((?:prebell|centrifugo|redis|livekit)[_:][a-zA-Z0-9_:]*)")
STRING_RE = re.compile(r'"(?:[^"\\]|\\.)*"')
STACK_PREFIXES = ("centrifugo_", "redis_", "livekit_")


def read_catalogue():
    metrics, records, stack = {}, set(), set()
    errors = []
    for n, line in enumerate(CATALOGUE.read_text().splitlines(), 1):
        m = ROW_RE.match(line)
        if not m:
            continue
        name, rest = m.group(1), [c.strip() for c in m.group(2).split("|")]
        where = f"docs/metrics.md:{n}"
        if name.startswith("prebell:"):
            records.add(name)
        elif name.startswith("prebell_"):
            kind = rest[0] if rest else ""
            if kind not in ("gauge", "counter", "histogram"):
                errors.append(f"{where}: {name}: type {kind!r} is not gauge, counter or histogram")
            if name in metrics:
                errors.append(f"{where}: {name} listed twice")
            if kind == "counter" and not name.endswith("_total"):
                errors.append(f"{where}: counter {name} must end in _total")
            if kind != "counter" and name.endswith("_total"):
                errors.append(f"{where}: {name} ends in _total but is a {kind}")
            if name.endswith("_timestamp_seconds") and kind != "gauge":
                errors.append(f"{where}: {name} must be a gauge")
            if len(rest) < 5 or not all(rest[:5]):
                errors.append(f"{where}: {name}: every column (type, labels, unit, replica, meaning) must be filled")
            metrics[name] = kind
        elif name.startswith(STACK_PREFIXES):
            stack.add(name)
    return metrics, records, stack, errors


def expressions():
    rules = yaml.safe_load(RULES.read_text())
    recorded = set()
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "record" in rule:
                recorded.add(rule["record"])
            yield f"{RULES.name}: {rule.get('alert') or rule.get('record')}", rule["expr"]
    for q in list_queries.collect(None):
        yield f"{q['file']}: {q['where']} {q['id']} ({q['title']}) {q['refId']}", q["expr"]
    expressions.recorded = recorded


def names_in(expr):
    expr = "\n".join(line.split("#", 1)[0] for line in expr.splitlines())
    expr = STRING_RE.sub('""', expr)  # label values are not metric names
    return set(NAME_RE.findall(expr))


def main():
    metrics, records, stack, errors = read_catalogue()
    if len(metrics) < 20:
        errors.append(f"docs/metrics.md: found only {len(metrics)} prebell_ metrics in the catalogue table")
    used = set()
    exprs = list(expressions())
    recorded = expressions.recorded
    for where, expr in exprs:
        for name in names_in(expr):
            used.add(name)
            if name.startswith("prebell:"):
                if name not in recorded:
                    errors.append(f"{where}: {name} is not recorded by any rule in {RULES.name}")
                if name not in records:
                    errors.append(f"{where}: {name} is not listed in docs/metrics.md (recording rules)")
            elif name.startswith("prebell_"):
                base = re.sub(r"_(bucket|sum|count)$", "", name)
                if name in metrics:
                    continue
                if base != name and metrics.get(base) == "histogram":
                    used.add(base)
                    continue
                errors.append(f"{where}: {name} is not in the catalogue of docs/metrics.md")
            elif name not in stack:
                errors.append(f"{where}: {name} is not in the bundled-stack table of docs/metrics.md")
    for name in sorted(recorded - records):
        errors.append(f"{RULES.name}: recorded series {name} is not listed in docs/metrics.md")
    if errors:
        print("FAIL metric names:\n  " + "\n  ".join(errors), file=sys.stderr)
        return 1
    unused = sorted(set(metrics) - used)
    print(f"{len(exprs)} expressions use {len(used & set(metrics))} of {len(metrics)} catalogued prebell_ metrics, "
          f"{len(used & records)} recorded series and {len(used & stack)} stack metrics; all catalogued")
    if unused:
        print("catalogued but not used by a rule or panel (fine, for people and the exporter's tests): "
              + ", ".join(unused))
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
