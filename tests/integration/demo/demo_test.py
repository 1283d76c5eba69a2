#!/usr/bin/env python3
"""The local cluster demo, short mode: tools/demo/cluster_demo.py --short.

Runs the demo as scripts/cluster-demo.sh does (without its build steps) and
checks that what it printed and wrote to summary.json is meaningful, from
the raw observations rather than the demo's own verdict:
  - the output says that time is compressed, and how;
  - prebell raised the gateway above the chart's floor ahead of the class,
    and every target had the replicas planned for each session's start ready
    before that start, with the gateway's ready capacity above the peak of
    connections;
  - the criticality level went 0 -> 1 one lead time before the class and
    -> 2 one lead time before the exam, and the standing RedisMemoryHigh
    reached chat, then the pager, then the exam room, in that order;
  - the demo exited 0 and left no process running that it started.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tests" / "integration" / "controller"))
from e2e import Checks  # noqa: E402

DEMO = REPO / "tools" / "demo" / "cluster_demo.py"
LEAD_S = 60  # tools/demo/cluster_demo.py LEAD_S
TOLERANCE_S = 10  # rule evaluation and scrape every 2 s, sampling every 2 s


def processes_mentioning(text: str) -> list[str]:
    out = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmd:
            out.append(f"{proc.name}: {cmd[:200]}")
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--prebell", required=True)
    p.add_argument("--workdir", required=True)
    args = p.parse_args()
    work = Path(args.workdir).resolve()
    checks = Checks()
    summary_file = work / "summary.json"
    summary_file.unlink(missing_ok=True)

    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, str(DEMO), "--prebell", args.prebell, "--workdir", str(work), "--short"],
                          capture_output=True, text=True, timeout=540)
    took = time.monotonic() - t0
    print(proc.stdout)
    if proc.stderr:
        print(f"--- stderr\n{proc.stderr[-4000:]}")
    checks.equal(f"the demo exits 0 (took {took:.0f} s)", proc.returncode, 0)
    out = proc.stdout
    checks.check("the output says time is compressed, with the lead time used",
                 "TIME IS COMPRESSED" in out and f"lead time {LEAD_S} s" in out and "--lead-time=60s" in out)
    status_lines = [line for line in out.splitlines() if " gateway " in line and " level " in line]
    checks.check(f"the output has a status line every 15 s ({len(status_lines)}) and a summary",
                 len(status_lines) >= 12 and "Summary." in out and "checks passed" in out)
    left = processes_mentioning(str(work))
    checks.check("no process the demo started is still running", not left, "\n".join(left))
    if not summary_file.exists():
        checks.fail("summary.json written", str(summary_file))
        return checks.finish()
    summary = json.loads(summary_file.read_text())

    floors = {name: spec.get("minReplicas", 1) for name, spec in
              yaml.safe_load((REPO / "charts" / "prebell" / "values.yaml").read_text())["stack"]["scalingPolicy"]
              .items() if isinstance(spec, dict) and "maxReplicas" in spec}
    sessions = {s["name"]: s for s in summary["sessions"]}
    checks.equal("two sessions: a class and an exam", sorted((s["kind"], s["name"]) for s in summary["sessions"]),
                 [("Class", "cs101-lecture"), ("Exam", "ma201-midterm")])
    klass, exam = sessions.get("cs101-lecture"), sessions.get("ma201-midterm")
    if klass:
        gw = klass["targets"]["gateway"]
        checks.check(f"the gateway was raised above its floor ({floors['gateway']}) for the class",
                     gw["planned"] > floors["gateway"] and gw["asked_s"] is not None and gw["asked_s"] > 0, str(gw))
    for s in summary["sessions"]:
        for name, t in s["targets"].items():
            checks.check(f"{s['name']}: {name}: the {t['planned']} replicas planned for the start were ready before it",
                         t["ready_s"] is not None and t["ready_s"] > 0 and t["ready_at_start"] >= t["planned"], str(t))
    for s, want in ((klass, 1), (exam, 2)):
        if not s:
            continue
        checks.equal(f"{s['name']}: level at the start", s["level_at_start"], want)
        rose = s["level_rose_s_before"]
        checks.check(f"{s['name']}: the level rose to {want} one lead time ({LEAD_S} s) before the start",
                     rose is not None and abs(rose - LEAD_S) <= TOLERANCE_S, f"rose {rose} s before")
    levels = [x["level"] for x in summary["severity"]]
    checks.equal("the level went 0, 1, 2", [lv for i, lv in enumerate(levels) if i == 0 or levels[i - 1] != lv],
                 [0, 1, 2])

    def first(receiver: str, severity: str, audience: str | None):
        for n in summary["notifications"]:
            for a in n["alerts"]:
                if (n["receiver"] == receiver and a.get("alertname") == "RedisMemoryHigh"
                        and a.get("severity") == severity and a.get("audience") == audience):
                    return n["at"]
        return None

    chat, pager, room = first("chat", "warning", None), first("pager", "critical", None), \
        first("exam-room", "critical", "exam-room")
    checks.check("RedisMemoryHigh reached chat, then the pager, then the exam room",
                 None not in (chat, pager, room) and chat < pager < room, f"chat {chat}, pager {pager}, exam-room {room}")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
