#!/usr/bin/env python3
"""Bad input next to good input: everything else keeps running.

Against the shared control plane, in a namespace of its own. The API server
accepts all of these (the CRDs check shapes); only the controller can tell
they are wrong (docs/install.md: "what needs the tz database or an RRULE
parser the controller checks and reports in the Valid condition"):

  good       a class in progress (UTC): policy `live` scales Deployment gw
  bad-zone   timeZone Mars/Olympus_Mons (a valid shape, no such zone)
  bad-rrule  recurrence FREQ=WEEKLY;BYDAY=XY (a valid shape, no such day)
  calendar   imports ConfigMap term-ics, which does not exist yet
  policy `ghost`  targets Deployment `missing`
  policy `clash`  targets gw as well (created after `live`)

Expected: each bad Timetable gets Valid=False naming the problem and a
Warning event; `ghost` TargetsFound=False; `clash` Conflict=True and no write;
`live` scales gw exactly as `prebell plan` says for the good timetable alone.
Then: `good` is broken by an edit (Valid=False) and its last valid schedule
keeps gw scaled; fixing it (and bad-zone) makes them Valid again; creating the
ConfigMap imports the calendar (its event appears in the status), and changing
the ConfigMap re-imports it (the moved event replaces it in the status).
"""

from __future__ import annotations

import datetime as dt
import sys
import time

import e2e
from e2e import Checks, Failure, log, path

ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//prebell e2e//EN\r
BEGIN:VEVENT\r
UID:physics-1@e2e.prebell.io\r
DTSTAMP:20260101T000000Z\r
DTSTART:{start}\r
DTEND:{end}\r
SUMMARY:physics101\r
END:VEVENT\r
END:VCALENDAR\r
"""


def main() -> int:
    args = e2e.common_args(__doc__.splitlines()[0]).parse_args()
    prebell = e2e.find_prebell(args.prebell)
    work = e2e.workdir_for(args, "bad-input")
    cp = e2e.ControlPlane.shared(args.controlplane)
    api = cp.api
    checks = Checks()
    ns = f"e2e-bad-{e2e.suffix()}"
    controller = None
    poller = None
    try:
        cp.apply_crds()
        api.ensure_namespace(ns)
        api.create(e2e.deployment(ns, "gw", 2))
        now = e2e.utcnow().replace(microsecond=0)
        main_sel = {"role": "main"}
        good = e2e.timetable(ns, "good", "UTC", [e2e.session("intro", now - dt.timedelta(minutes=1), "UTC", "30m", 300)],
                             labels=main_sel)
        bad_zone = e2e.timetable(ns, "bad-zone", "Mars/Olympus_Mons",
                                 [e2e.session("rover", now + dt.timedelta(days=3), "UTC", "1h", 100)], labels=main_sel)
        bad_rrule = e2e.timetable(ns, "bad-rrule", "UTC",
                                  [e2e.session("weekly", now + dt.timedelta(days=3), "UTC", "1h", 100,
                                               recurrence="FREQ=WEEKLY;BYDAY=XY")], labels=main_sel)
        calendar = e2e.timetable(ns, "calendar", "UTC", [], labels={"role": "import"},
                                 calendars=[{"configMapRef": {"name": "term-ics", "key": "term.ics"}, "kind": "Class",
                                             "expectedAttendance": 80}])
        tgt = e2e.target("gateway", "Deployment", "gw", cpr=40, warmup="30s", min_replicas=2, max_replicas=20)
        live = e2e.scaling_policy(ns, "live", [tgt], selector={"matchLabels": main_sel})
        ghost = e2e.scaling_policy(ns, "ghost", [e2e.target("gateway", "Deployment", "missing")],
                                   selector={"matchLabels": main_sel})
        clash = e2e.scaling_policy(ns, "clash", [e2e.target("gateway", "Deployment", "gw", cpr=10)],
                                   selector={"matchLabels": main_sel})
        for obj in (good, bad_zone, bad_rrule, calendar, live, ghost):
            api.create(obj)
        time.sleep(1.1)  # `clash` is strictly younger than `live`
        api.create(clash)

        t0 = e2e.utcnow()
        plan = e2e.plan_oracle(prebell, work, [good], live, t0)["gateway"]
        log(f"plan for gw: {plan}")
        if plan.now_value <= 2:
            raise Failure(f"test setup: the class in progress should need more than 2 replicas: {plan}")
        poller = e2e.Poller("gw", lambda: e2e.replicas_of(api, "Deployment", ns, "gw"))
        poller.start()
        controller = e2e.Controller(prebell, work, "controller", cp.kubeconfig, namespaces=[ns],
                                    lease_name="prebell-e2e-bad", lease_namespace=ns).start()
        controller.wait_ready(90)

        poller.wait_value(f"gw scaled to {plan.now_value} from the good timetable", lambda v: v == plan.now_value, 60)
        invalid(checks, api, ns, "bad-zone", ["Mars/Olympus_Mons"])
        invalid(checks, api, ns, "bad-rrule", ["XY"])
        invalid(checks, api, ns, "calendar", ["term-ics"])
        c = wait_condition(api, "Timetable", ns, "good", "Valid", "True")
        checks.check("good: Valid=True", c is not None, "")

        c = wait_condition(api, "ScalingPolicy", ns, "ghost", "TargetsFound", "False")
        checks.check("ghost: TargetsFound=False naming the missing Deployment",
                     c is not None and "missing" in c.get("message", ""), f"got {c}")
        c = wait_condition(api, "ScalingPolicy", ns, "clash", "Conflict", "True")
        checks.check("clash: Conflict=True naming the policy that has gw",
                     c is not None and "live" in c.get("message", ""), f"got {c}")
        c = wait_condition(api, "ScalingPolicy", ns, "live", "Ready", "True")
        checks.check("live: Ready=True", c is not None, "")
        live_obj = api.get(path("ScalingPolicy", ns, "live"))
        c = e2e.condition(live_obj, "Conflict")
        checks.check("live: no Conflict=True (it claimed gw first)", c is None or c.get("status") != "True", f"got {c}")

        # ---- break the good timetable: its last valid schedule keeps serving
        api.merge_patch(path("Timetable", ns, "good"), {"spec": {"timeZone": "Mars/Phobos"}})
        c = wait_condition(api, "Timetable", ns, "good", "Valid", "False")
        checks.check("good, edited to an unknown zone: Valid=False naming it",
                     c is not None and "Mars/Phobos" in c.get("message", ""), f"got {c}")
        gen = api.get(path("Timetable", ns, "good"))["metadata"]["generation"]
        checks.equal("good: the Valid condition describes the new generation", (c or {}).get("observedGeneration"), gen)
        t_broken = e2e.utcnow()
        time.sleep(20)
        after = [v for t, v in poller.history() if t >= t_broken]
        checks.check("gw stays scaled while the good timetable is invalid (last valid schedule serves)",
                     poller.current() == plan.now_value and all(v == plan.now_value for v in after),
                     f"gw history {[(e2e.rfc3339(t), v) for t, v in poller.history()]}")

        # ---- fix what was broken
        api.merge_patch(path("Timetable", ns, "good"), {"spec": {"timeZone": "UTC"}})
        api.merge_patch(path("Timetable", ns, "bad-zone"), {"spec": {"timeZone": "Europe/Madrid"}})
        for name in ("good", "bad-zone"):
            c = wait_condition(api, "Timetable", ns, name, "Valid", "True")
            checks.check(f"{name}: Valid=True again after the fix", c is not None, "")

        ev_start = e2e.utcnow().replace(microsecond=0) + dt.timedelta(hours=3)
        api.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "term-ics", "namespace": ns},
                    "data": {"term.ics": ICS.format(start=ev_start.strftime("%Y%m%dT%H%M%SZ"),
                                                    end=(ev_start + dt.timedelta(hours=1)).strftime("%Y%m%dT%H%M%SZ"))}})
        c = wait_condition(api, "Timetable", ns, "calendar", "Valid", "True")
        checks.check("calendar: Valid=True once its ConfigMap exists", c is not None, "")
        tt = api.get(path("Timetable", ns, "calendar"))
        nxt = ((tt.get("status") or {}).get("nextSessions") or [{}])[0]
        checks.check("calendar: the imported event is its next session",
                     nxt.get("start") == e2e.rfc3339(ev_start) and nxt.get("course") == "physics101"
                     and nxt.get("expectedAttendance") == 80, f"got {nxt}")

        # The LMS exports the calendar again with the event an hour earlier:
        # the ConfigMap's change alone re-imports it.
        moved = ev_start - dt.timedelta(hours=1)
        api.merge_patch(path("ConfigMap", ns, "term-ics"),
                        {"data": {"term.ics": ICS.format(start=moved.strftime("%Y%m%dT%H%M%SZ"),
                                                         end=(moved + dt.timedelta(hours=1)).strftime("%Y%m%dT%H%M%SZ"))}})

        def next_start():
            st = api.get(path("Timetable", ns, "calendar")).get("status") or {}
            return ((st.get("nextSessions") or [{}])[0]).get("start")
        try:
            e2e.wait_for("the moved event in the calendar Timetable's status",
                         lambda: next_start() == e2e.rfc3339(moved), 60)
            checks.check("calendar: a changed ConfigMap is re-imported", True)
        except Failure as exc:
            checks.fail("calendar: a changed ConfigMap is re-imported", f"{exc}; next start {next_start()}")

        checks.equal("gw ends where the plan says", poller.current(), plan.now_value)
        changes = len(poller.history()) - 1
        writes = sum(controller.requests(verb=v, resource="scale", result="success") for v in ("patch", "update"))
        checks.check("gw written once (no write by `clash` or `ghost`)", writes == changes == 1,
                     f"{writes:.0f} scale writes, {changes} changes")
        checks.check("the controller is still running", controller.running())
    except Failure as exc:
        checks.fail("the test ran to the end", str(exc))
    finally:
        if controller:
            rc = controller.stop()
            checks.equal("SIGTERM: the controller exits with status 0", rc, 0)
            if checks.failed:
                print(f"--- controller log (tail) {controller.log_path}\n{controller.tail(80)}")
        if poller:
            poller.stop()
        e2e.cleanup_namespace(api, ns)
    return checks.finish()


def wait_condition(api, kind: str, ns: str, name: str, ctype: str, status: str, timeout: float = 60):
    def get():
        obj = api.get(path(kind, ns, name))
        c = e2e.condition(obj, ctype)
        if c and c.get("status") == status and c.get("observedGeneration", obj["metadata"]["generation"]) == \
                obj["metadata"]["generation"]:
            return c
        return None
    try:
        return e2e.wait_for(f"{kind} {name}: {ctype}={status}", get, timeout)
    except Failure as exc:
        log(str(exc))
        return None


def invalid(checks: Checks, api, ns: str, name: str, words: list[str]) -> None:
    c = wait_condition(api, "Timetable", ns, name, "Valid", "False")
    checks.check(f"{name}: Valid=False with a message naming {words}",
                 c is not None and all(w in c.get("message", "") for w in words) and bool(c.get("reason")),
                 f"got {c}")
    try:
        events = e2e.wait_for(f"a Warning event for Timetable {name}",
                              lambda: [e for e in api.events_for(ns, "Timetable", name) if e.get("type") == "Warning"],
                              30)
        ev = events[0]
        checks.check(f"{name}: Warning event with a PascalCase reason and the problem in its message",
                     bool(ev.get("reason")) and ev["reason"][0].isupper() and " " not in ev["reason"]
                     and all(w in ev.get("message", "") for w in words), f"got {ev.get('reason')}: {ev.get('message')}")
    except Failure as exc:
        checks.fail(f"{name}: Warning event", str(exc))


if __name__ == "__main__":
    sys.exit(main())
