#!/usr/bin/env python3
"""Checks prebell's Grafana dashboards (dashboards/*.json).

  dashboards_test.py structure   uids unique and stable-looking; a `datasource`
                                 variable; every panel has a description, a
                                 unit, and points at the datasource variable
                                 (panel and each target); the Live classes
                                 dashboard filters every query by $namespace;
                                 every variable a query uses is defined
  dashboards_test.py promql      every query (panels, annotations, variables),
                                 with the variables substituted, sent to a real
                                 Prometheus started on a free loopback port:
                                 any error fails. That Prometheus also loads
                                 dashboards/rules/prebell.rules.yaml and must
                                 evaluate every rule without error.
"""

import argparse
import json
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "dashboards"))
import list_queries  # noqa: E402

DASHBOARDS = sorted((REPO / "dashboards").glob("*.json"))
RULES = REPO / "dashboards" / "rules" / "prebell.rules.yaml"
DS_REF = {"type": "prometheus", "uid": "${datasource}"}
UID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
DATA_PANEL_TYPES = {"timeseries", "stat", "gauge", "bargauge", "table", "state-timeline", "status-history", "heatmap",
                    "piechart", "barchart", "text"}
# Values for the variables when the queries are sent to Prometheus.
SAMPLE_VALUES = {"namespace": "lms", "policy": "live", "job": "prebell", "datasource": "prometheus"}


class Failure(Exception):
    pass


def load(path):
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise Failure(f"{path.name}: not valid JSON: {e}")


def check_structure():
    errors = []
    uids, titles = {}, {}
    if len(DASHBOARDS) < 2:
        errors.append(f"expected the Live classes and controller dashboards in dashboards/, found {len(DASHBOARDS)}")
    for path in DASHBOARDS:
        d = load(path)
        name = path.name
        uid = d.get("uid")
        if not isinstance(uid, str) or not UID_RE.match(uid):
            errors.append(f"{name}: uid {uid!r} must be a stable lower-case id (<= 40 chars)")
        elif uid in uids:
            errors.append(f"{name}: uid {uid} already used by {uids[uid]}")
        else:
            uids[uid] = name
        title = d.get("title")
        if not title:
            errors.append(f"{name}: no title")
        elif title in titles:
            errors.append(f"{name}: title {title!r} already used by {titles[title]}")
        else:
            titles[title] = name
        if not d.get("description"):
            errors.append(f"{name}: no dashboard description")
        if not isinstance(d.get("schemaVersion"), int):
            errors.append(f"{name}: no schemaVersion")

        variables = {v.get("name"): v for v in d.get("templating", {}).get("list", [])}
        ds = variables.get("datasource")
        if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
            errors.append(f"{name}: needs a variable `datasource` of type datasource for prometheus")
        for vname, v in variables.items():
            if not v.get("description"):
                errors.append(f"{name}: variable {vname}: no description")
            if v.get("type") == "query" and v.get("datasource") != DS_REF:
                errors.append(f"{name}: variable {vname}: datasource must be {DS_REF}")
        defined = set(variables) | set(list_queries.BUILTINS)

        panel_ids = set()
        live = "namespace" in variables and uid == "prebell-live-classes"
        if uid == "prebell-live-classes" and "namespace" not in variables:
            errors.append(f"{name}: the Live classes dashboard needs a `namespace` variable")
        for p in d.get("panels", []):
            where = f"{name}: panel {p.get('id')} ({p.get('title')!r})"
            if p.get("type") == "row":
                errors.append(f"{where}: rows are not used (every panel must carry its own datasource and unit)")
                continue
            if p.get("type") not in DATA_PANEL_TYPES:
                errors.append(f"{where}: unknown panel type {p.get('type')!r}")
            if p.get("id") in panel_ids or not isinstance(p.get("id"), int):
                errors.append(f"{where}: panel id missing or duplicate")
            panel_ids.add(p.get("id"))
            if not p.get("title"):
                errors.append(f"{where}: no title")
            if not (p.get("description") or "").strip():
                errors.append(f"{where}: no description")
            unit = p.get("fieldConfig", {}).get("defaults", {}).get("unit")
            if not unit:
                errors.append(f"{where}: no unit (fieldConfig.defaults.unit)")
            if p.get("datasource") != DS_REF:
                errors.append(f"{where}: datasource must be {DS_REF}, is {p.get('datasource')}")
            gp = p.get("gridPos", {})
            if not all(isinstance(gp.get(k), int) for k in ("x", "y", "w", "h")) or gp["x"] + gp["w"] > 24:
                errors.append(f"{where}: bad gridPos {gp}")
            targets = p.get("targets") or []
            if not targets:
                errors.append(f"{where}: no queries")
            refs = [t.get("refId") for t in targets]
            if len(set(refs)) != len(refs) or not all(refs):
                errors.append(f"{where}: refIds missing or duplicate: {refs}")
            for t in targets:
                if t.get("datasource") != DS_REF:
                    errors.append(f"{where} {t.get('refId')}: datasource must be {DS_REF}")
                expr = t.get("expr", "")
                if not expr.strip():
                    errors.append(f"{where} {t.get('refId')}: empty expr")
                if live and '$namespace' not in expr:
                    errors.append(f"{where} {t.get('refId')}: does not filter by $namespace")
                for m in list_queries.VAR_RE.finditer(expr):
                    var = m.group(1) or m.group(2) or m.group(3)
                    if var not in defined:
                        errors.append(f"{where} {t.get('refId')}: uses undefined variable ${var}")
        for a in d.get("annotations", {}).get("list", []):
            if a.get("builtIn"):
                continue
            if a.get("datasource") != DS_REF or not a.get("expr"):
                errors.append(f"{name}: annotation {a.get('name')}: needs datasource {DS_REF} and an expr")
            if live and "$namespace" not in a.get("expr", ""):
                errors.append(f"{name}: annotation {a.get('name')}: does not filter by $namespace")
    if not {"prebell-live-classes", "prebell-controller"} <= set(uids):
        errors.append(f"expected dashboards with uids prebell-live-classes and prebell-controller, found {sorted(uids)}")
    if errors:
        raise Failure("\n  ".join(["dashboard structure:"] + errors))
    n = sum(len(load(p).get("panels", [])) for p in DASHBOARDS)
    print(f"structure: {len(DASHBOARDS)} dashboards, {n} panels OK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Prometheus:
    def __init__(self, binary, workdir):
        cfg = workdir / "prometheus.yml"
        cfg.write_text(
            "global:\n  evaluation_interval: 1s\n"
            f"rule_files:\n  - {RULES}\n"
            "scrape_configs: []\n"
        )
        last = ""
        for _ in range(3):
            self.port = free_port()
            self.log = open(workdir / "prometheus.log", "w+")
            self.proc = subprocess.Popen(
                [binary, f"--config.file={cfg}", f"--storage.tsdb.path={workdir / 'data'}",
                 f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
                stdout=self.log, stderr=subprocess.STDOUT)
            self.url = f"http://127.0.0.1:{self.port}"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    urllib.request.urlopen(self.url + "/-/ready", timeout=1).read()
                    return
                except (urllib.error.URLError, ConnectionError, OSError):
                    time.sleep(0.1)
            self.stop()
            self.log.seek(0)
            last = self.log.read()
        raise Failure(f"Prometheus did not start:\n{last[-3000:]}")

    def get(self, path, **params):
        url = f"{self.url}{path}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            body = e.read()
            try:
                return json.loads(body)
            except json.JSONDecodeError:
                return {"status": "error", "error": f"HTTP {e.code}: {body[:200]!r}"}

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def check_promql(binary):
    rows = list_queries.collect([str(p) for p in DASHBOARDS], SAMPLE_VALUES)
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="prebell-prom-"))
    prom = Prometheus(binary, workdir)
    errors = []
    try:
        for r in rows:
            res = prom.get("/api/v1/query", query=r["expr"])
            if res.get("status") != "success":
                errors.append(f"{r['file']}: {r['where']} {r['id']} ({r['title']}) {r['refId']}: "
                              f"{res.get('errorType')}: {res.get('error')}\n      {r['expr']}")
            elif res.get("warnings"):
                errors.append(f"{r['file']}: {r['where']} {r['id']} {r['refId']}: warnings {res['warnings']}")
        # The rules file loads in a real server, and every rule evaluates.
        deadline = time.monotonic() + 20
        while True:
            groups = prom.get("/api/v1/rules")["data"]["groups"]
            rules = [rule for g in groups for rule in g["rules"]]
            pending = [rule for rule in rules if rule.get("health") == "unknown"]
            if rules and not pending:
                break
            if time.monotonic() > deadline:
                errors.append(f"rules not evaluated after 20s: {len(pending)} of {len(rules)}")
                break
            time.sleep(0.5)
        bad = [f"{rule['name']}: {rule.get('lastError')}" for rule in rules if rule.get("health") != "ok"]
        if bad:
            errors.append("rules with errors in Prometheus:\n      " + "\n      ".join(bad))
        if len(rules) < 10:
            errors.append(f"Prometheus loaded only {len(rules)} rules from {RULES}")
    finally:
        prom.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    if errors:
        raise Failure("\n  ".join(["queries rejected by Prometheus:"] + errors))
    print(f"promql: {len(rows)} dashboard queries accepted by Prometheus; {len(rules)} rules evaluate without error")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("test", choices=["structure", "promql"])
    parser.add_argument("--prometheus", default=shutil.which("prometheus") or "prometheus")
    args = parser.parse_args(argv)
    try:
        if args.test == "structure":
            check_structure()
        else:
            if not shutil.which(args.prometheus):
                raise Failure(f"{args.prometheus} not found; install prometheus (scripts/install-deps.sh --servers)")
            check_promql(args.prometheus)
    except (Failure, list_queries.QueryError) as e:
        print(f"FAIL {args.test}: {e}", file=sys.stderr)
        return 1
    print(f"PASS {args.test}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
