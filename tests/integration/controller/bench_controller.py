#!/usr/bin/env python3
"""Benchmark (not a test): `prebell run` with 1,000 Timetables (100,000
sessions) and 200 ScalingPolicies in a real kube-apiserver.

Starts a control plane of its own (tools/k8s/controlplane.py), creates
NAMESPACES namespaces, each with its share of Timetables (100 weekly recurring
sessions each, spread over five days from the day after tomorrow, 08:00-18:00
local, in five time zones, so nothing is in progress while it measures), of
Deployments and HPAs, and of ScalingPolicies (each selecting 5 Timetables by
label and targeting one HPA or one Deployment). Then starts the controller
(cluster-wide, leader election on) and measures:

  ready        seconds from exec to /readyz 200 (caches synced)
  first plan   seconds from exec until every ScalingPolicy has
               status.lastPlanTime and every Timetable a Ready condition
  RSS          resident memory (VmRSS) sampled every 5 s over the rest window
  requests     prebell_kubernetes_requests_total over the rest window, per
               minute, by verb and resource; CPU seconds per minute

  tests/integration/controller/bench_controller.py --prebell build/<yours>/controller/main/prebell \\
      [--timetables 1000 --sessions 100 --policies 200 --rest 180] [--workdir DIR]

Results go to stdout as a Markdown table (docs/performance/controller.md).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import e2e
from e2e import Failure, log, path

ZONES = ["Europe/London", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]


def proc_stat(pid: int) -> tuple[float, float]:
    """(RSS MiB, CPU seconds) of a process."""
    rss = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    return rss, ticks / os.sysconf("SC_CLK_TCK")


def sessions_for(i: int, n: int, zone: str, week_start: dt.datetime) -> list[dict]:
    out = []
    for j in range(n):
        day = (i + j) % 5  # five consecutive days
        hour = 8 + (i * 7 + j * 3) % 10
        minute = (j * 15) % 60
        start = week_start + dt.timedelta(days=day, hours=hour, minutes=minute)
        out.append({"name": f"s{j:03d}", "kind": "Exam" if j % 25 == 0 else "Class", "course": f"c{i % 400:03d}-{j % 7}",
                    "start": start.strftime("%Y-%m-%dT%H:%M:%S"), "duration": "50m" if j % 3 else "1h30m",
                    "recurrence": f"FREQ=WEEKLY;COUNT={12 + j % 4}", "expectedAttendance": 40 + (i * 13 + j * 29) % 400})
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--prebell", required=True)
    p.add_argument("--timetables", type=int, default=1000)
    p.add_argument("--sessions", type=int, default=100, help="sessions per Timetable")
    p.add_argument("--policies", type=int, default=200)
    p.add_argument("--namespaces", type=int, default=20)
    p.add_argument("--rest", type=float, default=180, help="seconds of the rest window")
    p.add_argument("--workdir")
    args = p.parse_args()
    if args.timetables % args.policies or args.timetables % args.namespaces or args.policies % args.namespaces:
        raise SystemExit("--timetables must be a multiple of --policies and --namespaces, --policies of --namespaces")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="prebell-bench-")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    cp = e2e.ControlPlane.start(work / "controlplane")
    controller = None
    try:
        api = cp.api
        cp.apply_crds()
        per_policy = args.timetables // args.policies
        # First occurrences from the day after tomorrow on (local dates): during
        # the measurement no session is in progress or near in any zone, so
        # "at rest" means the same whenever the benchmark runs.
        week_start = (e2e.utcnow() + dt.timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0,
                                                                     tzinfo=None)
        objects = []
        for k in range(args.namespaces):
            ns = f"campus-{k:02d}"
            api.ensure_namespace(ns)
        for i in range(args.timetables):
            ns = f"campus-{i % args.namespaces:02d}"
            group = (i // args.namespaces) // per_policy
            zone = ZONES[i % len(ZONES)]
            objects.append(e2e.timetable(ns, f"tt-{i:04d}", zone, sessions_for(i, args.sessions, zone, week_start),
                                         labels={"group": f"g{group:03d}"}))
        for q in range(args.policies):
            ns = f"campus-{q % args.namespaces:02d}"
            group = q // args.namespaces
            name = f"gw-{q:03d}"
            objects.append(e2e.deployment(ns, name, 2))
            if q % 2 == 0:
                objects.append(e2e.hpa(ns, name, name, 2, 200))
                ref = e2e.target("gateway", "HorizontalPodAutoscaler", name, cpr=500, warmup="90s", max_replicas=200)
            else:
                ref = e2e.target("gateway", "Deployment", name, cpr=500, warmup="90s", max_replicas=200)
            objects.append(e2e.scaling_policy(ns, f"sp-{q:03d}", [ref], selector={"matchLabels": {"group": f"g{group:03d}"}}))
        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(api.create, objects))
        log(f"created {len(objects)} objects ({args.timetables} Timetables x {args.sessions} sessions, "
            f"{args.policies} policies) in {time.monotonic() - t0:.0f} s")

        controller = e2e.Controller(args.prebell, work, "controller", cp.kubeconfig, lease_name="prebell-bench",
                                    lease_namespace="default", identity="bench")
        load0 = os.getloadavg()[0]
        controller.start()
        t_exec = controller.started_at
        ready = controller.wait_ready(600)

        progress = []  # (s since exec, policies planned, timetables Ready)

        def all_planned():
            sps = api.get(path("ScalingPolicy"))["items"]
            tts = api.get(path("Timetable"))["items"]
            planned = sum(1 for s in sps if (s.get("status") or {}).get("lastPlanTime"))
            valid = sum(1 for t in tts if e2e.condition(t, "Ready"))
            progress.append((time.monotonic() - t_exec, planned, valid))
            return (planned, valid) if planned == len(sps) and valid == len(tts) else None

        e2e.wait_for("every policy planned and every timetable's status written", all_planned, 1800, interval=2)
        first_plan = time.monotonic() - t_exec
        _, cpu_startup = proc_stat(controller.proc.pid)
        log(f"first plan of everything {first_plan:.1f} s after exec (ready after {ready:.1f} s)")

        def when(index, total, fraction):
            return next((t for t, *c in progress if c[index] >= fraction * total), float("nan"))

        time.sleep(20)  # let the start-up writes settle
        versions = lambda kind: {o["metadata"]["uid"]: o for o in api.get(path(kind))["items"]}  # noqa: E731
        tt0, sp0 = versions("Timetable"), versions("ScalingPolicy")

        def totals():
            by = {}
            for labels, v in controller.series("prebell_kubernetes_requests_total"):
                key = (labels.get("verb"), labels.get("resource"), labels.get("result"))
                by[key] = by.get(key, 0) + v
            return by

        before, t_rest = totals(), time.monotonic()
        _, cpu0 = proc_stat(controller.proc.pid)
        rss = []
        while time.monotonic() - t_rest < args.rest:
            rss.append(proc_stat(controller.proc.pid)[0])
            time.sleep(5)
        after, minutes = totals(), (time.monotonic() - t_rest) / 60
        _, cpu1 = proc_stat(controller.proc.pid)
        tt1, sp1 = versions("Timetable"), versions("ScalingPolicy")

        def churn(a, b):
            changed = [u for u in a if u in b and a[u]["metadata"]["resourceVersion"] != b[u]["metadata"]["resourceVersion"]]
            fields = {}
            for u in changed:
                sa, sb = a[u].get("status") or {}, b[u].get("status") or {}
                for k in set(sa) | set(sb):
                    if sa.get(k) != sb.get(k):
                        fields[k] = fields.get(k, 0) + 1
            return len(changed), fields

        tt_churn, sp_churn = churn(tt0, tt1), churn(sp0, sp1)
        delta = {k: (after.get(k, 0) - before.get(k, 0)) / minutes for k in after}
        total = sum(delta.values())
        errors = controller.value("prebell_reconcile_total", result="error") or 0

        print("\n| measure | value |\n| --- | --- |")
        print(f"| objects | {args.timetables} Timetables x {args.sessions} weekly sessions "
              f"({args.timetables * args.sessions:,} sessions), {args.policies} ScalingPolicies, "
              f"{args.policies} Deployments, {args.policies // 2} HPAs, {args.namespaces} namespaces |")
        print(f"| exec -> /readyz (caches synced) | {ready:.1f} s |")
        print(f"| exec -> every policy planned, every timetable Ready | {first_plan:.1f} s "
              f"(CPU {cpu_startup:.0f} s; first policy planned {when(0, args.policies, 1e-9):.0f} s, half "
              f"{when(0, args.policies, 0.5):.0f} s; half the timetables Ready {when(1, args.timetables, 0.5):.0f} s) |")
        print(f"| RSS at rest (median / max over {args.rest:.0f} s) | {statistics.median(rss):.0f} MiB / {max(rss):.0f} MiB |")
        print(f"| CPU at rest | {(cpu1 - cpu0) / minutes:.1f} s per minute |")
        print(f"| API requests at rest | {total:.1f} per minute |")
        for (verb, resource, result), v in sorted(delta.items(), key=lambda kv: -kv[1]):
            if v > 0:
                print(f"| &nbsp;&nbsp;{verb} {resource} ({result}) | {v:.1f} per minute |")
        print(f"| objects rewritten during the rest window | {tt_churn[0]} of {len(tt1)} Timetables "
              f"(status fields changed: {tt_churn[1]}), {sp_churn[0]} of {len(sp1)} ScalingPolicies "
              f"(status fields changed: {sp_churn[1]}) |")
        print(f"| reconcile errors | {errors:.0f} |")
        print(f"| machine load (1-min load average at start / end; 2 cores) | {load0:.1f} / {os.getloadavg()[0]:.1f} |")
        return 0
    except Failure as exc:
        print(f"FAIL: {exc}")
        if controller:
            print(controller.tail(40))
        return 1
    finally:
        if controller:
            controller.stop()
        cp.stop()


if __name__ == "__main__":
    sys.exit(main())
