#!/usr/bin/env python3
"""`prebell run` under faults: conflicts, an API server restart mid-watch, a
watch that must relist (410), and leader election between two processes.

A control plane of its own: kube-apiserver with its watch cache off (watches
are served by etcd, so a compacted resourceVersion really answers 410) and an
audit log (every write, by whom, with what answer). Two controllers, `a` and
`b`, each with its own ServiceAccount bound to the chart's ClusterRole and
leader-election Role, both reaching the API server through a TCP forwarder of
this test (so it can cut them off). One HPA (minReplicas 2) in namespace
`faults`, a policy `p` over it, a class in progress whose attendance the test
edits to move the plan.

  1. leader election: `a` leads, `b` stands by (ready, not leader, no writes)
  2. 409: someone else updates the Lease and keeps updating the HPA and the
     policy while a new plan must be written: the leader keeps its lease, the
     floor gets the new value exactly once, nobody's fields are lost
  3. the API server restarts mid-watch: both reconnect, exactly one leads,
     the next plan change is applied
  4. SIGKILL the leader: the other takes over within the lease time and writes
  5. SIGTERM the new leader: it releases the lease at once, exits 0, and the
     standby (the restarted first one) takes over in about a retry period
  6. 410: the leader is cut off, the policy is deleted meanwhile, etcd is
     compacted; on reconnection the watch's resourceVersion is gone, the
     controller relists, sees the deletion it missed and gives the HPA its
     floor back
Throughout: every write to a workload, status or event comes from the process
holding the lease at that moment (audit log vs. lease history), and no floor
value is written twice in a row.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import sys
import threading
import time

import e2e
from e2e import Checks, Failure, log, path

RELEASE = "faults"
RELEASE_NS = "prebell-system"
LEASE = f"{RELEASE}-prebell"
NS = "faults"
AUDIT_POLICY = {
    "apiVersion": "audit.k8s.io/v1", "kind": "Policy", "omitStages": ["RequestReceived"],
    "rules": [
        {"level": "Request", "verbs": ["create", "update", "patch", "delete"],
         "userGroups": ["system:serviceaccounts"]},
        {"level": "Metadata", "userGroups": ["system:serviceaccounts"]},
        {"level": "None"},
    ],
}
LEASE_DURATION = 15
RETRY_PERIOD = 2


def sa_user(name: str) -> str:
    return f"system:serviceaccount:{RELEASE_NS}:prebell-{name}"


class Audit:
    def __init__(self, file):
        self.file = file

    def events(self) -> list[dict]:
        out = []
        try:
            text = self.file.read_text(errors="replace")
        except OSError:
            return out
        for line in text.splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def writes(self, user: str | None = None, resource: str | None = None, since: dt.datetime | None = None):
        out = []
        for e in self.events():
            if e.get("stage") != "ResponseComplete" or e.get("verb") not in ("create", "update", "patch", "delete"):
                continue
            if user and e.get("user", {}).get("username") != user:
                continue
            ref = e.get("objectRef") or {}
            if resource and ref.get("resource") != resource:
                continue
            t = e2e.parse_time(e["requestReceivedTimestamp"])
            if since and t < since:
                continue
            out.append(e)
        return out


def main() -> int:
    args = e2e.common_args(__doc__.splitlines()[0]).parse_args()
    prebell = e2e.find_prebell(args.prebell)
    work = e2e.workdir_for(args, "faults")
    checks = Checks()
    cp = None
    proxy = None
    ctl: dict[str, e2e.Controller] = {}
    pollers = []
    try:
        (work / "audit-policy.json").write_text(json.dumps(AUDIT_POLICY))
        audit_file = work / "audit.log"
        audit_file.unlink(missing_ok=True)
        cp = e2e.ControlPlane.start(work / "controlplane", "--apiserver-arg=--watch-cache=false",
                                    f"--apiserver-arg=--audit-policy-file={work / 'audit-policy.json'}",
                                    f"--apiserver-arg=--audit-log-path={audit_file}",
                                    "--apiserver-arg=--audit-log-format=json",
                                    "--apiserver-arg=--audit-log-mode=blocking")
        audit = Audit(audit_file)
        api = cp.api
        cp.apply_crds()
        objects = e2e.chart_objects(cp, RELEASE, RELEASE_NS, "stack.centrifugo.enabled=false",
                                    "stack.redis.enabled=false", "stack.livekit.enabled=false",
                                    "stack.scalingPolicy.enabled=false", "stack.timetable.enabled=false",
                                    "prometheusOperator.enabled=false")
        api.ensure_namespace(RELEASE_NS)
        api.ensure_namespace(NS)
        for o in objects:
            if o.get("kind") == "Role":
                o["metadata"].setdefault("namespace", RELEASE_NS)
            if o.get("kind") in ("ClusterRole", "Role"):
                api.create(o)
        cluster_role = next(o for o in objects if o["kind"] == "ClusterRole")["metadata"]["name"]
        le_role = next(o for o in objects if o["kind"] == "Role")["metadata"]["name"]
        proxy = e2e.TcpProxy(cp.server)
        kubeconfigs = {}
        for who in ("a", "b"):
            sa = f"prebell-{who}"
            token = cp.token(RELEASE_NS, sa)
            subject = [{"kind": "ServiceAccount", "name": sa, "namespace": RELEASE_NS}]
            api.create({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                        "metadata": {"name": f"e2e-{sa}"}, "subjects": subject,
                        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": cluster_role}})
            api.create({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                        "metadata": {"name": f"e2e-{sa}", "namespace": RELEASE_NS}, "subjects": subject,
                        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": le_role}})
            kubeconfigs[who] = str(cp.token_kubeconfig(work / f"{who}.kubeconfig", token, server=proxy.url))

        def new_controller(who: str) -> e2e.Controller:
            return e2e.Controller(prebell, work, f"controller-{who}", kubeconfigs[who], identity=who,
                                  lease_name=LEASE, lease_namespace=RELEASE_NS)

        now = e2e.utcnow().replace(microsecond=0)
        api.create(e2e.deployment(NS, "gw", 2))
        api.create(e2e.hpa(NS, "gw", "gw", 2, 40))
        tt = e2e.timetable(NS, "term", "UTC", [e2e.session("lab", now - dt.timedelta(minutes=1), "UTC", "40m", 300)])
        policy = e2e.scaling_policy(NS, "p", [e2e.target("gateway", "HorizontalPodAutoscaler", "gw", cpr=40,
                                                         warmup="30s", min_replicas=2, max_replicas=40,
                                                         scaleDownDelay="0s", maxScaleDownStep=50)])
        api.create(tt)
        api.create(policy)

        def planned(attendance: int) -> int:
            t = json.loads(json.dumps(tt))
            t["spec"]["sessions"][0]["expectedAttendance"] = attendance
            return e2e.plan_oracle(prebell, work, [t], policy, e2e.utcnow())["gateway"].now_value

        def set_attendance(n: int) -> None:
            api.merge_patch(path("Timetable", NS, "term"),
                            {"spec": {"sessions": [dict(tt["spec"]["sessions"][0], expectedAttendance=n)]}})

        want = {n: planned(n) for n in (150, 300, 450, 600)}
        log(f"planned floors by attendance: {want}")
        if len(set(want.values())) != 4:
            raise Failure(f"test setup: attendances should give four different floors: {want}")

        floor = e2e.Poller("floor", lambda: e2e.hpa_floor(api, NS, "gw"))
        holder = e2e.Poller("holder", lambda: (api.get(path("Lease", RELEASE_NS, LEASE), missing_ok=True) or
                                               {"spec": {}})["spec"].get("holderIdentity"), period=0.25)
        pollers = [floor, holder]
        for p in pollers:
            p.start()

        # ---- 1. leader election
        ctl["a"] = new_controller("a").start()
        ctl["a"].wait_ready(90)
        holder.wait_value("a to hold the lease", lambda v: v == "a", 30)
        floor.wait_value(f"the floor at {want[300]}", lambda v: v and v[0] == want[300], 60)
        ctl["b"] = new_controller("b").start()
        ctl["b"].wait_ready(90)
        t_b = e2e.utcnow()
        time.sleep(10)
        checks.equal("b stands by: prebell_is_leader 0", ctl["b"].value("prebell_is_leader"), 0.0)
        checks.equal("a leads: prebell_is_leader 1", ctl["a"].value("prebell_is_leader"), 1.0)
        b_writes = [w for w in audit.writes(user=sa_user("b"), since=t_b) if w["objectRef"].get("resource") != "leases"]
        checks.check("the standby writes nothing (audit log)", not b_writes, describe(b_writes))
        b_lease_writes = [w for w in audit.writes(user=sa_user("b"), resource="leases", since=t_b)
                          if w.get("responseStatus", {}).get("code", 0) < 300]
        checks.check("the standby does not take the lease while it is renewed", not b_lease_writes,
                     describe(b_lease_writes))

        # ---- 2. conflicts
        t2 = e2e.utcnow()
        api.merge_patch(path("Lease", RELEASE_NS, LEASE), {"metadata": {"annotations": {"e2e/touched": "1"}}})
        noise = Noise(api)
        noise.start()
        set_attendance(450)
        try:
            floor.wait_value(f"the floor at {want[450]} despite concurrent writers", lambda v: v and v[0] == want[450], 60)
            checks.check("a new plan is written while others update the HPA", True)
        except Failure as exc:
            checks.fail("a new plan is written while others update the HPA", str(exc))
        time.sleep(8)
        noise.stop()
        checks.check("the concurrent writers made progress", noise.hpa_writes > 10 and noise.sp_writes > 5,
                     f"HPA {noise.hpa_writes} writes, policy {noise.sp_writes} writes")
        hpa_obj = api.get(path("HorizontalPodAutoscaler", NS, "gw"))
        checks.equal("the other writer's HPA annotation survives (no lost write)",
                     hpa_obj["metadata"].get("annotations", {}).get("e2e/noise"), str(noise.last_hpa))
        sp_obj = api.get(path("ScalingPolicy", NS, "p"))
        checks.equal("the other writer's policy label survives", sp_obj["metadata"].get("labels", {}).get("e2e-noise"),
                     str(noise.last_sp))
        try:
            e2e.wait_for("the policy's status to show the new plan",
                         lambda: (api.get(path("ScalingPolicy", NS, "p")).get("status") or {}).get("plannedSummary")
                         == f"gateway={want[450]}", 30)
            checks.check("the policy's status is written despite concurrent metadata updates", True)
        except Failure as exc:
            checks.fail("the policy's status is written despite concurrent metadata updates", str(exc))
        checks.equal("a kept the lease through the conflict", holder.current(), "a")
        lease_409 = [w for w in audit.writes(user=sa_user("a"), resource="leases", since=t2)
                     if w.get("responseStatus", {}).get("code") == 409]
        all_409 = [w for w in audit.writes(since=t2) if w.get("responseStatus", {}).get("code") == 409
                   and w["user"]["username"] in (sa_user("a"), sa_user("b"))]
        floor_writes = hpa_floor_writes(audit, since=t2)
        checks.check(f"the floor {want[450]} is written exactly once (got {len(floor_writes)} writes)",
                     [v for _, _, v in floor_writes] == [want[450]], describe_floor(floor_writes))
        checks.note(f"conflicts (409) answered to the controllers during phase 2: {len(all_409)} "
                    f"({len(lease_409)} on the Lease): {describe(all_409)}")
        ok409 = all(any(w2["objectRef"].get("resource") == w["objectRef"].get("resource")
                        and w2["objectRef"].get("subresource") == w["objectRef"].get("subresource")
                        and w2["user"]["username"] == w["user"]["username"]
                        and w2.get("responseStatus", {}).get("code", 0) < 300
                        and w2["requestReceivedTimestamp"] > w["requestReceivedTimestamp"]
                        for w2 in audit.writes(since=t2)) for w in all_409)
        checks.check("every 409 was followed by a successful retry of the same write", ok409, describe(all_409))

        # ---- 3. API server restart mid-watch
        before = {w: (c.requests(verb="list"), c.requests(verb="watch")) for w, c in ctl.items()}
        took = cp.restart_apiserver()
        log(f"kube-apiserver restarted in {took:.1f} s")
        for c in ctl.values():
            c.wait_ready(60)
        leader = e2e.wait_for("exactly one leader after the restart", lambda: one_leader(ctl), 60)
        set_attendance(600)
        try:
            floor.wait_value(f"the floor at {want[600]} after the restart", lambda v: v and v[0] == want[600], 60)
            checks.check(f"after the API server restart the controller converges ({leader} leads)", True)
        except Failure as exc:
            checks.fail("after the API server restart the controller converges", str(exc))
        for w, c in ctl.items():
            lists, watches = c.requests(verb="list"), c.requests(verb="watch")
            checks.check(f"{w} re-opened its watches after the restart", watches > before[w][1],
                         f"watch requests {before[w][1]:.0f} -> {watches:.0f}")
            checks.note(f"{w}: list requests {before[w][0]:.0f} -> {lists:.0f} across the restart "
                        f"(resuming from the last resourceVersion needs none)")

        # ---- 4. SIGKILL the leader
        standby = "b" if leader == "a" else "a"
        t_kill = time.monotonic()
        ctl[leader].signal(signal.SIGKILL)
        ctl[leader].wait_exit(10)
        holder.wait_value(f"{standby} to take the lease", lambda v: v == standby, LEASE_DURATION + 30)
        took = time.monotonic() - t_kill
        # Worst case: the leader renewed just before the kill; the standby sees
        # that renewal up to a retry period later, counts the lease from then,
        # and tries again up to a retry period after it expired. Then 3 s for
        # the update itself and this test's polling.
        checks.check(f"after SIGKILL of the leader the standby leads within lease + 2 retry periods ({took:.1f} s)",
                     took <= LEASE_DURATION + 2 * RETRY_PERIOD + 3, f"took {took:.1f} s")
        set_attendance(150)
        try:
            floor.wait_value(f"the floor at {want[150]} from the new leader", lambda v: v and v[0] == want[150], 60)
            checks.check("the new leader writes", True)
        except Failure as exc:
            checks.fail("the new leader writes", str(exc))

        # ---- 5. SIGTERM releases the lease at once
        ctl[leader] = new_controller(leader).start()
        ctl[leader].wait_ready(90)
        time.sleep(3)
        t_term = time.monotonic()
        ctl[standby].signal(signal.SIGTERM)
        holder.wait_value(f"{leader} to take the released lease", lambda v: v == leader, LEASE_DURATION + 30)
        took = time.monotonic() - t_term
        checks.check(f"after SIGTERM of the leader the standby leads at once ({took:.1f} s, lease {LEASE_DURATION} s)",
                     took <= 2 * RETRY_PERIOD + 4, f"took {took:.1f} s")
        rc = ctl[standby].wait_exit(35)
        checks.equal("SIGTERM: the old leader exits with status 0 within the grace period", rc, 0)
        del ctl[standby]

        # ---- 6. 410: cut off, miss a deletion, relist
        c = ctl[leader]
        set_attendance(300)
        floor.wait_value(f"the floor at {want[300]}", lambda v: v and v[0] == want[300], 60)
        lists_before = c.requests(verb="list", resource="scalingpolicies")
        cut = proxy.partition()
        t_cut = time.monotonic()
        log(f"partitioned the controller from the API server ({cut} connections cut)")
        api.delete(path("ScalingPolicy", NS, "p"))
        for i in range(20):
            api.create({"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": f"churn-{i}", "namespace": RELEASE_NS}, "data": {"i": str(i)}})
        rev = cp.etcd_revision()
        cp.etcd_compact(rev)
        log(f"etcd compacted at revision {rev}")
        time.sleep(max(0.0, 5 - (time.monotonic() - t_cut)))
        proxy.heal()
        log("healed the partition")
        try:
            floor.wait_value("the HPA's floor restored to 2 with the annotations removed",
                             lambda v: v == (2, None, None), 60)
            checks.check("after a 410 the controller relists and acts on the deletion it missed", True)
        except Failure as exc:
            checks.fail("after a 410 the controller relists and acts on the deletion it missed", str(exc))
        lists_after = c.requests(verb="list", resource="scalingpolicies")
        checks.check("the controller relisted ScalingPolicies after the 410", lists_after > lists_before,
                     f"list requests {lists_before:.0f} -> {lists_after:.0f}")
        gone = [r for r in c.log_records() if "410" in json.dumps(r) or "expired" in json.dumps(r).lower()
                or "gone" in json.dumps(r).lower()]
        checks.note(f"log records about the expired resourceVersion: {len(gone)}"
                    + (f", e.g. {json.dumps(gone[0])[:300]}" if gone else ""))
        checks.equal("still exactly one leader", one_leader(ctl), leader)

        # ---- throughout: only the lease holder writes; no floor written twice in a row
        time.sleep(2)
        history = holder.history()
        bad = []
        for w in audit.writes():
            user = w["user"]["username"]
            if user not in (sa_user("a"), sa_user("b")) or w["objectRef"].get("resource") == "leases":
                continue
            if w.get("responseStatus", {}).get("code", 0) >= 300:
                continue
            who = user.rsplit("-", 1)[-1]
            t = e2e.parse_time(w["requestReceivedTimestamp"])
            if not held_around(history, who, t):
                bad.append(w)
        checks.check("every write came from the process holding the lease at the time", not bad, describe(bad))
        fw = hpa_floor_writes(audit)
        repeats = [(a, b) for a, b in zip(fw, fw[1:]) if a[2] == b[2]]
        checks.check(f"no floor value written twice in a row ({len(fw)} floor writes)", not repeats,
                     describe_floor(fw))
    except Failure as exc:
        checks.fail("the test ran to the end", str(exc))
    finally:
        for p in pollers:
            p.stop()
        for who, c in ctl.items():
            rc = c.stop()
            checks.equal(f"SIGTERM: controller {who} exits with status 0", rc, 0)
        if checks.failed:
            for who, c in ctl.items():
                print(f"--- controller {who} log (tail) {c.log_path}\n{c.tail(60)}")
        if proxy:
            proxy.close()
        if cp:
            cp.stop()
    return checks.finish()


class Noise(threading.Thread):
    """Someone else: read-modify-write updates (PUT with resourceVersion) of
    the HPA's annotations and the policy's labels, as fast as they go."""

    def __init__(self, api: e2e.Api):
        super().__init__(daemon=True)
        self.api = api  # connections are per thread
        self._halt = threading.Event()
        self.hpa_writes = self.sp_writes = 0
        self.last_hpa = self.last_sp = None
        self.i = 0

    def run(self) -> None:
        while not self._halt.is_set():
            self.i += 1
            for kind, name, field in (("HorizontalPodAutoscaler", "gw", "annotations"),
                                      ("ScalingPolicy", "p", "labels")):
                try:
                    obj = self.api.get(path(kind, NS, name))
                    if field == "annotations":
                        obj["metadata"].setdefault("annotations", {})["e2e/noise"] = str(self.i)
                    else:
                        obj["metadata"].setdefault("labels", {})["e2e-noise"] = str(self.i)
                    status, _ = self.api.request("PUT", path(kind, NS, name), obj)
                    if status == 200:
                        if kind == "ScalingPolicy":
                            self.sp_writes += 1
                            self.last_sp = self.i
                        else:
                            self.hpa_writes += 1
                            self.last_hpa = self.i
                except Exception:  # noqa: BLE001 - a conflict of our own is part of the game
                    pass
            time.sleep(0.1)

    def stop(self) -> None:
        self._halt.set()
        self.join(10)


def hpa_floor_writes(audit: Audit, since: dt.datetime | None = None) -> list[tuple[dt.datetime, str, int]]:
    """Successful controller writes to the HPA that set spec.minReplicas."""
    out = []
    for w in audit.writes(resource="horizontalpodautoscalers", since=since):
        user = w["user"]["username"]
        if user not in (sa_user("a"), sa_user("b")) or w.get("responseStatus", {}).get("code", 0) >= 300:
            continue
        body = w.get("requestObject")
        value = None
        if isinstance(body, dict):
            value = (body.get("spec") or {}).get("minReplicas")
        elif isinstance(body, list):  # JSON patch
            for op in body:
                if op.get("path") == "/spec/minReplicas" and op.get("op") in ("replace", "add"):
                    value = op.get("value")
        if value is not None:
            out.append((e2e.parse_time(w["requestReceivedTimestamp"]), user.rsplit("-", 1)[-1], int(value)))
    return out


def held_around(history, who: str, t: dt.datetime, slack: float = 1.5) -> bool:
    """`who` held the lease at some moment within `slack` s of t (the lease
    poller samples every 0.25 s; a write right after taking the lease may
    precede the first sample that shows it)."""
    lo, hi = t - dt.timedelta(seconds=slack), t + dt.timedelta(seconds=slack)
    for i, (at, v) in enumerate(history):
        until = history[i + 1][0] if i + 1 < len(history) else e2e.utcnow()
        if v == who and at <= hi and until >= lo:
            return True
    return False


def one_leader(ctl: dict) -> str | None:
    leaders = [w for w, c in ctl.items() if c.running() and c.value("prebell_is_leader") == 1.0]
    return leaders[0] if len(leaders) == 1 else None


def describe(writes: list[dict]) -> str:
    return "; ".join(f"{w.get('requestReceivedTimestamp', '')[11:23]} {w['user']['username'].rsplit(':', 1)[-1]} "
                     f"{w['verb']} {w['objectRef'].get('resource')}/{w['objectRef'].get('name')}"
                     f"{'/' + w['objectRef']['subresource'] if w['objectRef'].get('subresource') else ''} "
                     f"-> {w.get('responseStatus', {}).get('code')}" for w in writes[:12])


def describe_floor(fw) -> str:
    return ", ".join(f"{t.strftime('%H:%M:%S.%f')[:12]} {who}={v}" for t, who, v in fw)


if __name__ == "__main__":
    sys.exit(main())
