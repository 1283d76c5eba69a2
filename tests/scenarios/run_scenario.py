#!/usr/bin/env python3
"""Scenario test: generate (or take) a scenario, backtest prebell on it with
--compare, and assert the three criteria of issue 3:

  1. no minute short where the timetable foretold the load (outside the
     scenario's unforetold windows);
  2. total shortfall below both HPA's and KEDA cron + HPA's (when a peer has
     none, prebell must have none either);
  3. cost at most 1.2 times the oracle's.

Usage:
  run_scenario.py --prebell BIN --preset NAME --workdir DIR [--seed N]
  run_scenario.py --prebell BIN --dir SCENARIO_DIR --workdir DIR
Prints the comparison table; exit status 0 when all criteria hold.
"""

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_table(text):
    rows = {}
    for line in text.splitlines():
        for name in ("oracle", "prebell", "HPA", "KEDA cron + HPA"):
            if line.startswith(name + " "):
                parts = line[len(name):].split()
                if len(parts) == 5:
                    rows[name] = {
                        "shortfall_pct": float(parts[0]),
                        "minutes_foretold": int(parts[1]),
                        "minutes_all": int(parts[2]),
                        "worst_gap": float(parts[3].replace(",", "")),
                        "cost": float(parts[4]),
                    }
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prebell", required=True)
    ap.add_argument("--preset")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--dir")
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    if a.preset:
        sdir = os.path.join(a.workdir, "scenario")
        if not os.path.exists(os.path.join(sdir, "scenario.json")):
            cmd = [sys.executable, os.path.join(HERE, "generate_scenario.py"), a.preset, sdir]
            if a.seed is not None:
                cmd += ["--seed", str(a.seed)]
            subprocess.run(cmd, check=True)
    else:
        sdir = a.dir
    out_csv = os.path.join(a.workdir, "prebell.csv")
    cmd = [a.prebell, "backtest",
           "--timetable", os.path.join(sdir, "timetable.yaml"),
           "--policy", os.path.join(sdir, "policy.yaml"),
           "--metrics", os.path.join(sdir, "metrics.csv"),
           "--scenario", os.path.join(sdir, "scenario.json"),
           "--compare", "--output", out_csv]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        print("FAIL: prebell backtest exited with %d" % proc.returncode)
        return 1
    rows = parse_table(proc.stdout)
    missing = [n for n in ("oracle", "prebell", "HPA", "KEDA cron + HPA") if n not in rows]
    if missing:
        print("FAIL: no row for %s in the comparison table" % ", ".join(missing))
        return 1
    p, h, k = rows["prebell"], rows["HPA"], rows["KEDA cron + HPA"]
    failures = []
    if p["minutes_foretold"] != 0:
        failures.append("%d minute(s) short where the timetable foretold the load" %
                        p["minutes_foretold"])
    for name, peer in (("HPA", h), ("KEDA cron + HPA", k)):
        ok = p["shortfall_pct"] < peer["shortfall_pct"] or (
            peer["shortfall_pct"] == 0 and p["shortfall_pct"] == 0)
        if not ok:
            failures.append("shortfall %.4f%% is not below %s's %.4f%%" %
                            (p["shortfall_pct"], name, peer["shortfall_pct"]))
    if p["cost"] > 1.2:
        failures.append("cost %.3f x the oracle's is above 1.2" % p["cost"])
    # The CSV is the backtest contract: a header and one row per step and target.
    with open(out_csv) as f:
        header = f.readline().strip()
    if header != "timestamp,target,replicas":
        failures.append("CSV header is %r" % header)
    for f in failures:
        print("FAIL: " + f)
    if not failures:
        print("PASS: no foretold minute short; shortfall %.4f%% (HPA %.4f%%, KEDA cron + HPA "
              "%.4f%%); cost %.3f x oracle" % (p["shortfall_pct"], h["shortfall_pct"],
                                               k["shortfall_pct"], p["cost"]))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
