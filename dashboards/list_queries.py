#!/usr/bin/env python3
"""Prints every PromQL query of prebell's Grafana dashboards.

One line per query: panel targets, annotation queries and the selectors of
query variables (`label_values(SELECTOR, label)` gives SELECTOR). With
--substitute the Grafana variables are replaced so that each line can be sent
to Prometheus' /api/v1/query as it is:

  dashboards/list_queries.py                          # TSV, raw expressions
  dashboards/list_queries.py --substitute namespace=lms --format json

Built-in variables get fixed values ($__rate_interval and $__interval 1m,
$__range 1h); every dashboard variable needs a value from --set/--substitute
or its own default (textbox query, or a custom `current` value); a variable
without one is an error, so a query is never sent half-substituted.

Columns: dashboard uid, where (panel/annotation/variable), panel id (or the
annotation/variable name), title, refId, expression. Used by
tests/rules/dashboards_test.py and by the end-to-end test that runs every
query against a live controller.
"""

import argparse
import json
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent

BUILTINS = {
    "__rate_interval": "1m",
    "__interval": "1m",
    "__interval_ms": "60000",
    "__range": "1h",
    "__range_s": "3600",
    "__range_ms": "3600000",
}
VAR_RE = re.compile(r"\$\{(\w+)(?::[\w]+)?\}|\[\[(\w+)\]\]|\$(\w+)")
LABEL_VALUES_RE = re.compile(r"^\s*label_values\(\s*(.+?)\s*,\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$")


class QueryError(Exception):
    pass


def dashboard_files(paths):
    if paths:
        return [pathlib.Path(p) for p in paths]
    return sorted(HERE.glob("*.json"))


def variable_query(var):
    q = var.get("query")
    if isinstance(q, dict):
        q = q.get("query")
    return q or ""


def queries(path):
    """Yields dicts: uid, where, id, title, refId, expr (raw)."""
    try:
        dash = json.loads(pathlib.Path(path).read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise QueryError(f"{path}: cannot read dashboard JSON: {e}")
    uid = dash.get("uid", "")
    for panel in dash.get("panels", []):
        for target in panel.get("targets", []):
            yield {"uid": uid, "where": "panel", "id": panel.get("id"), "title": panel.get("title", ""),
                   "refId": target.get("refId", ""), "expr": target.get("expr", "")}
    for ann in dash.get("annotations", {}).get("list", []):
        if ann.get("builtIn"):
            continue
        yield {"uid": uid, "where": "annotation", "id": ann.get("name", ""), "title": ann.get("name", ""),
               "refId": "", "expr": ann.get("expr", "")}
    for var in dash.get("templating", {}).get("list", []):
        if var.get("type") != "query":
            continue
        q = variable_query(var)
        m = LABEL_VALUES_RE.match(q)
        if not m:
            raise QueryError(f"{path}: variable {var.get('name')}: query {q!r} is not label_values(SELECTOR, label)")
        yield {"uid": uid, "where": "variable", "id": var.get("name", ""), "title": var.get("label", ""),
               "refId": "", "expr": m.group(1)}


def defaults(path):
    """Values a dashboard itself provides for its variables (textbox defaults)."""
    dash = json.loads(pathlib.Path(path).read_text())
    out = {}
    for var in dash.get("templating", {}).get("list", []):
        if var.get("type") in ("textbox", "constant", "custom") and var.get("query"):
            out[var["name"]] = str(var["query"]).split(",")[0].strip()
    return out


def substitute(expr, values, where):
    def repl(m):
        name = m.group(1) or m.group(2) or m.group(3)
        if name in BUILTINS:
            return BUILTINS[name]
        if name in values:
            return values[name]
        raise QueryError(f"{where}: no value for variable ${name} (use --substitute {name}=VALUE)")

    return VAR_RE.sub(repl, expr)


def collect(paths, values=None):
    """All queries of the dashboards; substituted when `values` is not None."""
    out = []
    for path in dashboard_files(paths):
        local = None if values is None else {**defaults(path), **values}
        for q in queries(path):
            if local is not None:
                where = f"{path.name}: {q['where']} {q['id']} ({q['title']}) {q['refId']}".rstrip()
                q = {**q, "expr": substitute(q["expr"], local, where)}
            q["file"] = path.name
            out.append(q)
    return out


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", help="dashboard JSON files (default: dashboards/*.json)")
    parser.add_argument("--substitute", "--set", action="append", default=None, metavar="VAR=VALUE",
                        help="substitute Grafana variables (repeatable); without it expressions are printed raw")
    parser.add_argument("--format", choices=["tsv", "json"], default="tsv")
    args = parser.parse_args(argv)
    values = None
    if args.substitute is not None:
        values = {}
        for item in args.substitute:
            if "=" not in item:
                print(f"list_queries: --substitute {item!r}: want VAR=VALUE", file=sys.stderr)
                return 2
            k, v = item.split("=", 1)
            values[k] = v
    try:
        rows = collect(args.files, values)
    except QueryError as e:
        print(f"list_queries: {e}", file=sys.stderr)
        return 2
    if args.format == "json":
        json.dump(rows, sys.stdout, indent=1)
        print()
    else:
        for r in rows:
            expr = " ".join(r["expr"].split())
            print("\t".join(str(x) for x in (r["uid"], r["where"], r["id"], r["title"], r["refId"], expr)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
