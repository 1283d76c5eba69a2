#!/usr/bin/env python3
"""`prebell run` raises and restores an HPA's minReplicas around a class.

Against the shared control plane (kube-controller-manager runs, so the real
HPA controller acts on the floor prebell sets). In a namespace of its own:

  gw-up   Deployment + HPA (minReplicas 2), selected by policy `up` through the
          Timetable `upcoming`: one class far enough ahead that the planner's
          first raise falls about a minute after the controller starts. The
          floor must stay at 2 until then (not raised early) and go up when
          the plan says; the HPA controller then scales the Deployment.
  gw-down Deployment + HPA (minReplicas 2), policy `down`, Timetable
          `finishing`: a class whose planning window (the session plus the
          audience's departure) ends about 90 s after the controller starts.
          The floor is raised at once, held through the window, then stepped
          back down to 2 in bounded steps.

Where the floor should be, and when, comes from `prebell plan` run on the
same manifests (the same Planner code path as the controller): the planner
raises a floor `warmup` before the audience it expects arrives, and a class's
audience starts arriving minutes before its start (SessionShape), so "how
long before the class" is the planner's to say; this test checks that the
controller writes exactly that timeline (no write missing, early, repeated
or extra), remembers the original floor and its owner in annotations, fills
the status of both resources and the printer columns of `kubectl get tt,sp`,
exports the metrics, never touches the scale subresource of an HPA's
workload, and that deleting the policy gives the HPA its floor back.
"""

from __future__ import annotations

import datetime as dt
import sys
import time

import e2e
from e2e import Checks, Failure, log, path

ZONE = "Europe/Berlin"  # local start times; the controller must convert


def main() -> int:
    args = e2e.common_args(__doc__.splitlines()[0]).parse_args()
    prebell = e2e.find_prebell(args.prebell)
    work = e2e.workdir_for(args, "hpa")
    cp = e2e.ControlPlane.shared(args.controlplane)
    api = cp.api
    checks = Checks()
    ns = f"e2e-hpa-{e2e.suffix()}"
    controller = None
    pollers = []
    try:
        cp.apply_crds()
        api.ensure_namespace(ns)
        step = dict(stepPeriod="10s", scaleDownDelay="0s", maxScaleDownStep=2)
        t_up = e2e.target("gateway", "HorizontalPodAutoscaler", "gw-up", cpr=40, warmup="30s", min_replicas=2,
                          max_replicas=20, **step)
        t_down = e2e.target("gateway", "HorizontalPodAutoscaler", "gw-down", cpr=40, warmup="30s", min_replicas=2,
                            max_replicas=20, **step)
        probe = e2e.plan_offsets(prebell, work, t_up, duration="2m", attendance=300, zone=ZONE)
        probe_fin = e2e.plan_offsets(prebell, work, t_down, duration="1m", attendance=300, zone=ZONE)
        log(f"planner: raise {probe['raise_lead']:.0f} s before a class; after a 1m class steps down at "
            f"{probe_fin['down_steps']} (s after its end, replicas)")

        for name in ("gw-up", "gw-down"):
            api.create(e2e.deployment(ns, name, 2))
            api.create(e2e.hpa(ns, name, name, 2, 20))

        # The controller starts at about t0; the objects are created just before.
        t0 = e2e.utcnow().replace(microsecond=0) + dt.timedelta(seconds=8)
        up_start = t0 + dt.timedelta(seconds=probe["raise_lead"] + 60)
        # The finishing class ended so long ago that its last step down (to 2)
        # falls about 100 s after the controller starts.
        fin_start = t0 + dt.timedelta(seconds=100 - probe_fin["down_steps"][-1][0] - 60)
        tt_up = e2e.timetable(ns, "upcoming", ZONE,
                              [e2e.session("algebra", up_start, ZONE, "2m", 300, course="math101")],
                              labels={"track": "upcoming"})
        tt_fin = e2e.timetable(ns, "finishing", ZONE,
                               [e2e.session("intro", fin_start, ZONE, "1m", 300, course="cs101")],
                               labels={"track": "finishing"})
        sp_up = e2e.scaling_policy(ns, "up", [t_up], selector={"matchLabels": {"track": "upcoming"}})
        sp_down = e2e.scaling_policy(ns, "down", [t_down], selector={"matchLabels": {"track": "finishing"}})
        for obj in (tt_up, tt_fin, sp_up, sp_down):
            api.create(obj)

        pollers = [
            e2e.Poller("gw-up", lambda: e2e.hpa_floor(api, ns, "gw-up")),
            e2e.Poller("gw-down", lambda: e2e.hpa_floor(api, ns, "gw-down")),
            e2e.Poller("gw-up-replicas", lambda: e2e.replicas_of(api, "Deployment", ns, "gw-up")),
        ]
        for p in pollers:
            p.start()
        up_poll, down_poll, up_replicas = pollers
        while e2e.utcnow() < t0:
            time.sleep(0.1)

        oracle_up = e2e.PlanOracle(prebell, work / "oracle-up", [tt_up], sp_up)
        oracle_down = e2e.PlanOracle(prebell, work / "oracle-down", [tt_fin], sp_down)
        plan_up = oracle_up.at(t0)["gateway"]
        plan_down = oracle_down.at(t0)["gateway"]
        log(f"plan up: {plan_up}")
        log(f"plan down: {plan_down}")
        if plan_up.now_value != 2 or not plan_up.changes:
            raise Failure(f"test setup: policy `up` should start at the floor and raise later: {plan_up}")
        if plan_down.now_value <= 2 or not plan_down.changes:
            raise Failure(f"test setup: policy `down` should be raised now and step down later: {plan_down}")
        raise_at = plan_up.changes[0][0]
        first_up = plan_up.changes[0][1]
        last_down = max(a for a, _ in plan_down.changes)

        controller = e2e.Controller(prebell, work, "controller", cp.kubeconfig, namespaces=[ns],
                                    lease_name="prebell-e2e-hpa", lease_namespace=ns).start()
        controller.wait_ready(90)

        # ---- the finishing class: raised at once, held, stepped down
        down_poll.wait_value("gw-down's floor raised to the plan's value",
                             lambda v: v and v[0] == plan_down.now_value, 60)
        _, original, owner = down_poll.current()
        checks.equal("gw-down: annotation prebell.io/original-min-replicas", original, "2")
        checks.check("gw-down: annotation prebell.io/owner names the policy",
                     owner in (f"{ns}/down", "down"), f"got {owner!r}")

        # ---- the upcoming class: the floor stays until the planned raise
        wait_s = (raise_at - e2e.utcnow()).total_seconds() + 20
        up_poll.wait_value(f"gw-up's floor raised to {first_up} (planned at +{(raise_at - t0).total_seconds():.0f}s)",
                           lambda v: v and v[0] == first_up, max(wait_s, 20))
        raised = up_poll.first_time(lambda v: v[0] != 2)
        log(f"gw-up raised at +{(raised - t0).total_seconds():.1f}s (the plan made at the start said "
            f"+{(raise_at - t0).total_seconds():.0f}s)")
        checks.check("gw-up: floor raised before the class starts",
                     raised < up_start, f"raised at {e2e.rfc3339(raised)}, class at {e2e.rfc3339(up_start)}")
        _, original, owner = up_poll.current()
        checks.equal("gw-up: annotation prebell.io/original-min-replicas", original, "2")
        checks.check("gw-up: annotation prebell.io/owner names the policy", owner in (f"{ns}/up", "up"),
                     f"got {owner!r}")
        try:
            up_replicas.wait_value(f"the HPA controller to scale Deployment gw-up to {first_up}",
                                   lambda v: v is not None and v >= first_up, 60)
            checks.check("the HPA controller scaled gw-up to the raised floor", True)
        except Failure as exc:
            checks.fail("the HPA controller scaled gw-up to the raised floor", str(exc))

        # ---- wait for gw-down to finish stepping down
        remaining = (last_down - e2e.utcnow()).total_seconds() + 20
        if remaining > 0:
            down_poll.wait_value("gw-down's floor back at 2", lambda v: v and v[0] == 2, remaining + 40)

        # ---- status, printer columns, metrics (both policies settled)
        check_status(checks, api, cp, controller, ns, up_start, oracle_up)

        # ---- writes: exactly one HPA patch per floor change, no scale writes
        changes = sum(count_changes(p.history()) for p in (up_poll, down_poll))
        patches = controller.requests(verb="patch", resource="horizontalpodautoscalers", result="success")
        checks.check("one successful HPA patch per floor change (no duplicate writes)",
                     patches == changes, f"{patches:.0f} patches for {changes} floor changes")
        scale_writes = sum(controller.requests(verb=v, resource="scale") for v in ("patch", "update"))
        checks.check("the scale subresource of an HPA's workload is never written", scale_writes == 0,
                     f"{scale_writes:.0f} scale writes")

        # ---- deleting the policy gives the floor back
        t_del = e2e.utcnow()
        api.delete(path("ScalingPolicy", ns, "up"))
        restored = up_poll.wait_value("gw-up's floor restored to 2 with the annotations removed",
                                      lambda v: v == (2, None, None), 30)
        took = (up_poll.first_time(lambda v: v == (2, None, None), after=t_del) - t_del).total_seconds()
        checks.check(f"deleting policy `up` restored minReplicas 2 and removed the annotations ({took:.1f} s)",
                     bool(restored))
        time.sleep(3)
        checks.equal("gw-down is untouched by deleting `up`", down_poll.current()[0], 2)

        # ---- the floors against the planner's decisions, moment by moment
        t_end = e2e.utcnow()
        floors = lambda p: [(t, v[0]) for t, v in p.history()]  # noqa: E731
        e2e.check_follows_planner(checks, "gw-down's floor", oracle_down, "gateway", floors(down_poll), 2, t0,
                                  t_end - dt.timedelta(seconds=1))
        e2e.check_follows_planner(checks, "gw-up's floor (until the policy was deleted)", oracle_up, "gateway",
                                  floors(up_poll), 2, t0, t_del - dt.timedelta(seconds=1))

        errors = controller.value("prebell_reconcile_total", result="error") or 0
        checks.check("no reconcile ended in an error", errors == 0, f"{errors:.0f} errors")
        checks.check("the controller is still running", controller.running())
    except Failure as exc:
        checks.fail("the test ran to the end", str(exc))
    finally:
        if controller:
            rc = controller.stop()
            checks.equal("SIGTERM: the controller exits with status 0", rc, 0)
            if checks.failed:
                print(f"--- controller log (tail) {controller.log_path}\n{controller.tail(80)}")
        for p in pollers:
            p.stop()
        e2e.cleanup_namespace(api, ns)
    return checks.finish()


def count_changes(history) -> int:
    n = 0
    for (_, a), (_, b) in zip(history, history[1:]):
        if a[0] != b[0]:
            n += 1
    return n


def check_status(checks: Checks, api, cp, controller, ns: str, up_start: dt.datetime, oracle_up) -> None:
    now = e2e.utcnow()
    # What the planner decided over the last replan interval (status follows each plan).
    planned = {oracle_up.decision(now - dt.timedelta(seconds=s), "gateway") for s in range(0, 18)}
    tt = api.get(path("Timetable", ns, "upcoming"))
    st = tt.get("status") or {}
    for ctype in ("Valid", "Ready"):
        c = e2e.condition(tt, ctype)
        checks.check(f"Timetable upcoming: condition {ctype}=True with observedGeneration",
                     c is not None and c.get("status") == "True"
                     and c.get("observedGeneration") == tt["metadata"]["generation"]
                     and bool(c.get("lastTransitionTime")) and bool(c.get("reason")), f"got {c}")
    checks.equal("Timetable upcoming: status.observedGeneration", st.get("observedGeneration"),
                 tt["metadata"]["generation"])
    nxt = (st.get("nextSessions") or [{}])[0]
    checks.equal("Timetable upcoming: nextSessions[0].name", nxt.get("name"), "algebra")
    checks.equal("Timetable upcoming: nextSessions[0].start (UTC, from Europe/Berlin local time)",
                 nxt.get("start"), e2e.rfc3339(up_start))
    checks.equal("Timetable upcoming: nextSessions[0].end", nxt.get("end"),
                 e2e.rfc3339(up_start + dt.timedelta(minutes=2)))
    checks.equal("Timetable upcoming: nextSessions[0].kind", nxt.get("kind"), "Class")
    checks.equal("Timetable upcoming: nextSessions[0].expectedAttendance", nxt.get("expectedAttendance"), 300)
    checks.check("Timetable upcoming: nextSessions[0].predictedPeak > 0",
                 isinstance(nxt.get("predictedPeak"), (int, float)) and nxt["predictedPeak"] > 0, f"got {nxt}")
    checks.check("Timetable upcoming: nextSessionStartsIn is a duration",
                 bool(st.get("nextSessionStartsIn")) and st["nextSessionStartsIn"][0].isdigit(),
                 f"got {st.get('nextSessionStartsIn')!r}")
    fin = api.get(path("Timetable", ns, "finishing"))
    c = e2e.condition(fin, "Valid")
    checks.check("Timetable finishing: Valid=True", c is not None and c.get("status") == "True", f"got {c}")

    sp = api.get(path("ScalingPolicy", ns, "up"))
    st = sp.get("status") or {}
    for ctype in ("Ready", "TargetsFound"):
        c = e2e.condition(sp, ctype)
        checks.check(f"ScalingPolicy up: condition {ctype}=True with observedGeneration",
                     c is not None and c.get("status") == "True"
                     and c.get("observedGeneration") == sp["metadata"]["generation"], f"got {c}")
    checks.equal("ScalingPolicy up: status.observedGeneration", st.get("observedGeneration"),
                 sp["metadata"]["generation"])
    tgt = (st.get("targets") or [{}])[0]
    checks.equal("ScalingPolicy up: targets[0].name", tgt.get("name"), "gateway")
    checks.check(f"ScalingPolicy up: targets[0].plannedReplicas is the plan's value now {sorted(planned)}",
                 tgt.get("plannedReplicas") in planned, f"got {tgt.get('plannedReplicas')}")
    checks.check("ScalingPolicy up: targets[0].currentReplicas is a count",
                 isinstance(tgt.get("currentReplicas"), int), f"got {tgt}")
    checks.check("ScalingPolicy up: targets[0].reason says why", bool(tgt.get("reason")), f"got {tgt}")
    checks.check("ScalingPolicy up: plannedSummary", st.get("plannedSummary") in {f"gateway={v}" for v in planned},
                 f"got {st.get('plannedSummary')!r}, plan {sorted(planned)}")
    checks.check("ScalingPolicy up: currentSummary", str(st.get("currentSummary", "")).startswith("gateway="),
                 f"got {st.get('currentSummary')!r}")
    fc = st.get("forecast") or {}
    checks.check("ScalingPolicy up: forecast.nextPeakConnections > 0",
                 isinstance(fc.get("nextPeakConnections"), (int, float)) and fc["nextPeakConnections"] > 0,
                 f"got {fc}")
    if fc.get("nextPeakTime"):
        peak_t = e2e.parse_time(fc["nextPeakTime"])
        checks.check("ScalingPolicy up: forecast.nextPeakTime around the class",
                     up_start - dt.timedelta(minutes=15) <= peak_t <= up_start + dt.timedelta(minutes=10),
                     f"{fc['nextPeakTime']} vs class at {e2e.rfc3339(up_start)}")
    else:
        checks.fail("ScalingPolicy up: forecast.nextPeakTime", f"missing: {fc}")
    last = st.get("lastPlanTime")
    checks.check("ScalingPolicy up: lastPlanTime within the last 2 minutes",
                 bool(last) and (e2e.utcnow() - e2e.parse_time(last)).total_seconds() < 120, f"got {last!r}")

    header, rows = e2e.kubectl_table(cp, "tt", "-n", ns)
    checks.check("kubectl get tt: printer columns", header[:6] == ["NAME", "NEXT", "STARTS IN", "EXPECTED PEAK",
                                                                   "READY", "AGE"], f"header {header}")
    row = next((r for r in rows if r[0] == "upcoming"), [])
    checks.check("kubectl get tt: upcoming shows its next class, when, the peak and Ready",
                 len(row) >= 6 and row[1] == "algebra" and row[2] not in ("", "<none>")
                 and row[3].isdigit() and row[4] == "True", f"row {row}")
    header, rows = e2e.kubectl_table(cp, "sp", "-n", ns)
    checks.check("kubectl get sp: printer columns", header[:7] == ["NAME", "MODE", "PLANNED", "CURRENT",
                                                                   "EXPECTED PEAK", "READY", "AGE"], f"header {header}")
    row = next((r for r in rows if r[0] == "up"), [])
    checks.check("kubectl get sp: up shows mode, planned and current replicas, peak, Ready",
                 len(row) >= 7 and row[1] == "Active" and row[2] in {f"gateway={v}" for v in planned}
                 and row[3].startswith("gateway=") and row[4].isdigit() and row[5] == "True", f"row {row}")
    both = cp.kubectl("get", "tt,sp", "-n", ns).stdout
    checks.check("kubectl get tt,sp lists both kinds", "timetable.prebell.io/upcoming" in both
                 and "scalingpolicy.prebell.io/up" in both, both)

    m = lambda name, **l: controller.value(name, namespace=ns, **l)  # noqa: E731
    desired = m("prebell_desired_replicas", policy="up", target="gateway")
    checks.check("metric prebell_desired_replicas{policy=up} is the plan's value now",
                 desired is not None and int(desired) in planned, f"got {desired}, plan {sorted(planned)}")
    checks.equal("metric prebell_plan_applied{policy=up}", m("prebell_plan_applied", policy="up", target="gateway"), 1.0)
    checks.equal("metric prebell_policy_info{policy=up,mode=Active}", m("prebell_policy_info", policy="up", mode="Active"),
                 1.0)
    checks.equal("metric prebell_schedule_window_active{kind=class} (nothing live)",
                 m("prebell_schedule_window_active", kind="class"), 0.0)
    checks.equal("metric prebell_schedule_next_start_timestamp_seconds{kind=class}",
                 m("prebell_schedule_next_start_timestamp_seconds", kind="class"), up_start.timestamp())
    checks.equal("metric prebell_is_leader", controller.value("prebell_is_leader"), 1.0)


if __name__ == "__main__":
    sys.exit(main())
