#!/usr/bin/env python3
"""Times prebell's iCalendar import against python3-recurring-ical-events, same run, same file.

Runs calendar_bench (Google Benchmark: Parse, Expand, Parse+Expand over the
academic year) and then python (icalendar.Calendar.from_ical +
recurring_ical_events.of(...).between(...), cancelled instances dropped) on
the same .ics, each in its own process so that each one's peak RSS is its
own, checks that both found the same number of occurrences, and prints a
Markdown table for docs/performance/calendar.md.

Usage: compare_with_python.py --bench build/.../calendar_bench [--ics FILE] [--python-runs 1]
"""
import argparse
import json
import os
import subprocess
import sys

PY_PEER = r"""
import datetime as dt, json, resource, sys, time
import icalendar, recurring_ical_events
t0 = time.process_time()
with open(sys.argv[1], "rb") as f:
    cal = icalendar.Calendar.from_ical(f.read())
t1 = time.process_time()
events = recurring_ical_events.of(cal).between(dt.datetime(2026, 8, 1), dt.datetime(2027, 8, 1))
n = sum(1 for e in events if str(e.get("STATUS", "")).upper() != "CANCELLED")
t2 = time.process_time()
print(json.dumps({"parse_s": t1 - t0, "expand_s": t2 - t1, "occurrences": n}))
"""


def run_measured(cmd):
    """Runs cmd from a fresh parent; returns (stdout, peak RSS of cmd in MiB)."""
    probe = ("import json,resource,subprocess,sys;"
             "p=subprocess.run(sys.argv[1:],capture_output=True,text=True);"
             "sys.stderr.write(p.stderr);"
             "print(json.dumps({'rc':p.returncode,'out':p.stdout,"
             "'rss':resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))")
    proc = subprocess.run([sys.executable, "-c", probe] + cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"probe failed:\n{proc.stderr}")
    result = json.loads(proc.stdout)
    if result["rc"] != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    return result["out"], result["rss"] / 1024.0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bench", required=True, help="path to calendar_bench")
    p.add_argument("--ics", help="calendar (default: the one calendar_bench was built with)")
    p.add_argument("--python", default="/usr/bin/python3", help="interpreter with the peer")
    p.add_argument("--python-runs", type=int, default=1)
    a = p.parse_args()

    bench = [a.bench, "--benchmark_format=json", "--benchmark_min_time=1"]
    if a.ics:
        bench.append(a.ics)
    out, _ = run_measured(bench)
    results = {b["name"]: b for b in json.loads(out)["benchmarks"]}
    ics = a.ics or os.path.join(os.path.dirname(os.path.abspath(a.bench)), "university-2026.ics")
    # Peak RSS of one parse + expand of the year (one benchmark iteration).
    _, cpp_rss = run_measured([a.bench, "--benchmark_filter=BM_ParseAndExpandYear$",
                               "--benchmark_min_time=0"] + ([a.ics] if a.ics else []))

    py_runs = []
    for _ in range(a.python_runs):
        py_out, rss = run_measured([a.python, "-c", PY_PEER, ics])
        py_runs.append(dict(json.loads(py_out), rss=rss))
    py = min(py_runs, key=lambda r: r["parse_s"] + r["expand_s"])
    py_rss = max(r["rss"] for r in py_runs)

    def ms(name):
        return results[name]["cpu_time"]  # benchmarks report in ms (Unit(kMillisecond))

    cpp_parse, cpp_expand, cpp_total = ms("BM_Parse"), ms("BM_ExpandYear"), ms("BM_ParseAndExpandYear")
    n_cpp = int(results["BM_ExpandYear"]["occurrences"])
    py_total = (py["parse_s"] + py["expand_s"]) * 1000
    size_mb = os.path.getsize(ics) / 1e6
    print(f"calendar: {ics} ({size_mb:.1f} MB)")
    print(f"occurrences: prebell {n_cpp}, python {py['occurrences']}"
          + ("" if n_cpp == py["occurrences"] else "   <-- DIFFERENT"))
    print()
    print("| step | prebell (CPU) | python3-recurring-ical-events (CPU) | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| parse | {cpp_parse:.0f} ms | {py['parse_s'] * 1000:.0f} ms | "
          f"{py['parse_s'] * 1000 / cpp_parse:.0f}x |")
    print(f"| expand one academic year | {cpp_expand:.0f} ms | {py['expand_s'] * 1000:.0f} ms | "
          f"{py['expand_s'] * 1000 / cpp_expand:.0f}x |")
    print(f"| parse + expand | {cpp_total:.0f} ms | {py_total:.0f} ms | {py_total / cpp_total:.0f}x |")
    print(f"| peak RSS (whole process) | {cpp_rss:.0f} MiB | {py_rss:.0f} MiB | |")
    print()
    print(f"one week (BM_ExpandWeek): {ms('BM_ExpandWeek'):.1f} ms, "
          f"{int(results['BM_ExpandWeek']['occurrences'])} occurrences")
    return 0 if n_cpp == py["occurrences"] else 1


if __name__ == "__main__":
    sys.exit(main())
