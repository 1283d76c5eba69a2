#!/usr/bin/env python3
"""`prebell run` scales workloads without an HPA through the scale subresource;
a Shadow policy writes nothing to its workload but says in its status what it
would do.

Against the shared control plane, in a namespace of its own:

  policy `active` (Active), Timetable `finishing` (label track=finishing):
      target `gateway` -> Deployment gw, target `redis` -> StatefulSet cache.
      The class's planning window ends about 90 s after the controller starts:
      both are scaled up at once through /scale, held, then stepped back down.
  policy `rising` (Active), Timetable `upcoming`: Deployment gw-up, raised
      through /scale when the plan says (about a minute in), not before.
  policy `shadow` (Shadow), Timetable `finishing`: Deployment gw-shadow. Its
      spec.replicas never changes; its status plans what `active` does.

The timelines are compared with `prebell plan` on the same manifests (the
controller's own Planner). Writes are counted from the controller's
prebell_kubernetes_requests_total: one scale write per change, none for the
Shadow workload.
"""

from __future__ import annotations

import datetime as dt
import sys
import time

import e2e
from e2e import Checks, Failure, log, path

ZONE = "America/New_York"


def main() -> int:
    args = e2e.common_args(__doc__.splitlines()[0]).parse_args()
    prebell = e2e.find_prebell(args.prebell)
    work = e2e.workdir_for(args, "scale")
    cp = e2e.ControlPlane.shared(args.controlplane)
    api = cp.api
    checks = Checks()
    ns = f"e2e-scale-{e2e.suffix()}"
    controller = None
    pollers = {}
    try:
        cp.apply_crds()
        api.ensure_namespace(ns)
        step = dict(stepPeriod="10s", scaleDownDelay="0s", maxScaleDownStep=2)
        t_gw = e2e.target("gateway", "Deployment", "gw", cpr=40, warmup="30s", min_replicas=2, max_replicas=20, **step)
        t_redis = e2e.target("redis", "StatefulSet", "cache", cpr=150, warmup="20s", min_replicas=1, max_replicas=3,
                             **step)
        t_up = e2e.target("gateway", "Deployment", "gw-up", cpr=40, warmup="30s", min_replicas=2, max_replicas=20,
                          **step)
        t_shadow = e2e.target("gateway", "Deployment", "gw-shadow", cpr=40, warmup="30s", min_replicas=2,
                              max_replicas=20, **step)
        probe = e2e.plan_offsets(prebell, work, t_up, duration="2m", attendance=300, zone=ZONE)
        probe_fin = e2e.plan_offsets(prebell, work, t_gw, duration="1m", attendance=300, zone=ZONE)
        log(f"planner: raise {probe['raise_lead']:.0f} s before a class; after a 1m class steps down at "
            f"{probe_fin['down_steps']} (s after its end, replicas)")

        for name in ("gw", "gw-up", "gw-shadow"):
            api.create(e2e.deployment(ns, name, 2))
        api.create(e2e.stateful_set(ns, "cache", 1))

        t0 = e2e.utcnow().replace(microsecond=0) + dt.timedelta(seconds=8)
        up_start = t0 + dt.timedelta(seconds=probe["raise_lead"] + 60)
        fin_start = t0 + dt.timedelta(seconds=100 - probe_fin["down_steps"][-1][0] - 60)
        tt_fin = e2e.timetable(ns, "finishing", ZONE, [e2e.session("intro", fin_start, ZONE, "1m", 300)],
                               labels={"track": "finishing"})
        tt_up = e2e.timetable(ns, "upcoming", ZONE, [e2e.session("algebra", up_start, ZONE, "2m", 300,
                                                                   course="math101")],
                              labels={"track": "upcoming"})
        fin_sel = {"matchLabels": {"track": "finishing"}}
        sp_active = e2e.scaling_policy(ns, "active", [t_gw, t_redis], selector=fin_sel)
        sp_rising = e2e.scaling_policy(ns, "rising", [t_up], selector={"matchLabels": {"track": "upcoming"}})
        sp_shadow = e2e.scaling_policy(ns, "shadow", [t_shadow], selector=fin_sel, mode="Shadow")
        for obj in (tt_fin, tt_up, sp_active, sp_rising, sp_shadow):
            api.create(obj)

        for kind, name in (("Deployment", "gw"), ("StatefulSet", "cache"), ("Deployment", "gw-up"),
                           ("Deployment", "gw-shadow")):
            pollers[name] = e2e.Poller(name, lambda k=kind, n=name: e2e.replicas_of(api, k, ns, n))
            pollers[name].start()
        while e2e.utcnow() < t0:
            time.sleep(0.1)
        oracle_active = e2e.PlanOracle(prebell, work / "oracle-active", [tt_fin], sp_active)
        oracle_up = e2e.PlanOracle(prebell, work / "oracle-rising", [tt_up], sp_rising)
        oracle_shadow = e2e.PlanOracle(prebell, work / "oracle-shadow", [tt_fin], sp_shadow)
        plan_active = oracle_active.at(t0)
        plan_up = oracle_up.at(t0)["gateway"]
        plan_shadow = oracle_shadow.at(t0)["gateway"]
        for name, tl in (("active/gateway", plan_active["gateway"]), ("active/redis", plan_active["redis"]),
                         ("rising/gateway", plan_up), ("shadow/gateway", plan_shadow)):
            log(f"plan {name}: {tl}")
        if plan_active["gateway"].now_value <= 2 or plan_up.now_value != 2 or not plan_up.changes:
            raise Failure("test setup: the plans do not have the intended shape (see above)")

        controller = e2e.Controller(prebell, work, "controller", cp.kubeconfig, namespaces=[ns],
                                    leader_elect=False).start()
        controller.wait_ready(90)

        gw_now = plan_active["gateway"].now_value
        pollers["gw"].wait_value(f"Deployment gw scaled to {gw_now} through /scale", lambda v: v == gw_now, 60)
        redis_now = plan_active["redis"].now_value
        if redis_now != 1:
            pollers["cache"].wait_value(f"StatefulSet cache scaled to {redis_now}", lambda v: v == redis_now, 60)

        # While the window holds: the shadow policy's status says what it would do.
        wait_for_status(api, ns, "shadow")
        sh = api.get(path("ScalingPolicy", ns, "shadow"))
        tgt = ((sh.get("status") or {}).get("targets") or [{}])[0]
        now = e2e.utcnow()
        near = {oracle_shadow.decision(now - dt.timedelta(seconds=s), "gateway") for s in range(0, 18)}
        checks.check(f"Shadow: status.targets[0].plannedReplicas is what it would ask for {sorted(near)}",
                     tgt.get("plannedReplicas") in near, f"got {tgt}")
        checks.equal("Shadow: status.targets[0].currentReplicas is the workload's", tgt.get("currentReplicas"), 2)
        checks.check("Shadow: status.targets[0].reason says why", bool(tgt.get("reason")), f"got {tgt}")
        checks.check("Shadow: plannedSummary", (sh.get("status") or {}).get("plannedSummary")
                     in {f"gateway={v}" for v in near}, f"got {sh.get('status')}")
        c = e2e.condition(sh, "Ready")
        checks.check("Shadow: Ready=True", c is not None and c.get("status") == "True", f"got {c}")
        desired = controller.value("prebell_desired_replicas", namespace=ns, policy="shadow", target="gateway")
        checks.check("Shadow: metric prebell_desired_replicas", desired is not None and int(desired) in near,
                     f"got {desired}, plan {sorted(near)}")
        checks.equal("Shadow: no prebell_plan_applied series (nothing is applied)",
                     controller.series("prebell_plan_applied", namespace=ns, policy="shadow"), [])
        checks.equal("metric prebell_policy_info{mode=Shadow}",
                     controller.value("prebell_policy_info", namespace=ns, policy="shadow", mode="Shadow"), 1.0)
        ac = api.get(path("ScalingPolicy", ns, "active"))
        now = e2e.utcnow()
        recent = [oracle_active.at(now - dt.timedelta(seconds=s)) for s in range(0, 18)]
        summaries = {f"gateway={p['gateway'].now_value},redis={p['redis'].now_value}" for p in recent}
        checks.check("Active: plannedSummary lists both targets in spec order",
                     (ac.get("status") or {}).get("plannedSummary") in summaries,
                     f"got {(ac.get('status') or {}).get('plannedSummary')!r}, plan {sorted(summaries)}")

        # The rising policy: raised through /scale when planned.
        raise_at, up_peak = plan_up.changes[0]
        pollers["gw-up"].wait_value(f"gw-up scaled to {up_peak}", lambda v: v == up_peak,
                                    max((raise_at - e2e.utcnow()).total_seconds() + 20, 20))
        raised = pollers["gw-up"].first_time(lambda v: v != 2)
        log(f"gw-up scaled at +{(raised - t0).total_seconds():.1f}s (the plan made at the start said "
            f"+{(raise_at - t0).total_seconds():.0f}s)")

        # Wait for the finishing window to be over and the steps down done.
        last = max([a for a, _ in plan_active["gateway"].changes + plan_active["redis"].changes] or [t0])
        if (last - e2e.utcnow()).total_seconds() > -20:
            time.sleep(max(0.0, (last - e2e.utcnow()).total_seconds() + 20))
        pollers["gw"].wait_value("gw back at 2", lambda v: v == 2, 40)
        t_end = e2e.utcnow()

        for name, poller, initial, oracle, tgt_name in (
                ("Deployment gw", pollers["gw"], 2, oracle_active, "gateway"),
                ("StatefulSet cache", pollers["cache"], 1, oracle_active, "redis"),
                ("Deployment gw-up", pollers["gw-up"], 2, oracle_up, "gateway")):
            e2e.check_follows_planner(checks, f"{name}'s replicas", oracle, tgt_name, poller.history(), initial, t0,
                                      t_end - dt.timedelta(seconds=1))
        shadow_changes = pollers["gw-shadow"].history()
        checks.check("Shadow: Deployment gw-shadow never changed", len(shadow_changes) == 1 and
                     shadow_changes[0][1] == 2, f"history {[(e2e.rfc3339(t), v) for t, v in shadow_changes]}")

        changes = sum(len(p.history()) - 1 for n, p in pollers.items() if n != "gw-shadow")
        writes = sum(controller.requests(verb=v, resource="scale", result="success") for v in ("patch", "update"))
        checks.check("one successful scale write per replica change (none for Shadow, none repeated)",
                     writes == changes, f"{writes:.0f} scale writes for {changes} changes")
        hpa_writes = controller.requests(resource="horizontalpodautoscalers", verb="patch")
        checks.equal("no HPA writes without HPAs", hpa_writes, 0.0)
        dep = api.get(path("Deployment", ns, "gw"))
        managers = {f.get("manager") for f in dep["metadata"].get("managedFields", [])
                    if f.get("subresource") == "scale"}
        checks.check("the Deployment's replicas were written through the scale subresource",
                     bool(managers), f"managedFields {dep['metadata'].get('managedFields')}")
        errors = controller.value("prebell_reconcile_total", result="error") or 0
        checks.check("no reconcile ended in an error", errors == 0, f"{errors:.0f} errors")
    except Failure as exc:
        checks.fail("the test ran to the end", str(exc))
    finally:
        if controller:
            rc = controller.stop()
            checks.equal("SIGTERM: the controller exits with status 0", rc, 0)
            if checks.failed:
                print(f"--- controller log (tail) {controller.log_path}\n{controller.tail(80)}")
        for p in pollers.values():
            p.stop()
        e2e.cleanup_namespace(api, ns)
    return checks.finish()


def wait_for_status(api, ns: str, name: str) -> None:
    e2e.wait_for(f"ScalingPolicy {name}'s status",
                 lambda: ((api.get(path("ScalingPolicy", ns, name)).get("status") or {}).get("targets")), 60)


if __name__ == "__main__":
    sys.exit(main())
