#!/usr/bin/env python3
"""Schedule-aware alerting end to end, with the real controller (issue 5).

`prebell run` (this build) on the shared control plane reconciles a Timetable
and a ScalingPolicy in a namespace of its own. A real Prometheus scrapes it
(job `prebell`, honor_labels) and a replaying exporter of the gateway and the
rest of the stack (centrifugo_node_num_clients, Redis, LiveKit); it evaluates
prebell's generated rules; a real Alertmanager with the routes and inhibition
of examples/alertmanager/alertmanager.yml delivers to webhooks of this test.

The exporter replays a synthetic recording of the namespace's gateway: a busy
idle level (285 connections against a planned capacity of 3 x 100) plus the
audience of each session. The recording's past (two days, with two completed
classes of the course) is backfilled into Prometheus' TSDB with promtool
before Prometheus starts, so the controller has history to learn from and a
completed session to score its forecast on; the exporter serves the rest live.

The rules are generated from dashboards/rules/source.yaml with a short lead
time (LEAD, the controller gets the same --lead-time) and every `for` cut to
10 s, so the test takes minutes; expressions, labels and escalation logic are
the generated ones.

  1. before anything is scheduled near: GatewayConnectionsNearCapacity reaches
     chat as a warning; nothing reaches the pager
  2. the Timetable gets a class starting LEAD + 60 s ahead and an exam a
     little later: when the class is within LEAD, the same alert reaches the
     pager as critical and Alertmanager inhibits the warning; later the
     exam-room copy reaches the exam room
  3. throughout, from its first appearance the warning never stops firing in
     Prometheus, the critical copy never stops once it started, and no
     `resolved` notification is sent for either
  4. once both windows are open, every query of every dashboard
     (dashboards/list_queries.py, with the dashboards' own defaults for their
     other variables) returns data as Grafana would run it: over the test's
     time range, stat panels at its end; a failure names the dashboard, the
     panel and the query
"""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "controller"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
import e2e  # noqa: E402
from e2e import Checks, Failure, log, path  # noqa: E402
import monitoring  # noqa: E402
from monitoring import Server, Webhooks  # noqa: E402

import yaml  # noqa: E402  (python3-yaml)

REPO = e2e.REPO
SOURCE = REPO / "dashboards" / "rules" / "source.yaml"
LIST_QUERIES = REPO / "dashboards" / "list_queries.py"
ALERT = "GatewayConnectionsNearCapacity"
SETTINGS = yaml.safe_load(SOURCE.read_text())["settings"]
GATEWAY = SETTINGS["gateway_target"]  # the target names the rules (and dashboards) expect
MEDIA = SETTINGS["media_target"]
LEAD = 90  # seconds: rules' lead_time and the controller's --lead-time
ZONE = "Europe/London"
IDLE = 285.0
CAPACITY = 300.0  # 3 replicas (min = max) x 100 connections per replica
SHOW_UP = 0.6


# ---------------------------------------------------------------- the recording


class Recording:
    """Gateway connections of the namespace as a function of time: the idle
    level, a little deterministic jitter, and SHOW_UP of each session's
    audience, arriving over 5 minutes before the start, leaving over 3 after."""

    def __init__(self):
        self.sessions: list[tuple[float, float, int]] = []  # (start, end, attendance), unix seconds
        self.lock = threading.Lock()

    def add(self, start: dt.datetime, minutes: float, attendance: int) -> None:
        with self.lock:
            s = start.timestamp()
            self.sessions.append((s, s + minutes * 60, attendance))

    def connections(self, t: float) -> float:
        v = IDLE + 5 * math.sin(t / 37.0) + 3 * math.sin(t / 11.0)
        with self.lock:
            sessions = list(self.sessions)
        for s, e, n in sessions:
            if s - 300 <= t < s:
                f = (t - (s - 300)) / 300
            elif s <= t < e:
                f = 1.0
            elif e <= t < e + 180:
                f = 1 - (t - e) / 180
            else:
                f = 0.0
            v += SHOW_UP * n * f
        return round(v)


def stack_series(ns: str, t: float, conns: float, started: float) -> list[monitoring.Sample]:
    """(name, type, labels, value) of everything the exporter serves at t
    (the `series` of monitoring.Exporter and backfill)."""
    up = max(0.0, t - started)
    nodes = ["centrifugo-0", "centrifugo-1", "centrifugo-2"]
    out = []
    share = [conns // 3 + (1 if i < conns % 3 else 0) for i in range(3)]
    for node, c in zip(nodes, share):
        out.append(("centrifugo_node_num_clients", "gauge", {"namespace": ns, "pod": node}, c))
        out.append(("centrifugo_transport_connect_count", "counter",
                    {"namespace": ns, "pod": node, "transport": "websocket"}, 1000 + 2.0 * up))
        out.append(("centrifugo_client_num_reply_errors", "counter",
                    {"namespace": ns, "pod": node, "method": "connect", "code": "109"}, 3 + 0.01 * up))
        out.append(("centrifugo_client_connection_limit_reached_total", "counter", {"namespace": ns, "pod": node},
                    0.005 * up))
    redis = {"namespace": ns, "instance": "10.0.3.7:9121"}
    out += [("redis_memory_used_bytes", "gauge", redis, 400e6), ("redis_memory_max_bytes", "gauge", redis, 1024e6),
            ("redis_connected_clients", "gauge", redis, 12),
            ("redis_commands_total", "counter", {**redis, "cmd": "publish"}, 5e5 + 40 * up),
            ("redis_commands_duration_seconds_total", "counter", {**redis, "cmd": "publish"}, 20 + 0.002 * up)]
    for node in ("lk-a", "lk-b"):
        lk = {"namespace": ns, "node_id": node, "node_type": "SERVER"}
        out += [("livekit_room_total", "gauge", lk, 4), ("livekit_participant_total", "gauge", lk, 60)]
    return out


# ---------------------------------------------------------------------- the test


def main() -> int:
    args = e2e.common_args(__doc__.splitlines()[0]).parse_args()
    prebell = e2e.find_prebell(args.prebell)
    work = e2e.workdir_for(args, "alerting")
    binaries = {b: shutil.which(b) for b in ("prometheus", "promtool")}
    binaries["alertmanager"] = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    missing = [b for b, p in binaries.items() if not p]
    if missing:
        print(f"FAIL: {', '.join(missing)} not installed (scripts/install-deps.sh --servers)")
        return 1
    cp = e2e.ControlPlane.shared(args.controlplane)
    api = cp.api
    checks = Checks()
    ns = f"e2e-alerts-{e2e.suffix()}"
    hooks, exporter, am, prom, controller = Webhooks(), None, None, None, None
    try:
        cp.apply_crds()
        api.ensure_namespace(ns)
        recording = Recording()
        setup = e2e.utcnow().replace(microsecond=0)
        # Two completed classes of cs101 (the latest ended 20 minutes ago).
        past = [("yesterday", setup - dt.timedelta(days=1, minutes=30), 30),
                ("earlier", setup - dt.timedelta(minutes=40), 20)]
        for _, start, minutes in past:
            recording.add(start, minutes, 400)
        exporter = monitoring.Exporter(ns, recording, stack_series)
        data = work / "prom-data"
        shutil.rmtree(data, ignore_errors=True)
        n = monitoring.backfill(binaries["promtool"], data, work, exporter,
                                (setup - dt.timedelta(days=2)).timestamp(), setup.timestamp() - 15)
        log(f"backfilled {n} samples (two days of the recording) into {data}")

        rules = monitoring.fast_rules(work, LEAD)
        am = monitoring.start_alertmanager(binaries["alertmanager"], work, hooks, log_level="info")
        ctl_port = e2e.free_port()
        prom = monitoring.start_prometheus(binaries["prometheus"], work, data, rules, am, ctl_port, "prebell-system",
                                           exporter)
        t_prom = time.time()
        hist = prom.get("/api/v1/query", query=f'count_over_time(centrifugo_node_num_clients{{namespace="{ns}"}}[1d] offset 1m)')
        checks.check("Prometheus serves the backfilled history", bool(hist["data"]["result"]), json.dumps(hist)[:300])

        api.create(e2e.deployment(ns, "centrifugo", 1))
        api.create(e2e.deployment(ns, "livekit", 1))
        policy = e2e.scaling_policy(ns, "live", [
            e2e.target(GATEWAY, "Deployment", "centrifugo", cpr=100, warmup="30s", min_replicas=3, max_replicas=3),
            e2e.target(MEDIA, "Deployment", "livekit", spr=5, warmup="60s", min_replicas=1, max_replicas=4),
        ], query=f'sum(centrifugo_node_num_clients{{namespace="{ns}"}})')
        api.create(policy)
        # The past classes are in the Timetable from the start (they are history).
        sessions = [e2e.session(name, start, ZONE, f"{minutes}m", 400, course="cs101") for name, start, minutes in past]
        api.create(e2e.timetable(ns, "term", ZONE, sessions + [
            e2e.session("next-week", setup + dt.timedelta(days=7), ZONE, "1h", 400, course="cs101")]))

        controller = e2e.Controller(prebell, work, "controller", cp.kubeconfig, namespaces=[ns], leader_elect=False,
                                    prometheus_url=prom.url, lead_time=f"{LEAD}s", replan_interval="5s",
                                    port=ctl_port).start()
        controller.wait_ready(90)

        history: list[set] = []

        def firing() -> set:
            out = set()
            for a in prom.get("/api/v1/alerts")["data"]["alerts"]:
                lab = a["labels"]
                if lab.get("alertname") == ALERT and lab.get("namespace") == ns and a["state"] == "firing":
                    out.add((lab.get("severity"), lab.get("audience")))
            history.append(out)
            return out

        W, C, X = ("warning", None), ("critical", None), ("critical", "exam-room")

        # ---- 1. warning only
        e2e.wait_for(f"{ALERT} firing as a warning in Prometheus", lambda: W in firing(), 120, interval=1)
        e2e.wait_for("the warning in chat", lambda: hooks.alerts("chat", ALERT, ns), 60, interval=1)
        checks.check("phase 1: the warning reached chat, nothing reached the pager",
                     not hooks.alerts("pager", ALERT, ns) and C not in firing(), str(hooks.alerts("pager", ALERT, ns)))

        # ---- 2. a class and an exam come near
        t1 = e2e.utcnow().replace(microsecond=0)
        class_start = t1 + dt.timedelta(seconds=LEAD + 60)
        exam_start = class_start + dt.timedelta(seconds=60)
        recording.add(class_start, 10, 400)
        recording.add(exam_start, 30, 100)
        later = [e2e.session("lecture", class_start, ZONE, "10m", 400, course="cs101"),
                 e2e.session("midterm", exam_start, ZONE, "30m", 100, kind="Exam", course="math201"),
                 e2e.session("tomorrow", t1 + dt.timedelta(hours=2), ZONE, "1h", 400, course="cs101"),
                 e2e.session("final", t1 + dt.timedelta(hours=3), ZONE, "2h", 100, kind="Exam", course="math201")]
        tt = api.get(path("Timetable", ns, "term"))
        tt["spec"]["sessions"] = sessions + later
        api.call("PUT", path("Timetable", ns, "term"), tt)
        log(f"class at +{LEAD + 60} s ({e2e.rfc3339(class_start)}), exam at +{LEAD + 120} s")

        e2e.wait_for("the critical copy firing in Prometheus", lambda: C in firing(), LEAD + 120, interval=1)
        t_crit = e2e.utcnow()
        early = (class_start - t_crit).total_seconds()
        checks.check(f"the critical copy starts when the class is within the lead time ({early:.0f} s before it)",
                     early <= LEAD + 5, f"critical {early:.0f} s before the class, lead {LEAD} s")
        pager = e2e.wait_for("the critical copy at the pager", lambda: [a for a in hooks.alerts("pager", ALERT, ns)
                                                                         if a[1] == "firing"], 60, interval=1)
        chat = hooks.alerts("chat", ALERT, ns)
        checks.check("the same alert reached chat as a warning before it reached the pager as critical",
                     bool(chat) and chat[0][0] < pager[0][0] and chat[0][2].get("severity") == "warning"
                     and pager[0][2].get("severity") == "critical", f"chat {chat[:1]}, pager {pager[:1]}")

        def warning_inhibited():
            for a in am.get("/api/v2/alerts"):
                lab = a["labels"]
                if lab.get("alertname") == ALERT and lab.get("namespace") == ns and lab.get("severity") == "warning":
                    return a["status"]["state"] == "suppressed" and bool(a["status"].get("inhibitedBy"))
            return False

        try:
            e2e.wait_for("Alertmanager to inhibit the warning", warning_inhibited, 30, interval=1)
            checks.check("Alertmanager inhibits the warning while the critical copy fires", True)
        except Failure as exc:
            checks.fail("Alertmanager inhibits the warning while the critical copy fires", str(exc))

        e2e.wait_for("the exam-room copy firing", lambda: X in firing(), 180, interval=1)
        try:
            e2e.wait_for("the exam-room copy in the exam room",
                         lambda: [a for a in hooks.alerts("exam-room", ALERT, ns) if a[1] == "firing"], 60, interval=1)
            checks.check("the exam-room copy reached the exam room", True)
        except Failure as exc:
            checks.fail("the exam-room copy reached the exam room", str(exc))

        # ---- 4. both windows open: every dashboard query has data
        def windows_open():
            r = prom.get("/api/v1/query", query=f'sum(prebell_schedule_window_active{{namespace="{ns}"}})')["data"]["result"]
            return r and float(r[0]["value"][1]) >= 2
        e2e.wait_for("the class and the exam windows to be open",
                     lambda: firing() is not None and windows_open(),  # each try also records a poll
                     (exam_start - e2e.utcnow()).total_seconds() + 60, interval=1)
        time.sleep(6)  # a few scrapes and evaluations inside the windows
        firing()
        peak = prom.get("/api/v1/query", query=f'prebell_next_peak_timestamp_seconds{{namespace="{ns}"}}')
        cap = prom.get("/api/v1/query", query=f'prebell_next_peak_planned_capacity_connections{{namespace="{ns}"}}')
        checks.check("prebell_next_peak_planned_capacity_connections is present whenever the next peak is "
                     "(docs/metrics.md; PrebellPredictedPeakAboveCapacity needs it)",
                     not peak["data"]["result"] or bool(cap["data"]["result"]),
                     f"next peak {peak['data']['result']}, planned capacity at the peak {cap['data']['result']}")
        run_dashboard_queries(checks, prom, ns, t_prom)

        # ---- 3. never lost
        first_w = next((i for i, f in enumerate(history) if W in f), None)
        first_c = next((i for i, f in enumerate(history) if C in f), None)
        lost_w = [i for i, f in enumerate(history) if first_w is not None and i >= first_w and W not in f]
        lost_c = [i for i, f in enumerate(history) if first_c is not None and i >= first_c and C not in f]
        checks.check(f"the warning fired in every one of {len(history) - (first_w or 0)} polls since it started",
                     first_w is not None and not lost_w, f"missing in polls {lost_w[:10]}")
        checks.check("the critical copy fired in every poll since it started", first_c is not None and not lost_c,
                     f"missing in polls {lost_c[:10]}")
        resolved = [(r, a) for r in ("chat", "pager", "exam-room") for a in hooks.alerts(r, ALERT, ns)
                    if a[1] == "resolved"]
        checks.check("no `resolved` notification was sent for the alert", not resolved, str(resolved[:3]))
        wrong = [(r, a[2]) for r, ok in (("chat", lambda l: l.get("severity") == "warning"),
                                         ("pager", lambda l: l.get("severity") == "critical" and "audience" not in l),
                                         ("exam-room", lambda l: l.get("audience") == "exam-room"))
                 for a in hooks.alerts(r, ALERT, ns) if not ok(a[2])]
        checks.check("each copy reached only its receiver", not wrong, str(wrong[:3]))
        checks.check("the controller is still running", controller.running())
    except Failure as exc:
        checks.fail("the test ran to the end", str(exc))
        if controller and not controller.running():
            print(f"  the controller exited early (status {controller.proc.returncode}); "
                  f"its last log lines:\n{controller.tail(5)}")
        if prom:
            diagnose(prom, ns)
    finally:
        if controller:
            rc = controller.stop()
            checks.equal("SIGTERM: the controller exits with status 0", rc, 0)
        if checks.failed:
            if controller:
                print(f"--- controller log (tail) {controller.log_path}\n{controller.tail(60)}")
            for s in (prom, am):
                if s:
                    print(f"--- {s.name} log (tail)\n{s.log_path.read_text()[-2500:]}")
        for s in (prom, am):
            if s:
                s.stop()
        if exporter:
            exporter.close()
        hooks.close()
        e2e.cleanup_namespace(api, ns)
    return checks.finish()


def diagnose(prom: Server, ns: str) -> None:
    """What the pieces of the alert's expression look like in Prometheus."""
    for q in (f'sum by (namespace) (centrifugo_node_num_clients{{namespace="{ns}"}})',
              f'prebell_planned_capacity_connections{{namespace="{ns}"}}',
              f'prebell_desired_replicas{{namespace="{ns}"}}',
              f'prebell:schedule_criticality:level{{namespace="{ns}"}}',
              f'prebell_schedule_next_start_timestamp_seconds{{namespace="{ns}"}} - time()',
              'up', f'ALERTS{{namespace="{ns}"}}'):
        try:
            res = prom.get("/api/v1/query", query=q)["data"]["result"]
            print(f"  {q}\n    -> " + "; ".join(f"{r['metric']} = {r['value'][1]}" for r in res)[:1500])
        except Exception as exc:  # noqa: BLE001 - diagnostics only
            print(f"  {q}: {exc}")


def instant_targets() -> set[tuple[str, int, str]]:
    """(file, panel id, refId) of the targets Grafana evaluates at one instant
    (stat panels); every other query is evaluated over the time range."""
    out = set()
    for f in sorted((REPO / "dashboards").glob("*.json")):
        for panel in json.loads(f.read_text()).get("panels", []):
            for t in panel.get("targets", []):
                if t.get("instant") and not t.get("range"):
                    out.add((f.name, panel.get("id"), t.get("refId", "")))
    return out


def run_dashboard_queries(checks: Checks, prom: Server, ns: str, since: float) -> None:
    """Every query of every dashboard as Grafana would run it over the test's
    time range (instant targets at the end of it): each must run, and each
    panel's and variable's must return data (an annotation may find no event)."""
    r = subprocess.run([sys.executable, str(LIST_QUERIES), "--format", "json", "--substitute", f"namespace={ns}",
                        "--substitute", "policy=live", "--substitute", "job=prebell"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        checks.fail("dashboards/list_queries.py", r.stderr)
        return
    rows = json.loads(r.stdout)
    instant = instant_targets()
    alerts = prom.get("/api/v1/query", query='ALERTS{alertstate="firing"}')["data"]["result"]
    log("firing while the queries run: " + ", ".join(sorted(
        f"{a['metric'].get('alertname')}/{a['metric'].get('severity')}" + (f"/{a['metric']['audience']}"
                                                                          if a['metric'].get('audience') else "")
        for a in alerts)))
    for q in (f'prebell_next_peak_timestamp_seconds{{namespace="{ns}"}} - time()',
              f'prebell_next_peak_predicted_connections{{namespace="{ns}"}}',
              f'prebell_next_peak_planned_capacity_connections{{namespace="{ns}"}}'):
        res = prom.get("/api/v1/query", query=q)["data"]["result"]
        log(f"{q} -> " + "; ".join(f"{x['metric'].get('target', '')}={x['value'][1]}" for x in res))
    now = time.time()
    empty, errors = [], []
    for q in rows:
        where = f"{q['file']} {q['where']} {q['id']} \"{q['title']}\" {q['refId']}".rstrip()
        at_instant = (q["file"], q["id"], q["refId"]) in instant
        try:
            if at_instant:
                data = prom.get("/api/v1/query", query=q["expr"], time=f"{now:.3f}")
            else:
                data = prom.get("/api/v1/query_range", query=q["expr"], start=f"{since:.3f}", end=f"{now:.3f}",
                                step="5")
        except urllib.error.HTTPError as exc:
            errors.append(f"{where}: HTTP {exc.code}: {exc.read()[:300].decode(errors='replace')}")
            continue
        if data.get("status") != "success":
            errors.append(f"{where}: {data.get('error')}")
        elif not data["data"]["result"] and q["where"] == "annotation":
            # Annotations mark events (alerts, windows); none is a valid answer.
            log(f"annotation with no events in the test's range: {where}")
        elif not data["data"]["result"]:
            empty.append(f"{where} ({'instant' if at_instant else 'range'}): {' '.join(q['expr'].split())}")
    checks.check(f"every one of {len(rows)} dashboard queries runs without error", not errors, "\n        ".join(errors))
    checks.check(f"every dashboard panel and variable query returns data (over the test's time range; stat "
                 f"panels at its end)", not empty, "no series:\n        " + "\n        ".join(empty))


if __name__ == "__main__":
    sys.exit(main())
