#!/usr/bin/env python3
"""Expands dashboards/rules/source.yaml into dashboards/rules/prebell.rules.yaml.

Every alert of the source is written once; this script gives it its warning,
critical and exam-room copies (see the comment at the top of source.yaml and
docs/alerting.md), substitutes the settings, and checks what it can: fields,
names, runbooks. The output is committed; `--check` fails when it is out of
date (a CTest of label `rules` runs it).

  dashboards/generate_rules.py            rewrite prebell.rules.yaml
  dashboards/generate_rules.py --check    exit 1 and show a diff if stale
  dashboards/generate_rules.py --source S --output O   other files (tests)
"""

import argparse
import difflib
import pathlib
import re
import sys

import yaml

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_SOURCE = HERE / "rules" / "source.yaml"
DEFAULT_OUTPUT = HERE / "rules" / "prebell.rules.yaml"
RUNBOOK_DIR = REPO / "docs" / "runbooks"

SETTING_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
DURATION_RE = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
ALERT_NAME_RE = re.compile(r"^[A-Z][A-Za-z0-9]*$")
RUNBOOK_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# The label values the copies carry; docs/alerting.md and the Alertmanager
# examples rely on exactly these.
SEVERITY_WARNING = "warning"
SEVERITY_CRITICAL = "critical"
EXAM_AUDIENCE = "exam-room"
RESERVED_LABELS = {"severity", "audience", "alertname", "alertstate"}

ESCALATION = {
    # scope -> PromQL that keeps the alert only while the level is >= N
    "namespace": "and on (namespace) (prebell:schedule_criticality:level >= {level})",
    "global": "and on () (max(prebell:schedule_criticality:level) >= {level})",
}
ESCALATION_NOTE = {
    ("namespace", 1): "Escalated to critical: a class or exam in {{ $labels.namespace }} is live or starts within ${lead_time}.",
    ("namespace", 2): "Exam-room copy: an exam in {{ $labels.namespace }} is live or starts within ${lead_time}.",
    ("global", 1): "Escalated to critical: a class or exam is live or starts within ${lead_time} in at least one namespace.",
    ("global", 2): "Exam-room copy: an exam is live or starts within ${lead_time} in at least one namespace.",
}

ALERT_KEYS = {"alert", "scope", "expr", "for", "labels", "summary", "description", "runbook"}
ALERT_REQUIRED = ALERT_KEYS - {"for", "labels"}
SIGNAL_ALERT_KEYS = ALERT_KEYS - {"scope"}
RECORD_KEYS = {"record", "expr"}
TOP_KEYS = {"settings", "group", "recording_rules", "signal_alerts", "alerts"}


class SourceError(Exception):
    pass


def duration_seconds(text):
    m = DURATION_RE.match(text)
    if not text or not m or not any(m.groups()):
        return None
    d, h, mi, s = (int(g) if g else 0 for g in m.groups())
    return ((d * 24 + h) * 60 + mi) * 60 + s


class Expander:
    def __init__(self, source_path, settings):
        self.source_path = source_path
        self.values = {}
        if not isinstance(settings, dict):
            raise SourceError(f"{source_path}: settings: must be a mapping")
        for name, value in settings.items():
            if not isinstance(value, (str, int)):
                raise SourceError(f"{source_path}: settings.{name}: must be a string or a number")
            value = str(value)
            self.values[name] = value
            seconds = duration_seconds(value)
            if seconds is not None:
                self.values[f"{name}_seconds"] = str(seconds)
        for required in ("lead_time", "signal_smoothing", "signal_fallback", "signal_max_age", "runbook_base_url"):
            if required not in settings:
                raise SourceError(f"{source_path}: settings.{required}: missing")
            if required != "runbook_base_url" and f"{required}_seconds" not in self.values:
                raise SourceError(f"{source_path}: settings.{required}: '{settings[required]}' is not a duration like 30m")

    def __call__(self, text, where):
        def repl(m):
            name = m.group(1)
            if name not in self.values:
                raise SourceError(f"{self.source_path}: {where}: unknown setting ${{{name}}}")
            return self.values[name]

        return SETTING_RE.sub(repl, text)


def check_keys(source_path, where, node, allowed, required):
    if not isinstance(node, dict):
        raise SourceError(f"{source_path}: {where}: must be a mapping")
    unknown = sorted(set(node) - allowed)
    if unknown:
        raise SourceError(f"{source_path}: {where}: unknown field(s) {', '.join(unknown)}")
    missing = sorted(k for k in required if k not in node)
    if missing:
        raise SourceError(f"{source_path}: {where}: missing field(s) {', '.join(missing)}")
    for key in required:
        if not isinstance(node[key], str) or not node[key].strip():
            raise SourceError(f"{source_path}: {where}.{key}: must be a non-empty string")


def clean_expr(text):
    """Trailing blanks off; a multi-line expression ends in one newline (a `|` block)."""
    lines = [line.rstrip() for line in text.strip("\n").rstrip().splitlines()]
    if len(lines) == 1:
        return lines[0].strip()
    return "\n".join(lines) + "\n"


def annotations(expand, where, alert, note):
    runbook = alert["runbook"]
    if not RUNBOOK_RE.match(runbook):
        raise SourceError(f"{expand.source_path}: {where}.runbook: '{runbook}' must be kebab-case (a file name without .md)")
    if not (RUNBOOK_DIR / f"{runbook}.md").is_file():
        raise SourceError(f"{expand.source_path}: {where}.runbook: docs/runbooks/{runbook}.md does not exist")
    result = {
        "summary": expand(alert["summary"].strip(), f"{where}.summary"),
        "description": expand(alert["description"].strip(), f"{where}.description"),
    }
    if note:
        result["escalation"] = expand(note, f"{where}.escalation")
    result["runbook_url"] = expand("${runbook_base_url}", "settings.runbook_base_url").rstrip("/") + f"/{runbook}.md"
    return result


def static_labels(expand, where, alert):
    labels = alert.get("labels") or {}
    if not isinstance(labels, dict):
        raise SourceError(f"{expand.source_path}: {where}.labels: must be a mapping")
    for key, value in labels.items():
        if key in RESERVED_LABELS:
            raise SourceError(f"{expand.source_path}: {where}.labels.{key}: reserved, the generator sets it")
        if not isinstance(value, str):
            raise SourceError(f"{expand.source_path}: {where}.labels.{key}: must be a string")
    return dict(labels)


def for_field(expand, where, alert):
    if "for" not in alert:
        return None
    value = str(alert["for"])
    if duration_seconds(value) is None:
        raise SourceError(f"{expand.source_path}: {where}.for: '{value}' is not a duration like 5m")
    return value


def rule(kind, name, expr, for_=None, labels=None, annotations_=None):
    out = {kind: name, "expr": expr}
    if for_:
        out["for"] = for_
    if labels is not None:
        out["labels"] = labels
    if annotations_ is not None:
        out["annotations"] = annotations_
    return out


def expand_alert(expand, index, alert, seen):
    where = f"alerts[{index}]"
    check_keys(expand.source_path, where, alert, ALERT_KEYS, ALERT_REQUIRED)
    name = alert["alert"]
    where = f"alerts[{index}] ({name})"
    if not ALERT_NAME_RE.match(name):
        raise SourceError(f"{expand.source_path}: {where}.alert: must be UpperCamelCase")
    if name in seen:
        raise SourceError(f"{expand.source_path}: {where}.alert: duplicate alert name")
    seen.add(name)
    scope = alert["scope"]
    if scope not in ESCALATION:
        raise SourceError(f"{expand.source_path}: {where}.scope: '{scope}' must be one of {', '.join(sorted(ESCALATION))}")
    base = clean_expr(expand(alert["expr"], f"{where}.expr"))
    labels = static_labels(expand, where, alert)
    for_ = for_field(expand, where, alert)

    rules = [
        rule("alert", name, base, for_, {"severity": SEVERITY_WARNING, **labels}, annotations(expand, where, alert, None))
    ]
    # The escalated copies fire on the warning's own firing state (the ALERTS
    # series written by the rule above in the same evaluation), so they
    # escalate the instant the level rises instead of waiting out `for` again,
    # and they keep the warning's labels exactly, which the inhibit rule
    # matches on.
    ignored = ", ".join(["alertname", "alertstate", "severity", *sorted(labels)])
    firing = f'ALERTS{{alertname="{name}", alertstate="firing", severity="{SEVERITY_WARNING}"}}'
    base_block = base if base.endswith("\n") else base + "\n"
    for level, extra in ((1, {}), (2, {"audience": EXAM_AUDIENCE})):
        expr = (
            "(\n"
            + "".join(f"  {line}\n" if line else "\n" for line in base_block.rstrip("\n").split("\n"))
            + ")\n"
            + f"and ignoring ({ignored})\n  {firing}\n"
            + ESCALATION[scope].format(level=level)
            + "\n"
        )
        rules.append(
            rule(
                "alert",
                name,
                expr,
                None,
                {"severity": SEVERITY_CRITICAL, **extra, **labels},
                annotations(expand, where, alert, ESCALATION_NOTE[(scope, level)]),
            )
        )
    return rules


def generate(source_path):
    try:
        text = pathlib.Path(source_path).read_text()
    except OSError as e:
        raise SourceError(f"{source_path}: cannot read: {e.strerror}")
    try:
        source = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise SourceError(f"{source_path}: not valid YAML: {e}")
    if not isinstance(source, dict):
        raise SourceError(f"{source_path}: must be a mapping")
    unknown = sorted(set(source) - TOP_KEYS)
    if unknown:
        raise SourceError(f"{source_path}: unknown top-level field(s) {', '.join(unknown)}")
    expand = Expander(source_path, source.get("settings"))
    group = source.get("group")
    if not isinstance(group, str) or not group:
        raise SourceError(f"{source_path}: group: must be a non-empty string")

    rules = []
    records = set()
    for i, rec in enumerate(source.get("recording_rules") or []):
        check_keys(source_path, f"recording_rules[{i}]", rec, RECORD_KEYS, RECORD_KEYS)
        if rec["record"] in records:
            raise SourceError(f"{source_path}: recording_rules[{i}].record: duplicate {rec['record']}")
        records.add(rec["record"])
        rules.append(rule("record", rec["record"], clean_expr(expand(rec["expr"], f"recording_rules[{i}].expr"))))

    seen = set()
    for i, alert in enumerate(source.get("signal_alerts") or []):
        where = f"signal_alerts[{i}]"
        check_keys(source_path, where, alert, SIGNAL_ALERT_KEYS, ALERT_REQUIRED - {"scope"})
        name = alert["alert"]
        if name in seen:
            raise SourceError(f"{source_path}: {where}.alert: duplicate alert name {name}")
        seen.add(name)
        rules.append(
            rule(
                "alert",
                name,
                clean_expr(expand(alert["expr"], f"{where}.expr")),
                for_field(expand, where, alert),
                {"severity": SEVERITY_CRITICAL, **static_labels(expand, where, alert)},
                annotations(expand, where, alert, None),
            )
        )

    for i, alert in enumerate(source.get("alerts") or []):
        rules.extend(expand_alert(expand, i, alert, seen))

    return {"groups": [{"name": group, "rules": rules}]}


class _Dumper(yaml.SafeDumper):
    pass


def _str_representer(dumper, value):
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str_representer)

HEADER = """\
# GENERATED by dashboards/generate_rules.py from dashboards/rules/source.yaml.
# Do not edit: change source.yaml and run dashboards/generate_rules.py.
# Every alert appears three times with the same alertname: severity=warning,
# severity=critical (schedule level >= 1) and severity=critical +
# audience=exam-room (level 2). See docs/alerting.md.
"""


def render(doc):
    return HEADER + yaml.dump(doc, Dumper=_Dumper, sort_keys=False, width=1000, allow_unicode=True)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default=str(DEFAULT_SOURCE))
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT))
    parser.add_argument("--check", action="store_true", help="fail if --output is not what --source generates")
    args = parser.parse_args(argv)
    try:
        text = render(generate(args.source))
    except SourceError as e:
        print(f"generate_rules: {e}", file=sys.stderr)
        return 2
    out = pathlib.Path(args.output)
    if args.check:
        current = out.read_text() if out.exists() else ""
        if current != text:
            sys.stderr.writelines(
                difflib.unified_diff(
                    current.splitlines(True), text.splitlines(True), str(out), "generated from " + args.source
                )
            )
            print(
                f"generate_rules: {out} is out of date with {args.source}; run dashboards/generate_rules.py",
                file=sys.stderr,
            )
            return 1
        print(f"generate_rules: {out} is up to date")
        return 0
    out.write_text(text)
    print(f"generate_rules: wrote {out} ({sum(len(g['rules']) for g in yaml.safe_load(text)['groups'])} rules)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
