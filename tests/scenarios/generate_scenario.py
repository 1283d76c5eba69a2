#!/usr/bin/env python3
"""Generate a backtest scenario in the shared/scenarios format.

A scenario directory holds timetable.yaml (a Timetable manifest), policy.yaml
(a ScalingPolicy), metrics.csv (`timestamp,connections` every 15 s, history and
evaluation window) and scenario.json (the window to score and the loads no
timetable foretold), like shared/scenarios/london-sample.

The traces come from a ground-truth model that is deliberately NOT the
planner's: per-course show-up rates and devices per student drawn at random,
attendance that drifts over the term (attrition, a course that stops coming,
one that grows), per-occurrence noise, skewed arrivals (a long early tail and
a rush in the last minutes) whose timing varies by scenario and by kind,
stragglers after the end, a baseline by local time of day with a weekday and
a weekend shape, scrape gaps and NaN readings, plus the unforetold loads
(a session drawing several times its audience, an unscheduled surge).

Usage: generate_scenario.py PRESET OUTDIR [--seed N]   (presets: see PRESETS below)
       generate_scenario.py --list
Python 3 standard library only; deterministic for a preset.
"""

import datetime as dt
import json
import math
import os
import random
import sys
from zoneinfo import ZoneInfo

DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
STEP = 15


class Session:
    def __init__(self, name, kind, course, start_local, minutes, byday, until_local,
                 attendance):
        self.name = name
        self.kind = kind
        self.course = course
        self.start_local = start_local  # datetime (naive local) of the first occurrence
        self.minutes = minutes
        self.byday = byday  # list of weekday indexes, or None for a one-off
        self.until_local = until_local
        self.attendance = attendance


def fmt_duration(minutes):
    if minutes % 60 == 0:
        return "%dh" % (minutes // 60)
    if minutes > 60:
        return "%dh%dm" % (minutes // 60, minutes % 60)
    return "%dm" % minutes


def occurrences(sessions, zone, exclusions):
    """(session, start_utc_seconds, end_utc_seconds) for every occurrence."""
    out = []
    for s in sessions:
        starts = []
        if s.byday is None:
            starts.append(s.start_local)
        else:
            day = s.start_local
            while day <= s.until_local:
                if day.weekday() in s.byday:
                    starts.append(day)
                day += dt.timedelta(days=1)
        for local in starts:
            if any(a <= local.date() <= b for a, b in exclusions):
                continue
            start = int(local.replace(tzinfo=zone).timestamp())
            out.append((s, start, start + s.minutes * 60))
    out.sort(key=lambda o: o[1])
    return out


def baseline(zone, t, shape):
    local = dt.datetime.fromtimestamp(t, zone)
    h = local.hour + local.minute / 60 + local.second / 3600
    weekend = local.weekday() >= 5
    p = shape["weekend"] if weekend else shape["weekday"]
    v = p["night"]
    for center, width, height in p["bumps"]:
        v += height * math.exp(-((h - center) / width) ** 2)
    return v


def arrival_cdf(tau, center, spread, early_tail):
    """Share arrived `tau` seconds after the start: a logistic rush around
    `center` plus a small, long early tail (people who join 10-20 min early)."""
    rush = 1 / (1 + math.exp(-(tau - center) / (0.55 * spread)))
    tail = min(1.0, max(0.0, (tau + 1200) / (1200 + center))) if tau > -1200 else 0.0
    return (1 - early_tail) * rush + early_tail * tail


def departure_cdf(tau, center, spread):
    return 1 / (1 + math.exp(-(tau - center) / (0.55 * spread)))


def render_timetable(name, zone_name, sessions, exclusions, labels):
    lines = [
        "apiVersion: prebell.io/v1alpha1",
        "kind: Timetable",
        "metadata:",
        "  name: %s" % name,
        "  namespace: campus",
        "  labels:",
    ]
    for k, v in labels.items():
        lines.append("    %s: %s" % (k, v))
    lines += ["spec:", "  timeZone: %s" % zone_name, "  sessions:"]
    for s in sessions:
        lines += [
            "  - name: %s" % s.name,
            "    kind: %s" % s.kind,
            "    course: %s" % s.course,
            "    start: '%s'" % s.start_local.strftime("%Y-%m-%dT%H:%M:%S"),
            "    duration: %s" % fmt_duration(s.minutes),
        ]
        if s.byday is not None:
            until = s.until_local.replace(tzinfo=ZoneInfo(zone_name)).astimezone(
                dt.timezone.utc)
            lines.append("    recurrence: FREQ=WEEKLY;BYDAY=%s;UNTIL=%s" % (
                ",".join(DAYS[d] for d in s.byday), until.strftime("%Y%m%dT%H%M%SZ")))
        lines.append("    expectedAttendance: %d" % s.attendance)
    if exclusions:
        lines.append("  exclusions:")
        for a, b, why in exclusions:
            lines += ["  - from: '%s'" % a.isoformat(), "    until: '%s'" % b.isoformat(),
                      "    reason: %s" % why]
    return "\n".join(lines) + "\n"


def render_policy(p):
    return """apiVersion: prebell.io/v1alpha1
kind: ScalingPolicy
metadata:
  name: live-stack
  namespace: campus
spec:
  timetableSelector:
    matchLabels:
      prebell.io/stack: live
  demand:
    connectionsQuery: sum(centrifugo_node_num_clients)
  targets:
  - name: gateway
    scaleTargetRef:
      apiVersion: apps/v1
      kind: Deployment
      name: centrifugo
    connectionsPerReplica: %d
    warmup: %ds
    minReplicas: %d
    maxReplicas: %d
""" % (p["cpr"], p["warmup"], p["min"], p["max"])


def generate(preset, outdir, seed=None):
    cfg = dict(PRESETS[preset])
    if seed is not None:
        cfg["seed"] = seed
    rng = random.Random(cfg["seed"])
    zone = ZoneInfo(cfg["zone"])
    monday = cfg["monday"]  # date of the first Monday of the recording
    weeks = cfg.get("weeks", 5)
    eval_weeks = cfg.get("eval_weeks", 2)
    until_local = dt.datetime.combine(monday + dt.timedelta(days=7 * weeks - 1),
                                      dt.time(23, 59))
    # --- timetable ---------------------------------------------------------
    sessions = []
    truth = {}  # course -> dict(ratio, drift per week, stop_week)
    slots = cfg["slots"]  # local start hours
    lengths = [50, 75, 90]
    sizes = cfg.get("sizes", [160, 240, 360, 600, 1000, 1600, 2800])
    for i in range(cfg["courses"]):
        course = "%s%03d" % (cfg["prefix"], 100 + i)
        ndays = rng.choice([1, 2, 2, 3])
        days = sorted(rng.sample(range(5), ndays))
        hour = rng.choice(slots)
        minutes = rng.choice(lengths)
        first = monday + dt.timedelta(days=days[0])
        start_local = dt.datetime.combine(first, dt.time(hour, 0))
        att = rng.choice(sizes)
        sessions.append(Session("%s-lecture" % course.lower(), "Class", course, start_local,
                                minutes, days, until_local, att))
        show = rng.uniform(*cfg.get("show_up", (0.15, 0.95)))
        devices = rng.uniform(1.0, 1.6)
        truth[course] = {"ratio": show * devices, "drift": rng.uniform(-0.06, 0.0),
                         "stop_week": None, "factor": {}}
    # Scenario features.
    courses = sorted(truth)
    if cfg.get("stops_showing_up"):
        c = courses[3]
        truth[c]["stop_week"] = cfg["stops_showing_up"]
    if cfg.get("grows"):
        c = courses[5]
        truth[c]["drift"] = cfg["grows"]
    exclusions = []
    for a, b, why in cfg.get("exclusions", []):
        exclusions.append((monday + dt.timedelta(days=a), monday + dt.timedelta(days=b), why))
    for j, (day, hour, minutes, att) in enumerate(cfg.get("exams", [])):
        course = "%s-FINAL-%d" % (cfg["prefix"], j + 1)
        when = dt.datetime.combine(monday + dt.timedelta(days=day), dt.time(hour, 0))
        sessions.append(Session("final-%d" % (j + 1), "Exam", course, when, minutes, None, None,
                                att))
        truth[course] = {"ratio": rng.uniform(0.9, 1.0) * rng.uniform(1.05, 1.35), "drift": 0,
                         "stop_week": None, "factor": {}}
    if cfg.get("classes_end_week"):
        # Teaching ends before the exam week.
        end = dt.datetime.combine(monday + dt.timedelta(days=7 * cfg["classes_end_week"] - 1),
                                  dt.time(23, 59))
        for s in sessions:
            if s.kind == "Class":
                s.until_local = end
    occs = occurrences(sessions, zone, [(a, b) for a, b, _ in exclusions])

    t0 = int(dt.datetime.combine(monday, dt.time(0, 0)).replace(tzinfo=zone).timestamp())
    t_end = int(dt.datetime.combine(monday + dt.timedelta(days=7 * weeks), dt.time(0, 0))
                .replace(tzinfo=zone).timestamp())
    eval_from = int(dt.datetime.combine(monday + dt.timedelta(days=7 * (weeks - eval_weeks)),
                                        dt.time(0, 0)).replace(tzinfo=zone).timestamp())

    # Cancelled classes: on the timetable, nobody came.
    cancelled = set()
    eval_occs = [o for o in occs if o[1] >= eval_from and o[0].kind == "Class"]
    for _ in range(cfg.get("cancelled", 0)):
        o = eval_occs[rng.randrange(len(eval_occs))]
        cancelled.add((o[0].name, o[1]))
    # Unforetold loads.
    unforetold = []
    for k in range(cfg.get("viral", 0)):
        o = eval_occs[rng.randrange(len(eval_occs))]
        mult = rng.uniform(3.0, 4.5)
        truth[o[0].course]["factor"][o[1]] = mult
        unforetold.append({"start": dt.datetime.fromtimestamp(o[1], dt.timezone.utc).isoformat(),
                           "what": "%s drew about %.0f times its usual audience" % (o[0].name,
                                                                                   mult)})
    surges = []
    for k in range(cfg.get("surges", 0)):
        day = rng.randrange(weeks - eval_weeks, weeks) * 7 + rng.randrange(7)
        hour = rng.choice([1, 2, 3, 22, 23, 7])
        start_local = dt.datetime.combine(monday + dt.timedelta(days=day),
                                          dt.time(hour, rng.randrange(60)))
        s = int(start_local.replace(tzinfo=zone).timestamp())
        size = rng.uniform(2.0, 4.0) * cfg["cpr"]
        surges.append((s, rng.randint(120, 300), rng.randint(1200, 3600), size))
        unforetold.append({"start": dt.datetime.fromtimestamp(s, dt.timezone.utc).isoformat(),
                           "what": "an unscheduled surge"})

    # --- trace -------------------------------------------------------------
    n = (t_end - t0) // STEP
    values = [0.0] * n
    shape = cfg["baseline"]
    for i in range(n):
        values[i] = baseline(zone, t0 + i * STEP, shape)
    a_center, a_spread, tail = cfg["arrival"]
    e_center, e_spread, e_tail = cfg["exam_arrival"]
    d_center, d_spread = cfg["departure"]
    for s, start, end in occs:
        if (s.name, start) in cancelled:
            continue
        tr = truth[s.course]
        week = (start - t0) // (7 * 86400)
        ratio = tr["ratio"] * (1 + tr["drift"]) ** week
        if tr["stop_week"] is not None and week >= tr["stop_week"]:
            ratio *= 0.08
        ratio *= tr["factor"].get(start, 1.0)
        peak = s.attendance * ratio * rng.gauss(1.0, 0.05)
        if s.kind == "Exam":
            ac, asp, at = e_center, e_spread, e_tail
        else:
            ac, asp, at = a_center, a_spread, tail
        lo = (start - 1500 - t0) // STEP
        hi = (end + 900 - t0) // STEP
        for i in range(max(0, lo), min(n, hi)):
            t = t0 + i * STEP
            present = arrival_cdf(t - start, ac, asp, at) - departure_cdf(t - end, d_center,
                                                                          d_spread)
            if present > 0:
                values[i] += peak * present
    for s, ramp, length, size in surges:
        for i in range((s - t0) // STEP, min(n, (s + length - t0) // STEP)):
            x = (t0 + i * STEP - s)
            values[i] += size * min(1.0, x / ramp)
    rows = []
    gap_start = t0 + rng.randrange(3 * 86400, (weeks - eval_weeks) * 7 * 86400)
    for i in range(n):
        t = t0 + i * STEP
        v = values[i] + rng.gauss(0, 0.35 * math.sqrt(values[i]) + 8)
        if gap_start <= t < gap_start + cfg.get("gap_minutes", 20) * 60:
            continue  # a scrape gap
        if rng.random() < cfg.get("nan_rate", 0.0005):
            rows.append("%d,NaN" % t)
            continue
        rows.append("%d,%d" % (t, max(0, round(v))))

    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "timetable.yaml"), "w") as f:
        f.write(render_timetable("%s-term" % preset, cfg["zone"], sessions, exclusions,
                                 {"prebell.io/stack": "live"}))
    with open(os.path.join(outdir, "policy.yaml"), "w") as f:
        f.write(render_policy(cfg))
    with open(os.path.join(outdir, "metrics.csv"), "w") as f:
        f.write("timestamp,connections\n" + "\n".join(rows) + "\n")
    with open(os.path.join(outdir, "scenario.json"), "w") as f:
        json.dump({
            "scenario": preset,
            "history_from": t0,
            "eval_from": eval_from,
            "eval_to": t_end,
            "step": STEP,
            "target": "gateway",
            "connections_per_replica": cfg["cpr"],
            "warmup_s": cfg["warmup"],
            "min_replicas": cfg["min"],
            "max_replicas": cfg["max"],
            "unforetold": unforetold,
            "note": cfg["note"],
        }, f, indent=1)


WEEKDAY = {"night": 280, "bumps": [(13.5, 3.5, 2100), (20.0, 1.6, 700)]}
WEEKEND = {"night": 280, "bumps": [(14.0, 4.0, 1000), (20.5, 1.5, 300)]}

PRESETS = {
    # US Central, the autumn DST change (1 Nov 2026) inside the scored window,
    # a holiday, a course that stops showing up, a viral class, a night surge.
    "chicago-dst": {
        "seed": 11, "zone": "America/Chicago", "monday": dt.date(2026, 10, 5), "prefix": "CS",
        "courses": 140, "slots": [8, 9, 10, 11, 13, 14, 15, 16],
        "arrival": (-120, 150, 0.06), "exam_arrival": (-300, 240, 0.1), "departure": (40, 90),
        "baseline": {"weekday": WEEKDAY, "weekend": WEEKEND},
        "stops_showing_up": 3, "grows": 0.04, "viral": 1, "surges": 1,
        "exclusions": [(29, 29, "Fall break")],
        "cpr": 2000, "warmup": 120, "min": 2, "max": 150,
        "note": "Chicago, DST ends 2026-11-01 inside the scored window; one course stops coming "
                "in week 4; a holiday on 2026-11-03.",
    },
    # Sydney, spring DST change (4 Oct 2026) in the history, then an exam week
    # with no exam ever seen before; classes end after week 4.
    "sydney-exams": {
        "seed": 23, "zone": "Australia/Sydney", "monday": dt.date(2026, 9, 14), "prefix": "MATH",
        "courses": 90, "slots": [9, 10, 11, 12, 14, 15, 16, 17],
        "arrival": (-200, 200, 0.08), "exam_arrival": (-540, 300, 0.15),
        "departure": (20, 120), "baseline": {"weekday": WEEKDAY, "weekend": WEEKEND},
        "classes_end_week": 4,
        "exams": [(28, 9, 120, 2400), (29, 9, 180, 6000), (29, 14, 120, 1500),
                  (30, 10, 120, 9000), (31, 13, 90, 800), (32, 9, 180, 4000)],
        "viral": 0, "surges": 1,
        "cpr": 3000, "warmup": 60, "min": 2, "max": 100,
        "note": "Sydney, exam week after four weeks of classes; no exam in the history.",
    },
    # Berlin, a dense timetable sized small per replica (the cost ratio is
    # hardest when day-time dominates), cancelled classes, reading days.
    "berlin-cancelled": {
        "seed": 37, "zone": "Europe/Berlin", "monday": dt.date(2026, 11, 2), "prefix": "PHY",
        "courses": 220, "slots": [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18],
        "arrival": (-90, 120, 0.05), "exam_arrival": (-420, 240, 0.1), "departure": (60, 150),
        "baseline": {"weekday": {"night": 200, "bumps": [(12.5, 3.0, 2600), (19.5, 2.0, 900)]},
                     "weekend": WEEKEND},
        "stops_showing_up": 2, "cancelled": 4, "viral": 1, "surges": 1,
        "exclusions": [(30, 30, "Reading day")],
        "exams": [(32, 10, 120, 3000)],
        "cpr": 1000, "warmup": 90, "min": 3, "max": 300,
        "note": "Berlin, a dense timetable at 1,000 connections per replica, four cancelled "
                "classes, a reading day, one course gone from week 3.",
    },
    # Tokyo, no DST, evening classes, a big replica size (mostly at the floor).
    "tokyo-evening": {
        "seed": 53, "zone": "Asia/Tokyo", "monday": dt.date(2027, 1, 11), "prefix": "ENG",
        "courses": 60, "slots": [17, 18, 19, 20],
        "sizes": [600, 1000, 1600, 2800, 4800],
        "arrival": (-240, 180, 0.1), "exam_arrival": (-600, 300, 0.1), "departure": (30, 100),
        "baseline": {"weekday": {"night": 400, "bumps": [(21.0, 2.0, 3000)]},
                     "weekend": {"night": 400, "bumps": [(15.0, 4.0, 1500)]}},
        "viral": 1, "surges": 2, "grows": 0.05,
        "cpr": 5000, "warmup": 180, "min": 1, "max": 40,
        "note": "Tokyo, evening classes, 5,000 connections per replica, 3 minutes warm-up.",
    },
}


def main(argv):
    if len(argv) == 2 and argv[1] == "--list":
        print("\n".join(sorted(PRESETS)))
        return 0
    seed = None
    if len(argv) == 5 and argv[3] == "--seed":
        seed = int(argv[4])
        argv = argv[:3]
    if len(argv) != 3 or argv[1] not in PRESETS:
        print(__doc__, file=sys.stderr)
        return 2
    generate(argv[1], argv[2], seed)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
