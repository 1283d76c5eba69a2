#!/usr/bin/env python3
"""The local cluster demo: prebell scales the Helm chart's bundled stack
(Centrifugo gateway, Redis, LiveKit media) ahead of a class day, and alert
severity follows the timetable. Entry point: scripts/cluster-demo.sh.

    cluster_demo.py --prebell BIN [--workdir DIR] [--short]

Everything runs on 127.0.0.1 and is real except the pods and the traffic:
  1. a Kubernetes control plane of its own (tools/k8s/controlplane.py: etcd,
     kube-apiserver, kube-controller-manager whose HPA controller scales the
     Deployments up to their minReplicas, kube-scheduler, KWOK whose fake
     node makes pods Running and Ready without containers);
  2. `helm install` of charts/prebell with tools/demo/values.yaml;
  3. the class day of tools/demo/class_day.yaml as a Timetable: today
     compressed, starting minutes from now, after a normal week of the
     same courses;
  4. a replaying exporter of the stack's metrics (connections follow each
     session's audience) whose past days are backfilled into a real
     Prometheus with promtool, so the forecast has history to learn from;
     the rules generated from dashboards/rules/source.yaml with the demo's
     lead time; a real Alertmanager with the example routing, delivering to
     webhooks here (chat, pager, exam-room);
  5. `prebell run` on this machine with a token of the chart's
     ServiceAccount and the chart's command line (only --metrics-address and
     --prometheus-url differ, and --lead-time is the demo's).

It prints what happens as it happens, a status line every 15 s, and at the
end a summary per session: when each target had the replicas planned for
the start (asked, then ready), the connections against the capacity that
was ready, and the alert severity. The summary also goes to
WORKDIR/summary.json; the exit status is 1 if a check in it failed. Every
process it started is stopped on exit, also on Ctrl-C.

The harness is the one of the end-to-end tests, imported, not copied:
tests/integration/controller/e2e.py (ControlPlane, Api, Controller, Poller,
manifests) and tests/integration/lib/monitoring.py (Exporter, backfill,
fast_rules, Webhooks, Alertmanager and Prometheus), which
tests/integration/alerting/alerting_test.py uses too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import shutil
import signal
import subprocess
import sys
import time
import zoneinfo
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration" / "controller"))
sys.path.insert(0, str(REPO / "tests" / "integration" / "lib"))
sys.path.insert(0, str(REPO / "tests" / "chart"))
import e2e  # noqa: E402
from e2e import Failure, path  # noqa: E402
import monitoring  # noqa: E402
from chart_test import helm_bin  # noqa: E402

import yaml  # noqa: E402  (python3-yaml)

RELEASE = "prebell"
NS = "campus"
VALUES = HERE / "values.yaml"
DAY_FILE = HERE / "class_day.yaml"
# The compressed lead time: rules (prebell:schedule_lead_time:seconds) and the
# controller's --lead-time. The chart's rules say 30 minutes.
LEAD_S = 60
STATUS_EVERY_S = 15
LEVELS = {0: "idle: alerts chat", 1: "class near/live: alerts page",
          2: "exam near/live: alerts page + exam room"}
RECEIVER_OF = {("warning", ""): "chat", ("critical", ""): "pager", ("critical", "exam-room"): "exam-room"}


# ----------------------------------------------------------------- the day


class Session:
    """A session of today's compressed day: `at` is an offset from T0."""

    def __init__(self, spec: dict, t0: dt.datetime, zone: str):
        self.name = spec["name"]
        self.kind = spec["kind"]
        self.course = spec["course"]
        self.duration_text = spec["duration"]
        self.duration = e2e.parse_duration(spec["duration"])
        self.expected = int(spec["expectedAttendance"])
        self.show_up = float(spec["showUp"])
        self.start = t0 + dt.timedelta(seconds=e2e.parse_duration(spec["at"]))
        self.end = self.start + dt.timedelta(seconds=self.duration)
        self.zone = zone

    def manifest(self) -> dict:
        return e2e.session(self.name, self.start, self.zone, self.duration_text, self.expected, kind=self.kind,
                           course=self.course)


class Usual:
    """A session of the week before, at its usual local time every day."""

    def __init__(self, spec: dict, today: dt.datetime, zone: str, days: int):
        self.spec = spec
        self.zone = zone
        self.days = days
        self.duration = e2e.parse_duration(spec["duration"])
        hour, minute = (int(x) for x in spec["at"].split(":"))
        tz = zoneinfo.ZoneInfo(zone)
        local_today = today.astimezone(tz).date()
        self.starts = [dt.datetime.combine(local_today - dt.timedelta(days=k), dt.time(hour, minute), tz)
                       .astimezone(dt.timezone.utc) for k in range(days, 0, -1)]

    def manifest(self) -> dict:
        s = self.spec
        return e2e.session(s["name"], self.starts[0], self.zone, s["duration"], int(s["expectedAttendance"]),
                           kind=s["kind"], course=s["course"], recurrence=f"FREQ=DAILY;COUNT={self.days}")

    def audiences(self) -> list[tuple[dt.datetime, float]]:
        """Each day's connected audience: the show-up, varying by up to 8 %
        from day to day (deterministic)."""
        out = []
        for k, start in enumerate(self.starts):
            rng = random.Random(f"{self.spec['name']}/{k}")
            out.append((start, int(self.spec["expectedAttendance"]) * float(self.spec["showUp"])
                        * rng.uniform(0.92, 1.08)))
        return out


class Recording:
    """Connections of the namespace's gateway over time: the idle level with a
    little deterministic jitter, plus each sitting's connected audience,
    arriving over the 5 minutes before its start and leaving over the 3
    minutes after its end. The `recording` of monitoring.Exporter and
    backfill."""

    ARRIVE_S, LEAVE_S = 300.0, 180.0

    def __init__(self, idle: float):
        self.idle = idle
        self.sittings: list[tuple[float, float, float]] = []  # (start, end, connected audience), unix s

    def add(self, start: dt.datetime, seconds: float, audience: float) -> None:
        s = start.timestamp()
        self.sittings.append((s, s + seconds, audience))

    def presence(self, t: float, s: float, e: float) -> float:
        if s - self.ARRIVE_S <= t < s:
            return (t - (s - self.ARRIVE_S)) / self.ARRIVE_S
        if s <= t < e:
            return 1.0
        if e <= t < e + self.LEAVE_S:
            return 1 - (t - e) / self.LEAVE_S
        return 0.0

    def connections(self, t: float) -> float:
        v = self.idle * (1 + 0.02 * math.sin(t / 37.0) + 0.01 * math.sin(t / 11.0))
        v += sum(n * self.presence(t, s, e) for s, e, n in self.sittings)
        return round(v)


class Stack:
    """What the replaying exporter serves (`series` is the one of
    monitoring.Exporter and backfill): the gateway's clients split
    over two Centrifugo pods, with the labels the chart's ScalingPolicy query
    selects (namespace, service), and Redis memory at a constant share of
    maxmemory."""

    def __init__(self, gateway_service: str, redis_service: str, redis_used_ratio: float):
        self.gateway_service = gateway_service
        self.redis_service = redis_service
        self.redis_used_ratio = redis_used_ratio

    def series(self, ns: str, t: float, conns: float, started: float) -> list[tuple[str, str, dict, float]]:
        del t, started  # gauges only: nothing here depends on uptime
        out = []
        for i, share in enumerate((conns // 2 + conns % 2, conns // 2)):
            out.append(("centrifugo_node_num_clients", "gauge",
                        {"namespace": ns, "service": self.gateway_service, "pod": f"{self.gateway_service}-{i}"},
                        share))
        # `pod`, not `instance`: backfill() sets `instance` to the exporter's address.
        redis = {"namespace": ns, "service": self.redis_service, "pod": f"{self.redis_service}-0"}
        max_bytes = 256 * 2**20  # the chart's stack.redis.maxMemory
        out += [("redis_memory_max_bytes", "gauge", redis, max_bytes),
                ("redis_memory_used_bytes", "gauge", redis, round(self.redis_used_ratio * max_bytes))]
        return out


def load_day(short: bool) -> dict:
    day = yaml.safe_load(DAY_FILE.read_text())
    chosen = day["days"]["short" if short else "full"]
    return {**day, "sessions": chosen["sessions"], "end": e2e.parse_duration(chosen["end"])}


# ------------------------------------------------------------- presentation


def clock(t: dt.datetime, zone: str) -> str:
    return t.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%H:%M:%S")


def signed(seconds: float) -> str:
    s = round(seconds)
    sign = "-" if s < 0 else "+"
    return f"{sign}{abs(s) // 60}:{abs(s) % 60:02d}"


def mmss(seconds: float) -> str:
    s = max(0, round(seconds))
    return f"{s // 60}:{s % 60:02d}"


def alert_text(firing: frozenset) -> str:
    """`Alert -> receivers` for the firing alerts, as the example routing
    delivers them: a warning is inhibited while its critical copy fires."""
    if not firing:
        return "-"
    by_name: dict[str, list[str]] = {}
    for name, severity, audience in sorted(firing):
        by_name.setdefault(name, []).append(RECEIVER_OF.get((severity, audience), f"{severity}/{audience}"))
    out = []
    for name, receivers in by_name.items():
        if "pager" in receivers and "chat" in receivers:
            receivers.remove("chat")
        out.append(f"{name} -> {'+'.join(sorted(receivers, key=['chat', 'pager', 'exam-room'].index))}")
    return ", ".join(out)


# ------------------------------------------------------------------- demo


class Demo:
    def __init__(self, args):
        self.args = args
        self.prebell = e2e.find_prebell(args.prebell)
        self.work = Path(args.workdir).resolve()
        self.work.mkdir(parents=True, exist_ok=True)
        self.day = load_day(args.short)
        self.zone = self.day["time_zone"]
        self.cp = None
        self.prom = None
        self.am = None
        self.exporter = None
        self.hooks = None
        self.controller = None
        self.pollers: list[e2e.Poller] = []

    # ------------------------------------------------------------ set-up

    def binaries(self) -> dict:
        found = {b: shutil.which(b) for b in ("prometheus", "promtool")}
        found["alertmanager"] = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
        missing = [b for b, p in found.items() if not p]
        if missing:
            raise Failure(f"{', '.join(missing)} not installed (scripts/install-deps.sh --servers)")
        return found

    def start_cluster(self) -> None:
        say("starting a local control plane (etcd, kube-apiserver, controller-manager, scheduler, KWOK)")
        self.cp = e2e.ControlPlane.start(self.work / "controlplane", "--controller-manager", "--kwok")

    def install_chart(self) -> None:
        say(f"helm install {RELEASE} charts/prebell -n {NS} -f tools/demo/values.yaml")
        cmd = [helm_bin(), "install", RELEASE, str(e2e.CHART), "--namespace", NS, "--create-namespace",
               "--kubeconfig", self.cp.kubeconfig, "-f", str(VALUES)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            raise Failure(f"helm install failed:\n{proc.stdout}{proc.stderr}")
        api = self.cp.api
        self.policy = api.get(path("ScalingPolicy", NS, f"{RELEASE}-stack"))
        deployment = api.get(path("Deployment", NS, RELEASE))
        self.chart_args = e2e.controller_args_from_chart([deployment])
        self.sa = deployment["spec"]["template"]["spec"]["serviceAccountName"]
        self.targets = {}
        for tg in self.policy["spec"]["targets"]:
            ref = tg["scaleTargetRef"]
            workload = (ref["kind"], ref["name"])
            if ref["kind"] == "HorizontalPodAutoscaler":
                hpa = api.get(path("HorizontalPodAutoscaler", NS, ref["name"]))
                workload = (hpa["spec"]["scaleTargetRef"]["kind"], hpa["spec"]["scaleTargetRef"]["name"])
            self.targets[tg["name"]] = {"spec": tg, "ref": ref, "workload": workload}
        names = ", ".join(f"{n} ({t['ref']['kind']} {t['ref']['name']})" for n, t in self.targets.items())
        say(f"the chart's ScalingPolicy {RELEASE}-stack scales {names}")

    def controller_kubeconfig(self) -> Path:
        token = self.cp.token(NS, self.sa)
        return self.cp.token_kubeconfig(self.work / "prebell.kubeconfig", token)

    def plan_day(self) -> None:
        t0 = e2e.utcnow().replace(microsecond=0)
        self.t0 = t0
        self.sessions = [Session(s, t0, self.zone) for s in self.day["sessions"]]
        self.sessions.sort(key=lambda s: (s.start, s.name))
        self.t_end = t0 + dt.timedelta(seconds=self.day["end"])
        days = int(self.day["history"]["days"])
        self.usual = [Usual(u, t0, self.zone, days) for u in self.day["history"]["sessions"]]
        selector = (self.policy["spec"].get("timetableSelector") or {}).get("matchLabels") or {}
        self.timetable = e2e.timetable(NS, "class-day", self.zone,
                                       [u.manifest() for u in self.usual] + [s.manifest() for s in self.sessions],
                                       labels=selector)
        self.recording = Recording(float(self.day["idle_connections"]))
        for u in self.usual:
            for start, audience in u.audiences():
                self.recording.add(start, u.duration, audience)
        for s in self.sessions:
            self.recording.add(s.start, s.duration, s.expected * s.show_up)

    def start_monitoring(self, bins: dict) -> None:
        # The chart labels each component's Service with its workload's name,
        # and the policy's default query selects the gateway's by `service`.
        gateway = self.targets["gateway"]["workload"][1]
        redis = self.targets["redis"]["workload"][1]
        stack = Stack(gateway, redis, float(self.day["redis_memory_used_ratio"]))
        self.exporter = monitoring.Exporter(NS, self.recording, stack.series)
        data = self.work / "prom-data"
        shutil.rmtree(data, ignore_errors=True)
        days = int(self.day["history"]["days"])
        t_from = (self.t0 - dt.timedelta(days=days, hours=1)).timestamp()
        say(f"backfilling {days} days of history into Prometheus (promtool tsdb create-blocks-from openmetrics)")
        n = monitoring.backfill(bins["promtool"], data, self.work, self.exporter, t_from, self.t0.timestamp() - 15)
        say(f"  {n:,} samples")
        rules = monitoring.fast_rules(self.work, LEAD_S)
        self.hooks = monitoring.Webhooks()
        self.am = monitoring.start_alertmanager(bins["alertmanager"], self.work, self.hooks, log_level="warn")
        self.ctl_port = e2e.free_port()
        self.prom = monitoring.start_prometheus(bins["prometheus"], self.work, data, rules, self.am, self.ctl_port,
                                                NS, self.exporter)
        say(f"Prometheus {self.prom.url}, Alertmanager {self.am.url}")

    def apply_timetable(self) -> None:
        f = self.work / "timetable.yaml"
        f.write_text(yaml.safe_dump(self.timetable, sort_keys=False))
        self.cp.kubectl("apply", "-f", str(f))

    def start_controller(self, kubeconfig: Path) -> None:
        args = [a for a in self.chart_args if not a.startswith(("--metrics-address=", "--prometheus-url="))]
        args += [f"--metrics-address=127.0.0.1:{self.ctl_port}", f"--prometheus-url={self.prom.url}",
                 f"--lead-time={LEAD_S}s"]
        self.controller = e2e.Controller(self.prebell, self.work, "controller", str(kubeconfig), args=args,
                                         port=self.ctl_port).start()
        self.controller.wait_ready(120)

    # ---------------------------------------------------------- observing

    def start_pollers(self) -> None:
        api = self.cp.api
        self.target_pollers = {}
        for name, t in self.targets.items():
            self.target_pollers[name] = e2e.Poller(name, self._target_reader(api, t), period=1.0)
        prom = self.prom
        self.level_poller = e2e.Poller("level", lambda: self._instant(
            f'prebell:schedule_criticality:level{{namespace="{NS}"}}', int), period=2.0)
        self.conn_poller = e2e.Poller("connections", lambda: self._instant(
            f'sum(centrifugo_node_num_clients{{namespace="{NS}"}})', int), period=2.0)
        self.alert_poller = e2e.Poller("alerts", lambda: frozenset(
            (a["labels"].get("alertname"), a["labels"].get("severity", ""), a["labels"].get("audience", ""))
            for a in prom.get("/api/v1/alerts")["data"]["alerts"] if a["state"] == "firing"), period=2.0)
        self.status_poller = e2e.Poller("status", lambda: tuple(
            (t["name"], t.get("plannedReplicas"), t.get("reason", ""))
            for t in (api.get(path("ScalingPolicy", NS, f"{RELEASE}-stack")).get("status") or {}).get("targets", [])),
            period=2.0)
        self.pollers = [*self.target_pollers.values(), self.level_poller, self.conn_poller, self.alert_poller,
                        self.status_poller]
        for p in self.pollers:
            p.start()

    @staticmethod
    def _target_reader(api: e2e.Api, t: dict):
        """(asked, replicas, ready): asked is the HPA's minReplicas for an HPA
        target, else the workload's spec.replicas (what prebell scales)."""
        kind, name = t["workload"]
        hpa = t["ref"]["name"] if t["ref"]["kind"] == "HorizontalPodAutoscaler" else None

        def read():
            w = api.get(path(kind, NS, name))
            replicas = w["spec"].get("replicas")
            ready = (w.get("status") or {}).get("readyReplicas") or 0
            asked = api.get(path("HorizontalPodAutoscaler", NS, hpa))["spec"].get("minReplicas") if hpa else replicas
            return (asked, replicas, ready)
        return read

    def _instant(self, query: str, conv):
        res = self.prom.get("/api/v1/query", query=query)["data"]["result"]
        return conv(float(res[0]["value"][1])) if res else None

    # ------------------------------------------------------------ printing

    def stamp(self, t: dt.datetime | None = None) -> str:
        t = t or e2e.utcnow()
        return f"{clock(t, self.zone)} {signed((t - self.t0).total_seconds()):>6}"

    def event(self, text: str, at: dt.datetime | None = None) -> None:
        print(f"{self.stamp(at)}  | {text}", flush=True)

    def status_line(self) -> None:
        now = e2e.utcnow()
        nxt = next((s for s in self.sessions if s.start > now), None)
        live = [s.name for s in self.sessions if s.start <= now < s.end]
        where = "no more sessions"
        if nxt:
            names = "+".join(s.name for s in self.sessions if s.start == nxt.start)
            where = f"next {names} in {mmss((nxt.start - now).total_seconds())}"
        if live:
            where = f"LIVE {'+'.join(live)}; " + where
        cols = []
        for name, p in self.target_pollers.items():
            v = p.current()
            cols.append(f"{name} {'/'.join('?' if x is None else str(x) for x in v) if v else '?'}")
        level = self.level_poller.current()
        conns = self.conn_poller.current()
        cpr = self.targets["gateway"]["spec"]["connectionsPerReplica"]
        gw = self.target_pollers["gateway"].current()
        cap = f"{gw[2] * cpr:,}" if gw else "?"
        print(f"{self.stamp(now)}  {where:<58} {'  '.join(cols)}  conns {conns if conns is None else f'{conns:,}'}"
              f"/{cap}  level {level if level is not None else '?'}  alerts: {alert_text(self.alert_poller.current() or frozenset())}",
              flush=True)

    def watch(self) -> None:
        """Prints events as they happen and a status line every STATUS_EVERY_S
        until the end of the day."""
        print()
        print("Each status line: clock, time since the Timetable was applied, the next session, per target "
              "asked/replicas/ready (asked = the HPA's minReplicas that prebell raises, or Redis' scale), "
              "connections now / gateway capacity ready, the criticality level "
              "(0 idle, 1 class, 2 exam) and the alerts firing -> where Alertmanager routes them.")
        print(f"{'clock':8} {'T0+':>6}  status line, or  | event")
        seen = {"targets": {}, "asks": [], "level": None, "alerts": frozenset(), "hooks": 0, "sessions": set()}
        for name, p in self.target_pollers.items():
            first = p.history()[:1]
            if first:  # what the workloads had before the controller started
                seen["targets"][name] = first[0][1]
        next_status = time.monotonic()
        while e2e.utcnow() < self.t_end:
            if not self.controller.running():
                raise Failure(f"the controller exited ({self.controller.proc.returncode}):\n{self.controller.tail(30)}")
            self._events(seen)
            if time.monotonic() >= next_status:
                self.status_line()
                next_status += STATUS_EVERY_S
            time.sleep(0.5)
        self._events(seen)
        self.status_line()

    def _events(self, seen: dict) -> None:
        now = e2e.utcnow()
        for s in self.sessions:
            for what, at in (("starts", s.start), ("ends", s.end)):
                key = (s.name, what)
                if at <= now and key not in seen["sessions"]:
                    seen["sessions"].add(key)
                    extra = (f" ({s.kind} {s.course}, {s.expected:,} expected, {s.duration_text})"
                             if what == "starts" else "")
                    self.event(f"== {s.name} {what}{extra}")
        for name, p in self.target_pollers.items():
            v = p.current()
            if not v:
                continue
            before = seen["targets"].get(name)
            seen["targets"][name] = v
            if before is None:
                continue
            if v[0] != before[0]:
                seen["asks"].append((name, before[0], v[0], p.history()[-1][0]))
            if v[2] != before[2] and v[2] == v[1]:
                self.event(f"{name}: all {v[2]} replicas ready")
        self._print_asks(seen["asks"], now)
        level = self.level_poller.current()
        if level != seen["level"] and level is not None:
            change = f"{seen['level']} -> {level}" if seen["level"] is not None else f"{level}"
            self.event(f"criticality level {change} ({LEVELS.get(level, '?')})")
            seen["level"] = level
        firing = self.alert_poller.current() or frozenset()
        if firing != seen["alerts"]:
            for a in sorted(firing - seen["alerts"]):
                self.event(f"alert firing: {a[0]} severity={a[1]}{' audience=' + a[2] if a[2] else ''}")
            for a in sorted(seen["alerts"] - firing):
                self.event(f"alert stopped: {a[0]} severity={a[1]}{' audience=' + a[2] if a[2] else ''}")
            seen["alerts"] = firing
        with self.hooks.lock:
            received = list(self.hooks.received[seen["hooks"]:])
            seen["hooks"] = len(self.hooks.received)
        for _, receiver, payload in received:
            names = sorted({f"{a['labels'].get('alertname')} ({a['status']})" for a in payload["alerts"]})
            self.event(f"Alertmanager -> {receiver}: {', '.join(names)}")

    def _print_asks(self, asks: list, now: dt.datetime) -> None:
        """Prints each change of what prebell asks for with its reason from
        the ScalingPolicy's status, which the controller writes just after
        the workload (waits up to 4 s for it)."""
        status = {n: (planned, reason) for n, planned, reason in (self.status_poller.current() or ())}
        while asks:
            name, old, new, at = asks[0]
            planned, reason = status.get(name, (None, ""))
            if planned != new and (now - at).total_seconds() < 4:
                return
            asks.pop(0)
            how = "HPA minReplicas" if self.targets[name]["ref"]["kind"] == "HorizontalPodAutoscaler" else "scale"
            why = f": {reason}" if planned == new and reason else ""
            self.event(f"{name}: prebell asks {old} -> {new} ({how}){why}", at)

    # ------------------------------------------------------------ summary

    def summarize(self) -> dict:
        out = {"t0": e2e.rfc3339(self.t0), "lead_time_s": LEAD_S, "sessions": [], "severity": [], "checks": []}
        checks = out["checks"]

        def check(name: str, ok: bool, detail: str = "") -> None:
            checks.append({"name": name, "ok": bool(ok), "detail": detail})

        history = {n: p.history() for n, p in self.target_pollers.items()}
        levels = self.level_poller.history()
        conns = self.conn_poller.history()
        alerts = self.alert_poller.history()
        print()
        print("=" * 100)
        print(f"Summary. T0 = {clock(self.t0, self.zone)} ({self.zone}), when the Timetable was applied. Times are "
              f"relative to each session's start (-m:ss = before it).")
        print(f"Time is compressed: sessions minutes apart and {', '.join(sorted({s.duration_text for s in self.sessions}))} "
              f"long; alert lead time {LEAD_S} s (30 min in the chart); warm-ups and scale-down delays as in "
              f"tools/demo/values.yaml.")
        raised_first = False
        first = self.sessions[0]
        for s in self.sessions:
            rec = {"name": s.name, "kind": s.kind, "course": s.course, "start": e2e.rfc3339(s.start),
                   "offset_s": (s.start - self.t0).total_seconds(), "expected": s.expected, "targets": {}}
            print()
            print(f"{s.name}  {s.kind} {s.course}, {s.expected:,} expected, starts {clock(s.start, self.zone)} "
                  f"(T0{signed((s.start - self.t0).total_seconds())}), {s.duration_text}")
            for name, hist in history.items():
                tg = self.targets[name]["spec"]
                floor = tg.get("minReplicas", 1)
                r = target_at_start(hist, s.start, s.end)
                rec["targets"][name] = r
                if r is None:
                    print(f"  {name:8} no observation before the start")
                    check(f"{s.name}: {name} observed before the start", False)
                    continue
                planned = r["planned"]
                if s is first and planned > floor and r["asked_s"] is not None:
                    raised_first = True
                line = f"  {name:8} {planned} replicas planned for the start"
                if planned <= floor:
                    line += f" (its floor, {floor}: nothing to raise)"
                else:
                    line += (f": asked {fmt_before(r['asked_s'])}, {planned} ready {fmt_before(r['ready_s'])}")
                if r["max_during"] > planned:
                    line += f"; raised to {r['max_during']} during the session"
                cap_text, ok_cap = self.capacity_text(name, tg, s, hist, conns)
                print(line + cap_text)
                ready_ok = r["ready_s"] is not None and r["ready_s"] > 0
                check(f"{s.name}: {name} had its {planned} planned replicas ready before the start",
                      ready_ok, f"ready at the start: {r['ready_at_start']}")
                if ok_cap is not None:
                    check(f"{s.name}: {name} capacity ready throughout covered the connections", ok_cap, cap_text)
            lv_start = value_at(levels, s.start)
            want = 2 if s.kind == "Exam" else 1
            rise = level_rise(levels, s.start, want)
            earlier = value_at(levels, s.start - dt.timedelta(seconds=LEAD_S + 10))
            when = (f"rose to {want} {mmss(rise)} before it (lead time {LEAD_S} s)" if rise is not None
                    else f"already {earlier} one lead time before it" if earlier is not None
                    else "not observed one lead time before it")
            print(f"  severity level {lv_start} at the start ({LEVELS.get(lv_start, '?')}), {when}; "
                  f"alerts then: {alert_text(value_at(alerts, s.start) or frozenset())}")
            rec["level_at_start"] = lv_start
            rec["level_rose_s_before"] = rise
            check(f"{s.name}: criticality level >= {want} at the start", (lv_start or 0) >= want, f"level {lv_start}")
            if rise is not None:
                check(f"{s.name}: the level rose to {want} one lead time ({LEAD_S} s) before it",
                      abs(rise - LEAD_S) <= 10, f"rose {rise:.0f} s before")
            out["sessions"].append(rec)
        check("prebell raised at least one target above its floor ahead of the first session", raised_first)

        print()
        print("Severity over the day: the criticality level, the alerts firing and where Alertmanager sends them "
              "(at each change of either):")
        for t, lv, a in severity_timeline(levels, alerts):
            print(f"  {self.stamp(t)}  level {lv} ({LEVELS.get(lv, '?')}); {alert_text(a)}")
            out["severity"].append({"at": e2e.rfc3339(t), "offset_s": (t - self.t0).total_seconds(), "level": lv,
                                    "alerts": sorted(list(x) for x in a)})
        with self.hooks.lock:
            deliveries = list(self.hooks.received)
        print("Alertmanager notifications received by the webhooks:" + ("" if deliveries else " none"))
        for t, receiver, payload in deliveries:
            at = dt.datetime.fromtimestamp(t, dt.timezone.utc)
            what = ", ".join(sorted({f"{x['labels'].get('alertname')} {x['labels'].get('severity')} ({x['status']})"
                                     for x in payload["alerts"]}))
            print(f"  {self.stamp(at)}  {receiver:9} {what}")
        out["notifications"] = [{"at": t, "receiver": r, "alerts": [a["labels"] for a in p["alerts"]],
                                 "status": p.get("status")} for t, r, p in deliveries]
        failed = [c for c in checks if not c["ok"]]
        print()
        for c in checks:
            print(f"  {'ok  ' if c['ok'] else 'FAIL'} {c['name']}" + (f"  ({c['detail']})" if not c["ok"] and c["detail"] else ""))
        print(f"{len(checks) - len(failed)} of {len(checks)} checks passed.")
        out["passed"] = not failed
        (self.work / "summary.json").write_text(json.dumps(out, indent=2) + "\n")
        return out

    def capacity_text(self, name: str, tg: dict, s: Session, hist, conns) -> tuple[str, bool | None]:
        ready_min = min_during(hist, s.start, s.end, index=2)
        if ready_min is None:
            return "", None
        if "connectionsPerReplica" in tg:
            cap = ready_min * tg["connectionsPerReplica"]
            peak = max((v for t, v in conns if s.start <= t <= s.end and v is not None), default=None)
            if peak is None:
                return "", None
            share = f"{peak / cap:.0%}" if cap else "no capacity ready"
            return f"; peak {peak:,} connections vs {cap:,} ready capacity ({share})", peak <= cap
        live = max(sum(1 for o in self.sessions if o.start <= t < o.end)
                   for t in (s.start + dt.timedelta(seconds=k) for k in range(0, int(s.duration), 5)))
        cap = ready_min * tg["sessionsPerReplica"]
        return (f"; at most {live} session(s) live vs room for {cap} ready ({ready_min} x {tg['sessionsPerReplica']})",
                live <= cap)

    # ------------------------------------------------------------ the run

    def run(self) -> int:
        bins = self.binaries()
        t_setup = time.monotonic()
        self.start_cluster()
        self.install_chart()
        kubeconfig = self.controller_kubeconfig()
        self.plan_day()
        self.apply_timetable()
        self.start_monitoring(bins)
        self.start_pollers()  # before the controller: its first raise is seen too
        self.print_intro()
        self.start_controller(kubeconfig)
        say(f"set-up took {time.monotonic() - t_setup:.0f} s; the controller is ready")
        self.watch()
        summary = self.summarize()
        return 0 if summary["passed"] else 1

    def print_intro(self) -> None:
        days = self.day["history"]["days"]
        usual = {u.spec["course"]: u for u in self.usual}
        print()
        print(f"Today, compressed (Timetable {NS}/class-day, {self.zone}; {self.work / 'timetable.yaml'}):")
        for s in self.sessions:
            u = usual.get(s.course) if s.kind == "Class" else None
            past = (f"usually {u.spec['at']} for {u.spec['duration']}, daily the last {days} days" if u
                    else "never seen before")
            print(f"  {clock(s.start, self.zone)} (T0{signed((s.start - self.t0).total_seconds())})  {s.name:15} "
                  f"{s.kind:5} {s.course:6} {s.duration_text:>4}  {s.expected:>5,} expected, "
                  f"{s.show_up:.0%} connect; {past}")
        spec = {n: t["spec"] for n, t in self.targets.items()}
        print("TIME IS COMPRESSED. A real day has classes hours apart, an hour or two long; today's start minutes "
              "apart and last a minute or two. To match:")
        print(f"  - alert lead time {LEAD_S} s (the chart's rules: 30 min): the rules are generated from "
              f"dashboards/rules/source.yaml with lead_time {LEAD_S}s and every `for` cut to 10 s, and the "
              f"controller runs with --lead-time={LEAD_S}s;")
        print("  - warm-ups " + ", ".join(f"{n} {t['warmup']}" for n, t in spec.items())
              + " (chart: 1m, 30s, 90s), scale-down delays " + ", ".join(t["scaleDownDelay"] for t in spec.values())
              + " (chart: 10m, 30m, 15m), per-replica capacities "
              + ", ".join(f"{t.get('connectionsPerReplica') or t.get('sessionsPerReplica')}"
                          + (" connections" if "connectionsPerReplica" in t else " rooms") for t in spec.values())
              + " (chart: 5000, 50000, 20): tools/demo/values.yaml.")
        print(f"  Not compressed: the {days} days before, a normal week of the same courses, backfilled into "
              "Prometheus as history; and how people arrive (over the 5 minutes before a session, leaving over "
              "the 3 after) and what prebell's arrival model expects (students from ~10 minutes before), so it "
              "raises capacity minutes ahead and, with sessions this close, for several at once.")
        print("  The pods are KWOK's (Running and Ready without containers); the connections are a replay. The HPAs "
              "scale up to the floor prebell raises but, with no resource metrics here, never back down.")
        print(f"Look around meanwhile: KUBECONFIG={self.cp.kubeconfig} {self.cp.kubectl_bin} get hpa,deploy,sts,"
              f"scalingpolicy,timetable -n {NS};  Prometheus {self.prom.url}")

    def cleanup(self) -> None:
        for p in self.pollers:
            p.stop()
        if self.controller:
            rc = self.controller.stop()
            if rc not in (0, None):
                say(f"the controller exited with status {rc}; log {self.controller.log_path}")
        for s in (self.prom, self.am):
            if s:
                s.stop()
        for x in (self.exporter, self.hooks):
            if x:
                x.close()
        if self.cp or (self.work / "controlplane" / "state.json").exists():
            subprocess.run([sys.executable, str(e2e.CONTROLPLANE_PY), "stop", "--dir", str(self.work / "controlplane")],
                           capture_output=True, text=True, timeout=180)


# ---------------------------------------------------------- the timelines


def value_at(hist: list, t: dt.datetime):
    v = None
    for at, x in hist:
        if at <= t:
            v = x
        else:
            break
    return v


def severity_timeline(levels: list, alerts: list) -> list[tuple[dt.datetime, int, frozenset]]:
    """(time, level, firing alerts) at each change of either, from the first
    known level on."""
    events = sorted([(t, "level", v) for t, v in levels] + [(t, "alerts", v) for t, v in alerts],
                    key=lambda e: e[0])
    out, level, firing = [], None, frozenset()
    for t, what, v in events:
        if what == "level":
            level = v if v is not None else level
        else:
            firing = v or frozenset()
        if level is None:
            continue
        if out and out[-1][1] == level and out[-1][2] == firing:
            continue
        if out and (t - out[-1][0]).total_seconds() < 1:
            out[-1] = (out[-1][0], level, firing)  # one evaluation seen by two samplers
        else:
            out.append((t, level, firing))
    return out


def level_rise(levels: list, start: dt.datetime, want: int) -> float | None:
    """Seconds before `start` at which the level first reached `want` after
    being below it one lead time (+10 s) before; None when it was already
    there then (carried over from an earlier session) or never rose."""
    before = value_at(levels, start - dt.timedelta(seconds=LEAD_S + 10))
    if before is None or before >= want:
        return None
    for at, x in levels:
        if start - dt.timedelta(seconds=LEAD_S + 10) < at <= start and x is not None and x >= want:
            return (start - at).total_seconds()
    return None


def last_reached(hist: list, t: dt.datetime, index: int, want: int) -> float | None:
    """Seconds before t since when value[index] >= want without interruption
    (None if it is not so at t). The first sample counts as reached then."""
    since = None
    for at, v in hist:
        if at > t:
            break
        ok = v is not None and v[index] is not None and v[index] >= want
        if not ok:
            since = None
        elif since is None:
            since = at
    return (t - since).total_seconds() if since else None


def min_during(hist: list, start: dt.datetime, end: dt.datetime, index: int) -> int | None:
    vals = [v[index] for at, v in hist if start <= at < end and v and v[index] is not None]
    before = value_at(hist, start)
    if before and before[index] is not None:
        vals.append(before[index])
    return min(vals) if vals else None


def target_at_start(hist: list, start: dt.datetime, end: dt.datetime) -> dict | None:
    """What a target had at a session's start: the replicas asked then (the
    plan for the start), since when they had been asked and ready, and the
    most asked while the session ran."""
    at_start = value_at(hist, start)
    if not at_start or at_start[0] is None:
        return None
    planned = at_start[0]
    during = [v[0] for t, v in hist if start <= t < end and v and v[0] is not None]
    return {"planned": planned, "asked_s": last_reached(hist, start, 0, planned),
            "ready_s": last_reached(hist, start, 2, planned), "ready_at_start": at_start[2],
            "max_during": max(during + [planned])}


def fmt_before(seconds: float | None) -> str:
    if seconds is None:
        return "NOT by the start"
    return f"{mmss(seconds)} before"


def say(msg: str) -> None:
    print(f"[demo] {msg}", flush=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--prebell", help="the prebell binary (default $PREBELL_BIN)")
    p.add_argument("--workdir", default=str(REPO / "build" / "cluster-demo"),
                   help="logs, the control plane's state, Prometheus' data, summary.json")
    p.add_argument("--short", action="store_true", help="a class and an exam in about 4 minutes (the test)")
    args = p.parse_args()

    def interrupted(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    demo = None
    rc = 1
    try:
        demo = Demo(args)
        rc = demo.run()
    except KeyboardInterrupt:
        print("\n[demo] interrupted; stopping everything", flush=True)
        rc = 130
    except Failure as exc:
        print(f"\n[demo] FAILED: {exc}", flush=True)
        if demo and demo.controller:
            print(f"--- controller log (tail) {demo.controller.log_path}\n{demo.controller.tail(30)}")
    finally:
        # A second Ctrl-C must not leave half the servers running.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        if demo:
            demo.cleanup()
            say(f"stopped; logs in {demo.work}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
