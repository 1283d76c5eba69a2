#!/usr/bin/env python3
"""Checks examples/alertmanager/alertmanagerconfig.yaml (Prometheus Operator).

1. It is valid against the real AlertmanagerConfig CRD schema of the
   Prometheus Operator (taken from its Go module, pinned below, through the Go
   module proxy and cached in the Go module cache). Unknown fields are errors
   here (the API server would silently prune them), and nested routes, which
   the CRD leaves unchecked (x-kubernetes-preserve-unknown-fields), are
   validated against the route schema too.
2. It says the same as examples/alertmanager/alertmanager.yml: the same route
   tree, matchers and timers, the same inhibit rule, the same receivers with
   the same non-secret fields.
3. Converted the way the operator does (receivers named
   <namespace>/<name>/<receiver>; with the default OnNamespace strategy a
   namespace matcher on the route and on both sides of the inhibit rule), the
   result passes `amtool check-config`, and `amtool config routes test` sends
   each severity to its receiver.
"""

import argparse
import copy
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
CR = REPO / "examples" / "alertmanager" / "alertmanagerconfig.yaml"
PLAIN = REPO / "examples" / "alertmanager" / "alertmanager.yml"
OPERATOR_MODULE = "github.com/prometheus-operator/prometheus-operator"
OPERATOR_VERSION = "v0.81.0"
CRD_PATH = "example/prometheus-operator-crd/monitoring.coreos.com_alertmanagerconfigs.yaml"
DURATION_RE = re.compile(r"^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$")
MATCHER_RE = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"(.*)"\s*$')


class Failure(Exception):
    pass


class _Loader(yaml.SafeLoader):
    pass


# PyYAML resolves a bare `=` (the CRD's matchType enum) to the YAML 1.1
# "value" type, for which it has no constructor.
_Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


def load_yaml(path):
    with open(path) as f:
        return yaml.load(f, Loader=_Loader)


# ------------------------------------------------------------------------ CRD


def crd_file(explicit):
    if explicit:
        return pathlib.Path(explicit)
    go = shutil.which("go")
    if not go:
        raise Failure("go not found: needed to fetch the AlertmanagerConfig CRD from "
                      f"{OPERATOR_MODULE}@{OPERATOR_VERSION} (or pass --crd FILE)")
    r = subprocess.run([go, "mod", "download", "-json", f"{OPERATOR_MODULE}@{OPERATOR_VERSION}"],
                       capture_output=True, text=True, timeout=600, cwd=tempfile.gettempdir(),
                       env={**os.environ, "GOFLAGS": "-mod=mod"})
    if r.returncode != 0:
        raise Failure(f"go mod download {OPERATOR_MODULE}@{OPERATOR_VERSION} failed:\n{r.stdout}{r.stderr}")
    path = pathlib.Path(json.loads(r.stdout)["Dir"]) / CRD_PATH
    if not path.is_file():
        raise Failure(f"{path}: not found in the module")
    return path


def check_type(node, want):
    return {
        "object": isinstance(node, dict),
        "array": isinstance(node, list),
        "string": isinstance(node, str),
        "boolean": isinstance(node, bool),
        "integer": isinstance(node, int) and not isinstance(node, bool),
        "number": isinstance(node, (int, float)) and not isinstance(node, bool),
    }[want]


def validate(node, schema, path, errors, route_schema):
    """A structural OpenAPI v3 check with the keywords the CRD uses."""
    if schema.get("x-kubernetes-preserve-unknown-fields") and "properties" not in schema:
        # Nested routes: the CRD cannot express the recursion; check them as
        # routes anyway.
        if path.endswith(".routes[]") or re.search(r"\.routes\[\d+\]$", path):
            validate(node, route_schema, path, errors, route_schema)
        return
    want = schema.get("type")
    if want and not check_type(node, want):
        errors.append(f"{path}: is {type(node).__name__}, want {want}")
        return
    if "enum" in schema and node not in schema["enum"]:
        errors.append(f"{path}: {node!r} is not one of {schema['enum']}")
    if isinstance(node, str):
        if "minLength" in schema and len(node) < schema["minLength"]:
            errors.append(f"{path}: shorter than {schema['minLength']}")
        if "pattern" in schema and not re.search(schema["pattern"], node):
            errors.append(f"{path}: {node!r} does not match {schema['pattern']}")
    if isinstance(node, (int, float)) and not isinstance(node, bool):
        if "minimum" in schema and node < schema["minimum"]:
            errors.append(f"{path}: below {schema['minimum']}")
        if "maximum" in schema and node > schema["maximum"]:
            errors.append(f"{path}: above {schema['maximum']}")
    if isinstance(node, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in node:
                errors.append(f"{path}: missing required field {key}")
        for key, value in node.items():
            if key in props:
                validate(value, props[key], f"{path}.{key}", errors, route_schema)
            elif isinstance(schema.get("additionalProperties"), dict):
                validate(value, schema["additionalProperties"], f"{path}.{key}", errors, route_schema)
            elif not schema.get("x-kubernetes-preserve-unknown-fields") and not schema.get("additionalProperties"):
                errors.append(f"{path}: unknown field {key}")
    if isinstance(node, list) and "items" in schema:
        for i, item in enumerate(node):
            validate(item, schema["items"], f"{path}[{i}]", errors, route_schema)


def check_schema(cr, crd):
    version = next((v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1"), None)
    if version is None:
        raise Failure("the CRD has no v1alpha1 version")
    if cr.get("apiVersion") != "monitoring.coreos.com/v1alpha1" or cr.get("kind") != "AlertmanagerConfig":
        raise Failure(f"{CR}: apiVersion/kind must be monitoring.coreos.com/v1alpha1 AlertmanagerConfig")
    if not cr.get("metadata", {}).get("name"):
        raise Failure(f"{CR}: metadata.name missing")
    schema = version["schema"]["openAPIV3Schema"]
    route_schema = schema["properties"]["spec"]["properties"]["route"]
    errors = []
    validate(cr.get("spec"), schema["properties"]["spec"], "spec", errors, route_schema)

    def durations(route, path):
        for key in ("groupWait", "groupInterval", "repeatInterval"):
            if key in route and not DURATION_RE.match(route[key]):
                errors.append(f"{path}.{key}: {route[key]!r} is not a duration")
        for i, child in enumerate(route.get("routes", [])):
            durations(child, f"{path}.routes[{i}]")

    durations(cr["spec"]["route"], "spec.route")
    names = [r["name"] for r in cr["spec"].get("receivers", [])]

    def receivers(route, path):
        if route.get("receiver") and route["receiver"] not in names:
            errors.append(f"{path}.receiver: {route['receiver']!r} is not a receiver")
        for i, child in enumerate(route.get("routes", [])):
            receivers(child, f"{path}.routes[{i}]")

    receivers(cr["spec"]["route"], "spec.route")
    if errors:
        raise Failure(f"{CR} does not match the AlertmanagerConfig CRD of {OPERATOR_MODULE} {OPERATOR_VERSION}:\n  "
                      + "\n  ".join(errors))


# -------------------------------------------------------------- equivalence


def parse_matcher(text, where):
    m = MATCHER_RE.match(text)
    if not m:
        raise Failure(f"{PLAIN}: {where}: cannot parse matcher {text!r}")
    return (m.group(1), m.group(2), m.group(3))


def cr_matcher(m):
    if "matchType" not in m:
        raise Failure(f"{CR}: matcher {m} has no matchType (regex is deprecated)")
    return (m["name"], m["matchType"], m.get("value", ""))


def norm_plain_route(route, where="route"):
    return {
        "receiver": route.get("receiver"),
        "group_by": sorted(route.get("group_by", [])),
        "group_wait": route.get("group_wait"),
        "group_interval": route.get("group_interval"),
        "repeat_interval": route.get("repeat_interval"),
        "continue": route.get("continue", False),
        "matchers": sorted(parse_matcher(m, where) for m in route.get("matchers", [])),
        "routes": [norm_plain_route(r, f"{where}.routes[{i}]") for i, r in enumerate(route.get("routes", []))],
    }


def norm_cr_route(route):
    return {
        "receiver": route.get("receiver"),
        "group_by": sorted(route.get("groupBy", [])),
        "group_wait": route.get("groupWait"),
        "group_interval": route.get("groupInterval"),
        "repeat_interval": route.get("repeatInterval"),
        "continue": route.get("continue", False),
        "matchers": sorted(cr_matcher(m) for m in route.get("matchers", [])),
        "routes": [norm_cr_route(r) for r in route.get("routes", [])],
    }


def norm_plain_receivers(receivers):
    out = {}
    for r in receivers:
        integrations = []
        for pd in r.get("pagerduty_configs", []):
            integrations.append(("pagerduty", pd.get("description"), tuple(sorted((pd.get("details") or {}).items()))))
        for s in r.get("slack_configs", []):
            integrations.append(("slack", s.get("channel"), s.get("send_resolved", False), s.get("title"), s.get("text")))
        others = [k for k in r if k.endswith("_configs") and k not in ("pagerduty_configs", "slack_configs")]
        if others:
            raise Failure(f"{PLAIN}: receiver {r['name']}: compare {others} too")
        out[r["name"]] = integrations
    return out


def norm_cr_receivers(receivers):
    out = {}
    for r in receivers:
        integrations = []
        for pd in r.get("pagerdutyConfigs", []):
            details = tuple(sorted((d["key"], d["value"]) for d in pd.get("details", [])))
            integrations.append(("pagerduty", pd.get("description"), details))
        for s in r.get("slackConfigs", []):
            integrations.append(("slack", s.get("channel"), s.get("sendResolved", False), s.get("title"), s.get("text")))
        others = [k for k in r if k.endswith("Configs") and k not in ("pagerdutyConfigs", "slackConfigs")]
        if others:
            raise Failure(f"{CR}: receiver {r['name']}: compare {others} too")
        out[r["name"]] = integrations
    return out


def check_equivalent(cr, plain):
    diffs = []
    a, b = norm_plain_route(plain["route"]), norm_cr_route(cr["spec"]["route"])
    if a != b:
        diffs.append(f"route:\n    alertmanager.yml:        {json.dumps(a)}\n    alertmanagerconfig.yaml: {json.dumps(b)}")
    a = [(sorted(parse_matcher(m, "inhibit_rules") for m in r.get("source_matchers", [])),
          sorted(parse_matcher(m, "inhibit_rules") for m in r.get("target_matchers", [])),
          sorted(r.get("equal", []))) for r in plain.get("inhibit_rules", [])]
    b = [(sorted(cr_matcher(m) for m in r.get("sourceMatch", [])),
          sorted(cr_matcher(m) for m in r.get("targetMatch", [])),
          sorted(r.get("equal", []))) for r in cr["spec"].get("inhibitRules", [])]
    if a != b:
        diffs.append(f"inhibit rules: {a} != {b}")
    a, b = norm_plain_receivers(plain["receivers"]), norm_cr_receivers(cr["spec"]["receivers"])
    if a != b:
        diffs.append(f"receivers:\n    {a}\n    {b}")
    if diffs:
        raise Failure(f"{CR} and {PLAIN} differ:\n  " + "\n  ".join(diffs))


# ---------------------------------------------------------------- conversion


def to_alertmanager(cr, strategy):
    """The operator's translation of one AlertmanagerConfig, for what it uses."""
    ns, name = cr["metadata"]["namespace"], cr["metadata"]["name"]
    prefix = f"{ns}/{name}/"

    def matchers(ms):
        return [f'{m["name"]}{m["matchType"]}"{m.get("value", "")}"' for m in ms]

    def route(r, top):
        out = {}
        if r.get("receiver"):
            out["receiver"] = prefix + r["receiver"]
        for src, dst in (("groupBy", "group_by"), ("groupWait", "group_wait"),
                         ("groupInterval", "group_interval"), ("repeatInterval", "repeat_interval")):
            if src in r:
                out[dst] = r[src]
        ms = matchers(r.get("matchers", []))
        if top:
            out["continue"] = True
            if strategy == "OnNamespace":
                ms = [m for m in ms if not m.startswith("namespace")] + [f'namespace="{ns}"']
        elif r.get("continue"):
            out["continue"] = True
        if ms:
            out["matchers"] = ms
        if r.get("routes"):
            out["routes"] = [route(c, False) for c in r["routes"]]
        return out

    def inhibit(rule):
        src, tgt = matchers(rule["sourceMatch"]), matchers(rule["targetMatch"])
        if strategy == "OnNamespace":
            src.append(f'namespace="{ns}"')
            tgt.append(f'namespace="{ns}"')
        return {"source_matchers": src, "target_matchers": tgt, "equal": rule.get("equal", [])}

    receivers = [{"name": "null"}]
    for r in cr["spec"]["receivers"]:
        out = {"name": prefix + r["name"]}
        for pd in r.get("pagerdutyConfigs", []):
            out.setdefault("pagerduty_configs", []).append({
                "routing_key": "from-secret",
                "description": pd["description"],
                "details": {d["key"]: d["value"] for d in pd.get("details", [])},
            })
        for s in r.get("slackConfigs", []):
            out.setdefault("slack_configs", []).append({
                "api_url": "https://hooks.slack.invalid/from-secret",
                "channel": s["channel"], "send_resolved": s.get("sendResolved", False),
                "title": s["title"], "text": s["text"],
            })
        receivers.append(out)
    return {
        "route": {"receiver": "null", "routes": [route(cr["spec"]["route"], True)]},
        "inhibit_rules": [inhibit(r) for r in cr["spec"].get("inhibitRules", [])],
        "receivers": receivers,
    }


def check_converted(cr, amtool):
    ns, name = cr["metadata"]["namespace"], cr["metadata"]["name"]
    cases = [
        ({"severity": "warning"}, "chat"),
        ({"severity": "critical"}, "pager"),
        ({"severity": "critical", "audience": "exam-room"}, "exam-room"),
        ({}, "chat"),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for strategy, alert_ns, routed in (("OnNamespace", ns, True), ("OnNamespace", "lms", False), ("None", "lms", True)):
            path = pathlib.Path(tmp) / f"am-{strategy}.yml"
            path.write_text(yaml.safe_dump(to_alertmanager(cr, strategy)))
            r = subprocess.run([amtool, "check-config", str(path)], capture_output=True, text=True, timeout=60)
            if r.returncode != 0:
                raise Failure(f"the operator's translation ({strategy}) fails amtool check-config:\n{r.stdout}{r.stderr}")
            for labels, receiver in cases:
                want = f"{ns}/{name}/{receiver}" if routed else "null"
                labels = {"alertname": "RedisMemoryHigh", "namespace": alert_ns, **labels}
                r = subprocess.run([amtool, "config", "routes", "test", f"--config.file={path}",
                                    f"--verify.receivers={want}", *[f"{k}={v}" for k, v in labels.items()]],
                                   capture_output=True, text=True, timeout=60)
                if r.returncode != 0 or r.stdout.strip() != want:
                    raise Failure(f"{strategy}: {labels} routed to {r.stdout.strip()!r}, want {want!r}")
        print(f"converted: amtool accepts it; with OnNamespace only namespace {ns} is routed, with None every namespace")


def main(argv):
    global CR
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--crd", help="the CRD file (default: from the Go module cache / proxy)")
    parser.add_argument("--config", type=pathlib.Path, default=CR)
    parser.add_argument("--amtool", default=shutil.which("amtool") or "amtool")
    args = parser.parse_args(argv)
    CR = args.config
    try:
        cr = load_yaml(args.config)
        crd_path = crd_file(args.crd)
        check_schema(cr, load_yaml(crd_path))
        print(f"schema: valid against {crd_path.name} of {OPERATOR_MODULE} {OPERATOR_VERSION}")
        check_equivalent(cr, load_yaml(PLAIN))
        print("equivalent: same routes, inhibit rule and receivers as alertmanager.yml")
        check_converted(cr, args.amtool)
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
