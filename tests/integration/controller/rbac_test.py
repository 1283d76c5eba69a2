#!/usr/bin/env python3
"""`prebell run` with exactly the permissions the Helm chart grants.

A control plane of its own (the controller runs cluster-wide, as the chart's
default install does, so it must not share a cluster with other tests).
`helm template charts/prebell` renders the ServiceAccount, ClusterRole,
ClusterRoleBinding and leader-election Role/RoleBinding; they are applied as
rendered, and the controller runs with a token of that ServiceAccount and the
command line of the chart's Deployment (only the metrics address and the
Prometheus URL point at this machine).

It must do its whole job: raise an HPA's floor, scale a Deployment through
/scale, import a calendar from a ConfigMap, write both kinds of status, record
a Warning event, hold its Lease, with no request refused (401/403). And the same
token is refused everything else: Secrets, other verbs on the same resources,
other Leases, other kinds (kubectl auth can-i, and real requests).
"""

from __future__ import annotations

import datetime as dt
import sys
import time

import e2e
from e2e import Checks, Failure, log, path

RELEASE = "e2e"
RELEASE_NS = "prebell-system"
NS = "campus"
RBAC_KINDS = {"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}

# (verb, resource, namespace or None for all, subresource or None, name or None, allowed)
CAN_I = [
    ("get", "timetables.prebell.io", NS, None, None, True),
    ("list", "timetables.prebell.io", None, None, None, True),
    ("watch", "scalingpolicies.prebell.io", None, None, None, True),
    ("patch", "timetables.prebell.io", NS, "status", None, True),
    ("update", "scalingpolicies.prebell.io", NS, "status", None, True),
    ("list", "configmaps", None, None, None, True),
    ("watch", "deployments.apps", None, None, None, True),
    ("patch", "deployments.apps", NS, "scale", None, True),
    ("update", "statefulsets.apps", NS, "scale", None, True),
    ("patch", "horizontalpodautoscalers.autoscaling", NS, None, None, True),
    ("create", "events", NS, None, None, True),
    ("create", "leases.coordination.k8s.io", RELEASE_NS, None, None, True),
    ("update", "leases.coordination.k8s.io", RELEASE_NS, None, f"{RELEASE}-prebell", True),
    # denied
    ("get", "secrets", NS, None, None, False),
    ("list", "secrets", None, None, None, False),
    ("watch", "secrets", RELEASE_NS, None, None, False),
    ("create", "timetables.prebell.io", NS, None, None, False),
    ("update", "timetables.prebell.io", NS, None, None, False),
    ("patch", "scalingpolicies.prebell.io", NS, None, None, False),
    ("delete", "timetables.prebell.io", NS, None, None, False),
    ("patch", "deployments.apps", NS, None, None, False),
    ("update", "deployments.apps", NS, None, None, False),
    ("delete", "deployments.apps", NS, None, None, False),
    ("update", "horizontalpodautoscalers.autoscaling", NS, None, None, False),
    ("delete", "horizontalpodautoscalers.autoscaling", NS, None, None, False),
    ("create", "horizontalpodautoscalers.autoscaling", NS, None, None, False),
    ("create", "configmaps", NS, None, None, False),
    ("update", "configmaps", NS, None, None, False),
    ("delete", "events", NS, None, None, False),
    ("create", "pods", NS, None, None, False),
    ("list", "nodes", None, None, None, False),
    ("get", "leases.coordination.k8s.io", RELEASE_NS, None, "someone-else", False),
    ("update", "leases.coordination.k8s.io", RELEASE_NS, None, "someone-else", False),
    ("delete", "leases.coordination.k8s.io", RELEASE_NS, None, f"{RELEASE}-prebell", False),
    ("create", "leases.coordination.k8s.io", NS, None, None, False),
    ("create", "clusterrolebindings.rbac.authorization.k8s.io", None, None, None, False),
    ("impersonate", "serviceaccounts", RELEASE_NS, None, None, False),
]


def main() -> int:
    args = e2e.common_args(__doc__.splitlines()[0]).parse_args()
    prebell = e2e.find_prebell(args.prebell)
    work = e2e.workdir_for(args, "rbac")
    checks = Checks()
    cp = None
    controller = None
    pollers = []
    try:
        cp = e2e.ControlPlane.start(work / "controlplane")
        api = cp.api
        cp.apply_crds()
        objects = e2e.chart_objects(cp, RELEASE, RELEASE_NS,
                                    "stack.centrifugo.enabled=false", "stack.redis.enabled=false",
                                    "stack.livekit.enabled=false", "stack.scalingPolicy.enabled=false",
                                    "stack.timetable.enabled=false", "prometheusOperator.enabled=false",
                                    f"controller.prometheusUrl=http://127.0.0.1:{e2e.free_port()}")
        rbac = [o for o in objects if o.get("kind") in RBAC_KINDS]
        kinds = sorted(o["kind"] for o in rbac)
        log(f"chart RBAC objects: {kinds}")
        if "ClusterRole" not in kinds or "ServiceAccount" not in kinds:
            raise Failure(f"the chart rendered no ClusterRole/ServiceAccount: {kinds}")
        api.ensure_namespace(RELEASE_NS)
        api.ensure_namespace(NS)
        for o in rbac:
            if e2e.KINDS[o["kind"]][2]:
                o["metadata"].setdefault("namespace", RELEASE_NS)
            api.create(o)
        sa = next(o for o in rbac if o["kind"] == "ServiceAccount")["metadata"]["name"]
        token = cp.token(RELEASE_NS, sa)
        kubeconfig = cp.token_kubeconfig(work / "prebell.kubeconfig", token)
        as_sa = e2e.Api(cp.server, cp.ca, token=token)

        # ---- the workload
        now = e2e.utcnow().replace(microsecond=0)
        api.create(e2e.deployment(NS, "gw", 2))
        api.create(e2e.hpa(NS, "gw", "gw", 2, 20))
        api.create(e2e.deployment(NS, "media", 1))
        good = e2e.timetable(NS, "term", "Europe/London",
                             [e2e.session("seminar", now - dt.timedelta(minutes=1), "Europe/London", "30m", 300)],
                             labels={"campus": "main"},
                             calendars=[{"configMapRef": {"name": "extra-ics", "key": "extra.ics"},
                                         "expectedAttendance": 50}])
        ev = now + dt.timedelta(hours=2)
        api.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "extra-ics", "namespace": NS},
                    "data": {"extra.ics": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nBEGIN:VEVENT\r\n"
                                          "UID:x@e2e\r\nDTSTAMP:20260101T000000Z\r\n"
                                          f"DTSTART:{ev.strftime('%Y%m%dT%H%M%SZ')}\r\nDURATION:PT1H\r\n"
                                          "SUMMARY:guest-lecture\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"}})
        bad = e2e.timetable(NS, "typo", "Europe/Lundon",
                            [e2e.session("x", now + dt.timedelta(hours=1), "UTC", "1h", 10)], labels={"campus": "other"})
        policy = e2e.scaling_policy(NS, "stack", [
            e2e.target("gateway", "HorizontalPodAutoscaler", "gw", cpr=40, warmup="30s", min_replicas=2, max_replicas=20),
            e2e.target("media", "Deployment", "media", spr=1, warmup="30s", min_replicas=1, max_replicas=5),
        ], selector={"matchLabels": {"campus": "main"}})
        for o in (good, bad, policy):
            api.create(o)
        t0 = e2e.utcnow()
        plan = e2e.plan_oracle(prebell, work, [good_without_calendar(good)], policy, t0)
        log(f"plan: gateway {plan['gateway']}, media {plan['media']}")

        chart_args = e2e.controller_args_from_chart(objects)
        run_args = [a for a in chart_args if not a.startswith("--metrics-address")]
        port = e2e.free_port()
        run_args.append(f"--metrics-address=127.0.0.1:{port}")
        controller = e2e.Controller(prebell, work, "controller", str(kubeconfig), args=run_args, port=port).start()
        controller.wait_ready(120)

        gw_want, media_want = plan["gateway"].now_value, plan["media"].now_value
        try:
            e2e.wait_for(f"HPA gw floor {gw_want}", lambda: e2e.hpa_floor(api, NS, "gw")[0] == gw_want, 90)
            checks.check(f"with the chart's role: HPA floor raised to {gw_want}", True)
        except Failure as exc:
            checks.fail("with the chart's role: HPA floor raised", str(exc))
        try:
            e2e.wait_for(f"Deployment media scaled to {media_want}",
                         lambda: e2e.replicas_of(api, "Deployment", NS, "media") == media_want, 60)
            checks.check(f"with the chart's role: Deployment media scaled to {media_want} through /scale", True)
        except Failure as exc:
            checks.fail("with the chart's role: Deployment media scaled", str(exc))
        try:
            st = e2e.wait_for("the Timetable's status with the imported event",
                              lambda: any(s.get("course") == "guest-lecture" for s in
                                          (api.get(path("Timetable", NS, "term")).get("status") or {})
                                          .get("nextSessions") or []), 60)
            checks.check("with the chart's role: Timetable status written, calendar imported from the ConfigMap", bool(st))
        except Failure as exc:
            checks.fail("with the chart's role: Timetable status written, calendar imported", str(exc))
        try:
            e2e.wait_for("the ScalingPolicy's status", lambda: (api.get(path("ScalingPolicy", NS, "stack"))
                                                              .get("status") or {}).get("plannedSummary"), 60)
            checks.check("with the chart's role: ScalingPolicy status written", True)
        except Failure as exc:
            checks.fail("with the chart's role: ScalingPolicy status written", str(exc))
        try:
            e2e.wait_for("a Warning event for Timetable typo",
                         lambda: [e for e in api.events_for(NS, "Timetable", "typo") if e.get("type") == "Warning"], 60)
            checks.check("with the chart's role: Warning event recorded", True)
        except Failure as exc:
            checks.fail("with the chart's role: Warning event recorded", str(exc))
        lease = api.get(path("Lease", RELEASE_NS, f"{RELEASE}-prebell"), missing_ok=True)
        checks.check("with the chart's role: the Lease is held", bool(lease and lease["spec"].get("holderIdentity")),
                     f"lease {lease}")
        checks.equal("metric prebell_is_leader", controller.value("prebell_is_leader"), 1.0)
        time.sleep(5)
        refused = controller.series("prebell_kubernetes_requests_total", result="unauthorized")
        refused = [(l, v) for l, v in refused if v > 0]
        checks.check("no request of the controller was refused (401/403)", not refused, f"refused: {refused}")
        forbidden_logs = [r for r in controller.log_records() if "forbidden" in str(r).lower()]
        checks.check("no 'forbidden' in the controller's log", not forbidden_logs, str(forbidden_logs[:3]))

        # ---- and nothing more
        for verb, resource, ns, sub, name, allowed in CAN_I:
            argv = ["auth", "can-i", verb, f"{resource}/{name}" if name else resource]
            argv += ["-n", ns] if ns else ["--all-namespaces"]
            if sub:
                argv.append(f"--subresource={sub}")
            r = cp.kubectl(*argv, kubeconfig=str(kubeconfig), check=False)
            answer = r.stdout.strip()
            where = f" in {ns}" if ns else " cluster-wide"
            checks.equal(f"can-i {verb} {resource}{'/' + sub if sub else ''}{'/' + name if name else ''}{where}",
                         answer, "yes" if allowed else "no")
        real = [
            ("GET", path("Secret", NS), None, "application/json"),
            ("GET", path("Secret", None), None, "application/json"),
            ("PATCH", path("Deployment", NS, "gw"), {"spec": {"replicas": 9}}, "application/merge-patch+json"),
            ("DELETE", path("Timetable", NS, "term"), None, "application/json"),
            ("POST", path("Timetable", NS), e2e.timetable(NS, "intruder", "UTC", []), "application/json"),
            ("GET", path("Lease", RELEASE_NS, "someone-else"), None, "application/json"),
            ("DELETE", path("HorizontalPodAutoscaler", NS, "gw"), None, "application/json"),
        ]
        for method, url, body, ctype in real:
            status, _ = as_sa.request(method, url, body, content_type=ctype)
            checks.equal(f"real request with the token: {method} {url} is forbidden", status, 403)
        checks.equal("the Deployment's spec was not changed by the refused patch",
                     e2e.replicas_of(api, "Deployment", NS, "gw") != 9, True)
        checks.check("the controller is still running", controller.running())
    except Failure as exc:
        checks.fail("the test ran to the end", str(exc))
    finally:
        for p in pollers:
            p.stop()
        if controller:
            rc = controller.stop()
            checks.equal("SIGTERM: the controller exits with status 0", rc, 0)
            if checks.failed:
                print(f"--- controller log (tail) {controller.log_path}\n{controller.tail(80)}")
        if cp:
            cp.stop()
    return checks.finish()


def good_without_calendar(tt: dict) -> dict:
    """The planner oracle reads no ConfigMaps: the calendar's single event is
    two hours away and outside what this test observes."""
    out = dict(tt)
    out["spec"] = {k: v for k, v in tt["spec"].items() if k != "calendars"}
    return out


if __name__ == "__main__":
    sys.exit(main())
