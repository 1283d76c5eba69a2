#!/usr/bin/env python3
"""The Timetable and ScalingPolicy CRDs against the real kube-apiserver.

    crd_validation_test.py ENV_FILE

ENV_FILE is the shared control-plane fixture's env (tests/controlplane). The
test applies crds/, waits until both CRDs are Established, creates the
examples (shared london-sample scenario, examples/ of the repository), checks
server-side defaults, the status subresource, short names, the category and
the printer columns, and sends a table of bad objects that the API server must
reject with a message naming the field and the problem.
"""

from __future__ import annotations

import copy
import json
import os
import secrets
import sys
from pathlib import Path
from typing import Callable

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kube import REPO, Results, apply_crds, ensure_namespace, kubectl, kubectl_json, load_env  # noqa: E402

CRD_NAMES = ["timetables.prebell.io", "scalingpolicies.prebell.io"]
SCENARIOS = Path(os.environ.get("PREBELL_SCENARIOS_DIR", str(REPO.parent / "shared" / "scenarios")))

TIMETABLE = {
    "apiVersion": "prebell.io/v1alpha1",
    "kind": "Timetable",
    "metadata": {"name": "term", "labels": {"prebell.io/stack": "live"}},
    "spec": {
        "timeZone": "Europe/London",
        "sessions": [
            {"name": "c100-lecture", "kind": "Class", "course": "C100",
             "start": "2026-09-28T09:00:00", "duration": "90m",
             "recurrence": "FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20261216T000000Z",
             "expectedAttendance": 1600},
            {"name": "midterm", "kind": "Exam", "course": "C100",
             "start": "2026-10-30T10:00:00", "duration": "2h", "expectedAttendance": 1500},
        ],
        "calendars": [{"configMapRef": {"name": "lms-export", "key": "term.ics"},
                       "kind": "Class", "expectedAttendance": 300}],
        "exclusions": [{"from": "2026-10-26", "until": "2026-10-27", "reason": "Reading days"}],
    },
}

POLICY = {
    "apiVersion": "prebell.io/v1alpha1",
    "kind": "ScalingPolicy",
    "metadata": {"name": "live-stack"},
    "spec": {
        "timetableSelector": {"matchLabels": {"prebell.io/stack": "live"}},
        "demand": {"connectionsQuery": "sum(centrifugo_node_num_clients)"},
        "targets": [
            {"name": "gateway",
             "scaleTargetRef": {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                                "name": "centrifugo"},
             "connectionsPerReplica": 2500, "minReplicas": 2, "maxReplicas": 20},
            {"name": "media",
             "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "livekit"},
             "sessionsPerReplica": 20, "maxReplicas": 10},
        ],
    },
}


def mutate(base: dict, fn: Callable[[dict], None]) -> dict:
    obj = copy.deepcopy(base)
    fn(obj)
    return obj


def sess(i: int = 0) -> Callable[[dict], dict]:
    return lambda o: o["spec"]["sessions"][i]


def tgt(i: int = 0) -> Callable[[dict], dict]:
    return lambda o: o["spec"]["targets"][i]


def setter(path: Callable[[dict], dict], key: str, value) -> Callable[[dict], None]:
    def fn(o: dict) -> None:
        path(o)[key] = value
    return fn


def deleter(path: Callable[[dict], dict], key: str) -> Callable[[dict], None]:
    def fn(o: dict) -> None:
        del path(o)[key]
    return fn


def spec_set(key: str, value) -> Callable[[dict], None]:
    return setter(lambda o: o["spec"], key, value)


# (case, base object, mutation, substrings the API server's message must contain)
BAD = [
    ("session kind not Class/Exam/Event", TIMETABLE, setter(sess(), "kind", "Lecture"),
     ["spec.sessions[0].kind", 'Unsupported value: "Lecture"', '"Class", "Exam", "Event"']),
    ("duration in words", TIMETABLE, setter(sess(), "duration", "90 minutes"),
     ["spec.sessions[0].duration", "duration must be a positive duration"]),
    ("zero duration", TIMETABLE, setter(sess(), "duration", "0m"),
     ["spec.sessions[0].duration", "duration must be a positive duration"]),
    ("duration units out of order", TIMETABLE, setter(sess(1), "duration", "30m1h"),
     ["spec.sessions[1].duration", "largest first"]),
    ("time zone with a space", TIMETABLE, spec_set("timeZone", "Europe/ London"),
     ["spec.timeZone", "timeZone must be an IANA time-zone name"]),
    ("time zone as an offset", TIMETABLE, spec_set("timeZone", "+01:00"),
     ["spec.timeZone", "timeZone must be an IANA time-zone name"]),
    ("Windows time-zone name", TIMETABLE, spec_set("timeZone", "GMT Standard Time"),
     ["spec.timeZone", "timeZone must be an IANA time-zone name"]),
    ("empty path segment in time zone", TIMETABLE, spec_set("timeZone", "Europe//London"),
     ["spec.timeZone", "timeZone must be an IANA time-zone name"]),
    ("start without seconds", TIMETABLE, setter(sess(), "start", "2026-09-28T09:00"),
     ["spec.sessions[0].start", "start must be a local date and time YYYY-MM-DDTHH:MM:SS"]),
    ("start with an offset", TIMETABLE, setter(sess(), "start", "2026-09-28T09:00:00Z"),
     ["spec.sessions[0].start"]),
    ("start on 30 February", TIMETABLE, setter(sess(), "start", "2026-02-30T09:00:00"),
     ["spec.sessions[0].start", "start must be a local date and time"]),
    ("start on 29 February of a common year", TIMETABLE, setter(sess(), "start", "2027-02-29T09:00:00"),
     ["spec.sessions[0].start", "start must be a local date and time"]),
    ("hour 24", TIMETABLE, setter(sess(), "start", "2026-09-28T24:00:00"),
     ["spec.sessions[0].start", "start must be a local date and time"]),
    ("negative attendance", TIMETABLE, setter(sess(), "expectedAttendance", -5),
     ["spec.sessions[0].expectedAttendance", "greater than or equal to 0"]),
    ("attendance above 10 million", TIMETABLE, setter(sess(), "expectedAttendance", 10_000_001),
     ["spec.sessions[0].expectedAttendance", "less than or equal to 10000000"]),
    ("duplicate session name", TIMETABLE, setter(sess(1), "name", "c100-lecture"),
     ["spec.sessions[1]", "Duplicate value", "c100-lecture"]),
    ("session without a start", TIMETABLE, deleter(sess(), "start"),
     ["spec.sessions[0].start", "Required value"]),
    ("recurrence with an RRULE: prefix", TIMETABLE, setter(sess(), "recurrence", "RRULE:FREQ=WEEKLY"),
     ["spec.sessions[0].recurrence", "recurrence must be an RFC 5545 RRULE value"]),
    ("recurrence without FREQ", TIMETABLE, setter(sess(), "recurrence", "BYDAY=MO;COUNT=3"),
     ["spec.sessions[0].recurrence", "with a FREQ"]),
    ("exclusion ends before it starts", TIMETABLE,
     setter(lambda o: o["spec"]["exclusions"][0], "until", "2026-10-25"),
     ["spec.exclusions[0].until", "until must not be before from"]),
    ("exclusion on month 13", TIMETABLE,
     setter(lambda o: o["spec"]["exclusions"][0], "from", "2026-13-01"),
     ["spec.exclusions[0].from", "date"]),
    ("calendar key with a slash", TIMETABLE,
     setter(lambda o: o["spec"]["calendars"][0]["configMapRef"], "key", "a/b.ics"),
     ["spec.calendars[0].configMapRef.key", "ConfigMap key"]),
    ("calendar ConfigMap name with capitals", TIMETABLE,
     setter(lambda o: o["spec"]["calendars"][0]["configMapRef"], "name", "LMS_Export"),
     ["spec.calendars[0].configMapRef.name", "name must be a ConfigMap name"]),
    ("unknown session field (strict field validation)", TIMETABLE, setter(sess(), "room", "A1"),
     ['unknown field "spec.sessions[0].room"']),
    ("no time zone", TIMETABLE, lambda o: o["spec"].pop("timeZone"),
     ["spec.timeZone", "Required value"]),
    ("minReplicas above maxReplicas", POLICY, setter(tgt(), "minReplicas", 30),
     ["spec.targets[0].minReplicas", "minReplicas must not exceed maxReplicas"]),
    ("both connectionsPerReplica and sessionsPerReplica", POLICY, setter(tgt(), "sessionsPerReplica", 5),
     ["spec.targets[0]", "exactly one of connectionsPerReplica or sessionsPerReplica"]),
    ("neither connectionsPerReplica nor sessionsPerReplica", POLICY,
     deleter(tgt(1), "sessionsPerReplica"),
     ["spec.targets[1]", "exactly one of connectionsPerReplica or sessionsPerReplica"]),
    ("zero connectionsPerReplica", POLICY, setter(tgt(), "connectionsPerReplica", 0),
     ["spec.targets[0].connectionsPerReplica", "greater than 0"]),
    ("unknown mode", POLICY, spec_set("mode", "DryRun"),
     ["spec.mode", 'Unsupported value: "DryRun"', '"Active", "Shadow"']),
    ("warmup in words", POLICY, setter(tgt(), "warmup", "two minutes"),
     ["spec.targets[0].warmup", "warmup must be a duration"]),
    ("warmup above 1h", POLICY, setter(tgt(), "warmup", "2h"),
     ["spec.targets[0].warmup", "warmup must be at most 1h"]),
    ("scaleDownDelay above 24h", POLICY, setter(tgt(), "scaleDownDelay", "25h"),
     ["spec.targets[0].scaleDownDelay", "scaleDownDelay must be at most 24h"]),
    ("stepPeriod of zero", POLICY, setter(tgt(), "stepPeriod", "0s"),
     ["spec.targets[0].stepPeriod", "stepPeriod must be a positive duration"]),
    ("maxScaleDownStep of 0", POLICY, setter(tgt(), "maxScaleDownStep", 0),
     ["spec.targets[0].maxScaleDownStep", "replica count in [1, 100000] or a percentage"]),
    ("maxScaleUpStep percentage above 1000%", POLICY, setter(tgt(), "maxScaleUpStep", "1500%"),
     ["spec.targets[0].maxScaleUpStep", "percentage in (0%, 1000%]"]),
    ("maxScaleUpStep not a number", POLICY, setter(tgt(), "maxScaleUpStep", "lots"),
     ["spec.targets[0].maxScaleUpStep"]),
    ("negative maxReplicas", POLICY, setter(tgt(), "maxReplicas", -1),
     ["spec.targets[0].maxReplicas", "greater than or equal to 1"]),
    ("scale target kind not scalable", POLICY,
     setter(lambda o: o["spec"]["targets"][0]["scaleTargetRef"], "kind", "Pod"),
     ["spec.targets[0].scaleTargetRef.kind", 'Unsupported value: "Pod"']),
    ("apiVersion that does not serve the kind", POLICY,
     setter(lambda o: o["spec"]["targets"][1]["scaleTargetRef"], "apiVersion", "extensions/v1beta1"),
     ["spec.targets[1].scaleTargetRef.apiVersion", "apiVersion extensions/v1beta1 does not serve kind Deployment"]),
    ("two targets on one workload", POLICY,
     setter(tgt(1), "scaleTargetRef", {"apiVersion": "autoscaling/v2",
                                       "kind": "HorizontalPodAutoscaler", "name": "centrifugo"}),
     ["spec.targets", "two targets scale the same workload"]),
    ("duplicate target name", POLICY, setter(tgt(1), "name", "gateway"),
     ["spec.targets[1]", "Duplicate value"]),
    ("target name not a DNS label", POLICY, setter(tgt(), "name", "Gateway_1"),
     ["spec.targets[0].name", "name must be a DNS label"]),
    ("no targets", POLICY, spec_set("targets", []),
     ["spec.targets", "should have at least 1 items"]),
    ("connectionsPerReplica without a demand query", POLICY, lambda o: o["spec"].pop("demand"),
     ["spec", "demand.connectionsQuery is required when a target uses connectionsPerReplica"]),
    ("selector operator In without values", POLICY,
     spec_set("timetableSelector", {"matchExpressions": [{"key": "tier", "operator": "In"}]}),
     ["spec.timetableSelector.matchExpressions[0]", "values must be non-empty for operator In"]),
]

# Accepted variants of the base objects: every one must be created.
GOOD = [
    ("UTC", TIMETABLE, spec_set("timeZone", "UTC")),
    ("three-part zone", TIMETABLE, spec_set("timeZone", "America/Argentina/Buenos_Aires")),
    ("Etc/GMT+5", TIMETABLE, spec_set("timeZone", "Etc/GMT+5")),
    ("zone with a hyphen", TIMETABLE, spec_set("timeZone", "America/Port-au-Prince")),
    ("duration 1h30m", TIMETABLE, setter(sess(), "duration", "1h30m")),
    ("29 February of a leap year", TIMETABLE, setter(sess(), "start", "2028-02-29T09:00:00")),
    ("one-day exclusion", TIMETABLE,
     setter(lambda o: o["spec"]["exclusions"][0], "until", "2026-10-26")),
    ("sessions only from calendars", TIMETABLE, lambda o: o["spec"].pop("sessions")),
    ("warmup 0", POLICY, setter(tgt(), "warmup", "0")),
    ("scaleDownDelay 1d", POLICY, setter(tgt(), "scaleDownDelay", "1d")),
    ("step limits as count and percentage", POLICY,
     lambda o: o["spec"]["targets"][0].update(maxScaleUpStep=10, maxScaleDownStep="25%")),
    ("fractional percentage step", POLICY, setter(tgt(), "maxScaleDownStep", "12.5%")),
    ("Shadow mode", POLICY, spec_set("mode", "Shadow")),
    ("StatefulSet target", POLICY,
     lambda o: o["spec"]["targets"][1].update(
         scaleTargetRef={"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "redis"})),
    ("sessions only, no demand query", POLICY,
     lambda o: (o["spec"].pop("demand"), o["spec"]["targets"].pop(0))),
    ("no timetableSelector (selects all)", POLICY, lambda o: o["spec"].pop("timetableSelector")),
    ("selector with Exists", POLICY,
     spec_set("timetableSelector", {"matchExpressions": [{"key": "tier", "operator": "Exists"}]})),
]


def create(obj: dict, ns: str, dry_run: bool) -> tuple[bool, str]:
    args = ["create", "-n", ns, "-f", "-"]
    if dry_run:
        args.append("--dry-run=server")
    proc = kubectl(*args, stdin=json.dumps(obj), check=False)
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip()


def named(obj: dict, name: str) -> dict:
    out = copy.deepcopy(obj)
    out["metadata"]["name"] = name
    return out


def example_documents() -> list[tuple[str, dict]]:
    """Timetable and ScalingPolicy documents of the shared scenarios and examples/."""
    files = sorted(SCENARIOS.glob("*/timetable.yaml")) + sorted(SCENARIOS.glob("*/policy.yaml"))
    examples = REPO / "examples"
    if examples.is_dir():
        files += sorted(p for p in examples.rglob("*.y*ml") if p.suffix in (".yaml", ".yml"))
    docs = []
    for f in files:
        for doc in yaml.safe_load_all(f.read_text()):
            if isinstance(doc, dict) and doc.get("apiVersion") == "prebell.io/v1alpha1" and \
                    doc.get("kind") in ("Timetable", "ScalingPolicy"):
                docs.append((str(f.relative_to(REPO) if f.is_relative_to(REPO) else f), doc))
    return docs


def main() -> int:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    load_env(sys.argv[1])
    r = Results()

    apply_crds(REPO / "crds", CRD_NAMES)
    for name in CRD_NAMES:
        crd = kubectl_json("get", "crd", name)
        conds = {c["type"]: c["status"] for c in crd["status"].get("conditions", [])}
        r.check(f"{name} Established and NamesAccepted",
                conds.get("Established") == "True" and conds.get("NamesAccepted") == "True",
                json.dumps(crd["status"].get("conditions")))

    ns = f"crds-{secrets.token_hex(3)}"
    ensure_namespace(ns)

    # The examples as users apply them (their own namespace replaced by ours).
    docs = example_documents()
    if SCENARIOS.is_dir() or (REPO / "examples").is_dir():
        r.check("examples found (shared scenarios, examples/)", len(docs) >= 1, f"found {len(docs)}")
    else:
        print(f"note: neither {SCENARIOS} nor examples/ exists: no examples to apply")
    for i, (source, doc) in enumerate(docs):
        doc = copy.deepcopy(doc)
        doc["metadata"]["namespace"] = ns
        # Two examples may share a name (each lives in its own namespace).
        doc["metadata"]["name"] = f"ex{i}-{doc['metadata']['name']}"[:63]
        ok, out = create(doc, ns, dry_run=False)
        r.check(f"example accepted: {source} ({doc['kind']} {doc['metadata']['name']})", ok, out)

    # Server-side defaults.
    ok, out = create(TIMETABLE, ns, dry_run=False)
    r.check("base Timetable accepted", ok, out)
    ok, out = create(POLICY, ns, dry_run=False)
    r.check("base ScalingPolicy accepted", ok, out)
    if ok:
        sp = kubectl_json("get", "scalingpolicy", "live-stack", "-n", ns)
        t0, t1 = sp["spec"]["targets"]
        want = {"headroom": 0.1, "warmup": "60s", "stepPeriod": "15s",
                "maxScaleDownStep": "50%", "scaleDownDelay": "2m"}
        got = {k: t0.get(k) for k in want}
        r.check("ScalingPolicy target defaults (the planner's: docs of policies/planner/scaling_policy.h)",
                got == want, f"got {got}")
        r.check("minReplicas defaults to 1", t1.get("minReplicas") == 1, f"got {t1.get('minReplicas')}")
        r.check("maxScaleUpStep has no default (unlimited)", "maxScaleUpStep" not in t0, json.dumps(t0))
        r.check("mode defaults to Active", sp["spec"].get("mode") == "Active", f"got {sp['spec'].get('mode')}")
    tt = kubectl_json("get", "timetable", "term", "-n", ns)
    r.check("calendar kind defaults to Class", tt["spec"]["calendars"][0].get("kind") == "Class",
            json.dumps(tt["spec"]["calendars"][0]))

    # Bad inputs: rejected, and the message names the field and the problem.
    for case, base, fn, needles in BAD:
        ok, out = create(mutate(base, fn), ns, dry_run=True)
        missing = [n for n in needles if n not in out]
        r.check(f"rejected: {case}", not ok and not missing,
                ("accepted!" if ok else f"message lacks {missing}") + f"\n      server said: {out}")
        if not ok and not missing:
            print(f"      -> {out.splitlines()[-1][:300]}")

    for i, (case, base, fn) in enumerate(GOOD):
        ok, out = create(named(mutate(base, fn), f"good-{i}"), ns, dry_run=False)
        r.check(f"accepted: {case}", ok, out)

    # Status is a subresource: a create or an update cannot set it, a status patch can.
    with_status = named(TIMETABLE, "with-status")
    with_status["status"] = {"nextSessionStartsIn": "1m"}
    create(with_status, ns, dry_run=False)
    got = kubectl_json("get", "timetable", "with-status", "-n", ns)
    r.check("status in a create is ignored (status subresource)", "status" not in got or
            "nextSessionStartsIn" not in got.get("status", {}), json.dumps(got.get("status")))

    tt_status = {"status": {
        "observedGeneration": 1,
        "conditions": [{"type": "Ready", "status": "True", "observedGeneration": 1,
                        "lastTransitionTime": "2026-09-28T07:00:00Z", "reason": "Planned",
                        "message": "2 sessions in the next 7 days"}],
        "nextSessions": [{"name": "c100-lecture", "kind": "Class", "course": "C100",
                          "start": "2026-09-28T08:00:00Z", "end": "2026-09-28T09:30:00Z",
                          "expectedAttendance": 1600, "predictedPeak": 1240}],
        "nextSessionStartsIn": "25m"}}
    kubectl("patch", "timetable", "term", "-n", ns, "--subresource=status", "--type=merge",
            "-p", json.dumps(tt_status))
    sp_status = {"status": {
        "observedGeneration": 1,
        "conditions": [{"type": "Ready", "status": "True", "observedGeneration": 1,
                        "lastTransitionTime": "2026-09-28T07:00:00Z", "reason": "Planned",
                        "message": "plan applied"}],
        "targets": [{"name": "gateway", "currentReplicas": 2, "plannedReplicas": 3, "nextReplicas": 6,
                     "nextChangeTime": "2026-09-28T07:58:30Z", "reason": "warm-up for c100-lecture"},
                    {"name": "media", "currentReplicas": 1, "plannedReplicas": 2}],
        "forecast": {"connections": 300, "observedConnections": 280, "nextPeakConnections": 1240,
                     "nextPeakTime": "2026-09-28T08:05:00Z"},
        "plannedSummary": "gateway=3,media=2", "currentSummary": "gateway=2,media=1",
        "lastPlanTime": "2026-09-28T07:35:00Z"}}
    kubectl("patch", "scalingpolicy", "live-stack", "-n", ns, "--subresource=status", "--type=merge",
            "-p", json.dumps(sp_status))
    bad_status = {"status": {"targets": [{"name": "gateway", "plannedReplicas": "three"}]}}
    proc = kubectl("patch", "scalingpolicy", "live-stack", "-n", ns, "--subresource=status",
                   "--type=merge", "-p", json.dumps(bad_status), check=False)
    r.check("status is validated too (plannedReplicas must be an integer)",
            proc.returncode != 0 and "status.targets[0].plannedReplicas" in proc.stderr, proc.stderr)

    # Printer columns, short names and the category, as a person sees them.
    out = kubectl("get", "tt", "term", "-n", ns).stdout
    print(out)
    header, row = out.splitlines()[0], out.splitlines()[1]
    r.check("kubectl get tt: columns NEXT, STARTS IN, EXPECTED PEAK, READY, AGE",
            all(c in header for c in ("NEXT", "STARTS IN", "EXPECTED PEAK", "READY", "AGE")), header)
    r.check("kubectl get tt: next session, how long, expected peak",
            all(v in row.split() for v in ("c100-lecture", "25m", "1240", "True")), row)
    out = kubectl("get", "tt", "term", "-n", ns, "-o", "wide").stdout
    print(out)
    r.check("kubectl get tt -o wide: ZONE, KIND, START",
            all(c in out for c in ("ZONE", "KIND", "START", "Europe/London", "2026-09-28T08:00:00Z")), out)
    out = kubectl("get", "sp", "live-stack", "-n", ns).stdout
    print(out)
    header, row = out.splitlines()[0], out.splitlines()[1]
    r.check("kubectl get sp: columns MODE, PLANNED, CURRENT, EXPECTED PEAK, READY, AGE",
            all(c in header for c in ("MODE", "PLANNED", "CURRENT", "EXPECTED PEAK", "READY", "AGE")), header)
    r.check("kubectl get sp: mode, planned and current per target, expected peak",
            all(v in row.split() for v in ("Active", "gateway=3,media=2", "gateway=2,media=1", "1240", "True")), row)
    out = kubectl("get", "sp", "live-stack", "-n", ns, "-o", "wide").stdout
    print(out)
    r.check("kubectl get sp -o wide: PEAK AT",
            all(c in out for c in ("PEAK AT", "2026-09-28T08:05:00Z")), out)
    out = kubectl("get", "tt,sp", "-n", ns).stdout
    r.check("kubectl get tt,sp lists both kinds",
            "timetable.prebell.io/term" in out and "scalingpolicy.prebell.io/live-stack" in out, out)
    out = kubectl("get", "prebell", "-n", ns, "-o", "name").stdout
    r.check("category prebell lists both kinds",
            "timetable.prebell.io/term" in out and "scalingpolicy.prebell.io/live-stack" in out, out)

    # Updating the spec keeps the status (and bumps the generation).
    tt = kubectl_json("get", "timetable", "term", "-n", ns)
    tt["spec"]["sessions"][0]["expectedAttendance"] = 1700
    kubectl("replace", "-f", "-", stdin=json.dumps(tt))
    tt = kubectl_json("get", "timetable", "term", "-n", ns)
    r.check("a spec update keeps the status and bumps metadata.generation",
            tt.get("status", {}).get("nextSessionStartsIn") == "25m" and tt["metadata"]["generation"] == 2,
            json.dumps({"generation": tt["metadata"]["generation"], "status": tt.get("status")}))

    # `kubectl explain` shows the schema's descriptions.
    out = kubectl("explain", "timetable.spec.timeZone").stdout
    r.check("kubectl explain timetable.spec.timeZone describes the field", "IANA" in out, out)

    kubectl("delete", "namespace", ns, "--wait=false", check=False)
    return r.finish()


if __name__ == "__main__":
    sys.exit(main())
