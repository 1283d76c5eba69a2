#!/usr/bin/env python3
"""`prebell plan` and `prebell backtest` against their contracts (DESIGN.md):
CSV format and steps, --output, exit status 2 with file/field/problem for bad
input, JSON plans, Shadow mode, and at the command line too: decisions up to t
do not change when every sample after t is removed.

Usage: cli_test.py PREBELL WORKDIR   (uses tests/scenarios/generate_scenario.py)
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def main():
    prebell, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    sdir = os.path.join(work, "tokyo")
    if not os.path.exists(os.path.join(sdir, "scenario.json")):
        subprocess.run([sys.executable, os.path.join(HERE, "generate_scenario.py"),
                        "tokyo-evening", sdir], check=True)
    tt, pol, csv = (os.path.join(sdir, f) for f in ("timetable.yaml", "policy.yaml",
                                                     "metrics.csv"))
    sc = json.load(open(os.path.join(sdir, "scenario.json")))
    frm, to = sc["eval_from"], sc["eval_from"] + 86400

    # The CSV: header, one row per step and target, on the step grid, in bounds.
    r = run([prebell, "backtest", "--timetable", tt, "--policy", pol, "--metrics", csv,
             "--from", str(frm), "--to", str(to), "--step", "30s"])
    check(r.returncode == 0, "backtest exit %d: %s" % (r.returncode, r.stderr))
    lines = r.stdout.splitlines()
    check(lines and lines[0] == "timestamp,target,replicas", "CSV header %r" % lines[:1])
    rows = [l.split(",") for l in lines[1:]]
    check(len(rows) == 86400 // 30, "%d rows for one day at 30 s" % len(rows))
    check(all(int(t) % 30 == frm % 30 and frm <= int(t) < to for t, _, _ in rows),
          "timestamps on the 30 s grid within [from, to)")
    check(all(g == "gateway" and 1 <= int(v) <= 40 for _, g, v in rows),
          "replicas within [minReplicas, maxReplicas]")
    check(max(int(v) for _, _, v in rows) > 1, "capacity rises for the evening classes")

    # --output writes the file and nothing to stdout; RFC 3339 times work too.
    out = os.path.join(work, "out.csv")
    r = run([prebell, "backtest", "--timetable", tt, "--policy", pol, "--metrics", csv,
             "--from", "2027-02-01T00:00:00Z", "--to", "2027-02-01T01:00:00Z",
             "--output", out])
    check(r.returncode == 0 and r.stdout == "", "--output keeps stdout empty")
    check(open(out).read().count("\n") == 1 + 240, "--output CSV has 240 rows")

    # At the command line: removing every sample after t changes nothing up to t.
    cut = frm + 19 * 3600 + 7 * 60 + 7
    truncated = os.path.join(work, "truncated.csv")
    with open(csv) as f, open(truncated, "w") as g:
        for i, line in enumerate(f):
            if i == 0 or int(line.split(",")[0]) <= cut:
                g.write(line)
    full = run([prebell, "backtest", "--timetable", tt, "--policy", pol, "--metrics", csv,
                "--from", str(frm), "--to", str(to)]).stdout.splitlines()[1:]
    part = run([prebell, "backtest", "--timetable", tt, "--policy", pol, "--metrics",
                truncated, "--from", str(frm), "--to", str(to)]).stdout.splitlines()[1:]
    upto = [l for l in full if int(l.split(",")[0]) <= cut]
    check(len(upto) > 0 and upto == part[:len(upto)],
          "decisions up to t are the same without the samples after t")

    # Bad input: exit 2, naming the file and the field.
    bad_csv = os.path.join(work, "bad.csv")
    open(bad_csv, "w").write("timestamp,connections\n1,2\n3,abc\n")
    bad_policy = os.path.join(work, "bad-policy.yaml")
    open(bad_policy, "w").write(open(pol).read().replace("warmup: 180s", "warmup: 3 minutes"))
    cases = [
        ([prebell, "backtest", "--timetable", tt, "--policy", pol, "--metrics", bad_csv,
          "--from", str(frm), "--to", str(to)], "bad.csv:3: connections"),
        ([prebell, "backtest", "--timetable", tt, "--policy", bad_policy, "--metrics", csv,
          "--from", str(frm), "--to", str(to)], "bad-policy.yaml:19: spec.targets[0].warmup"),
        ([prebell, "backtest", "--timetable", tt, "--policy", pol, "--metrics", csv,
          "--from", "soon", "--to", str(to)], "--from"),
        ([prebell, "backtest", "--timetable", tt, "--policy", pol, "--metrics", csv,
          "--from", str(to), "--to", str(frm)], "is empty"),
        ([prebell, "backtest", "--timetable", os.path.join(work, "missing.yaml"), "--policy",
          pol, "--metrics", csv, "--from", str(frm), "--to", str(to)], "missing.yaml"),
        ([prebell, "plan", "--timetable", tt, "--policy", pol, "--horizon", "7x"], "--horizon"),
        ([prebell, "plan", "--timetable", tt, "--policy", pol, "--output", "xml"], "--output"),
    ]
    for args, expected in cases:
        r = run(args)
        check(r.returncode == 2, "exit %d (want 2) for %s" % (r.returncode, expected))
        check(expected in r.stderr, "stderr names %r: %r" % (expected, r.stderr))

    # Plans: JSON for programs, the same plan flagged in Shadow mode.
    now = "2027-02-01T08:00:00Z"
    r = run([prebell, "plan", "--timetable", tt, "--policy", pol, "--metrics", csv, "--now",
             now, "--horizon", "1d", "--output", "json"])
    check(r.returncode == 0, "plan json exit %d: %s" % (r.returncode, r.stderr))
    plan = json.loads(r.stdout)
    check(plan["now"] == now and plan["shadow"] is False, "plan now/shadow")
    check(plan["targets"][0]["name"] == "gateway" and plan["targets"][0]["timeline"],
          "gateway timeline present")
    check(all("reason" in c and c["reason"] for c in plan["targets"][0]["timeline"]),
          "every change has a reason")
    check(any(s["ratioSource"] == "learned" for s in plan["sessions"]), "learned ratios")
    shadow_policy = os.path.join(work, "shadow.yaml")
    open(shadow_policy, "w").write(open(pol).read().replace("spec:\n", "spec:\n  mode: Shadow\n"))
    r = run([prebell, "plan", "--timetable", tt, "--policy", shadow_policy, "--metrics", csv,
             "--now", now, "--horizon", "1d", "--output", "json"])
    shadow = json.loads(r.stdout)
    check(shadow["shadow"] is True and shadow["mode"] == "Shadow", "Shadow flagged")
    check(shadow["targets"] == plan["targets"], "Shadow plans the same")
    r = run([prebell, "plan", "--timetable", tt, "--policy", pol, "--metrics", csv, "--now",
             now, "--horizon", "1d"])
    check(r.returncode == 0 and "Target gateway" in r.stdout and "REASON" in r.stdout,
          "plan table")

    print("PASS" if not failures else "%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
