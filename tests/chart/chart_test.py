#!/usr/bin/env python3
"""Tests of the Helm chart charts/prebell.

    chart_test.py lint                 helm lint --strict, defaults and every values case
    chart_test.py golden [--update]    helm template of every case in values/ vs golden/
    chart_test.py bad-values           wrong values fail with the schema's message
    chart_test.py dry-run ENV_FILE     server-side dry-run of every rendered object
                                       against the real API server (Prometheus
                                       Operator CRDs installed from their Go module)
    chart_test.py install ENV_FILE     helm install into the control plane; RBAC
                                       of the ServiceAccount as the API server
                                       evaluates it; bad values fail at install

helm comes from tools/k8s/build.sh (PREBELL_HELM overrides). Renders use a
fixed release (prebell), namespace (prebell-system) and Kubernetes version so
that golden files are reproducible; generated secrets are masked.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "crds"))
from kube import Results, apply_crds, ensure_namespace, kubectl, kubectl_json, load_env  # noqa: E402

CHART = REPO / "charts" / "prebell"
VALUES = HERE / "values"
GOLDEN = HERE / "golden"
RELEASE = "prebell"
NAMESPACE = "prebell-system"
KUBE_VERSION = "v1.34.10"
# Cases whose every object the dry-run sends to the API server.
DRY_RUN_CASES = ["defaults", "stack-off", "namespaced-rbac", "no-prometheus-operator"]
MASK = "<generated>"


def helm_bin() -> str:
    if os.environ.get("PREBELL_HELM"):
        return os.environ["PREBELL_HELM"]
    proc = subprocess.run([str(REPO / "tools/k8s/build.sh"), "--check", "helm"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"helm is not built: {proc.stderr.strip()} (run tools/k8s/build.sh helm)")
    return str(Path(proc.stdout.strip().splitlines()[-1]) / "helm")


def helm(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([helm_bin(), *args], capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise RuntimeError(f"helm {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return proc


def cases() -> list[str]:
    return sorted(p.stem for p in VALUES.glob("*.yaml"))


def render(case: str, *extra: str) -> str:
    return helm("template", RELEASE, str(CHART), "--namespace", NAMESPACE,
                "--kube-version", KUBE_VERSION, "-f", str(VALUES / f"{case}.yaml"), *extra).stdout


def mask_generated(text: str) -> str:
    """Replaces values the chart generates at random (Secret stringData) with MASK."""
    out = []
    for doc in re.split(r"(?m)^---\n", text):
        if re.search(r"(?m)^kind: Secret$", doc):
            doc = re.sub(r'(?m)^(  [A-Za-z0-9_]+: )"[^"\n]*"$', rf'\1"{MASK}"', doc)
        out.append(doc)
    return "---\n".join(out)


def cmd_lint() -> int:
    r = Results()
    proc = helm("lint", "--strict", str(CHART), check=False)
    r.check("helm lint --strict (defaults)", proc.returncode == 0, proc.stdout + proc.stderr)
    for case in cases():
        proc = helm("lint", "--strict", str(CHART), "-f", str(VALUES / f"{case}.yaml"),
                    "--namespace", NAMESPACE, check=False)
        r.check(f"helm lint --strict -f values/{case}.yaml", proc.returncode == 0, proc.stdout + proc.stderr)
    return r.finish()


def cmd_golden(update: bool) -> int:
    r = Results()
    GOLDEN.mkdir(exist_ok=True)
    for case in cases():
        got = mask_generated(render(case))
        path = GOLDEN / f"{case}.yaml"
        if update:
            path.write_text(got)
            print(f"wrote {path.relative_to(REPO)}")
            continue
        want = path.read_text() if path.exists() else ""
        diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                            f"golden/{case}.yaml", f"helm template ({case})"))
        r.check(f"helm template -f values/{case}.yaml matches golden/{case}.yaml", not diff,
                (diff[:6000] + "\n      (run tests/chart/update_golden.sh if the change is intended)")
                if diff else "")
    # Golden files for cases that no longer exist would go stale unnoticed.
    if not update:
        stale = sorted(set(p.stem for p in GOLDEN.glob("*.yaml")) - set(cases()))
        r.check("no golden file without a values case", not stale, f"stale: {stale}")
    return 0 if update else r.finish()


# (values given with --set/--set-string, substrings the error must contain)
BAD_VALUES = [
    (["--set", "controller.replicas=-1"], ["at '/controller/replicas'", "minimum: got -1, want 0"]),
    (["--set", "stack.redis.replicas=-3"], ["at '/stack/redis/replicas'", "minimum: got -3, want 0"]),
    (["--set", "stack.scalingPolicy.mode=DryRun"],
     ["at '/stack/scalingPolicy/mode'", "value must be one of 'Active', 'Shadow'"]),
    (["--set", "stack.timetable.timeZone=Europe/ London"],
     ["at '/stack/timetable/timeZone'", "'Europe/ London' does not match pattern"]),
    (["--set", "stack.timetable.timeZone=+01:00"], ["at '/stack/timetable/timeZone'", "does not match pattern"]),
    (["--set-string", "stack.timetable.sessions[0].start=2026-09-28 09:00",
      "--set", "stack.timetable.sessions[0].name=x", "--set", "stack.timetable.sessions[0].duration=1h"],
     ["at '/stack/timetable/sessions/0/start'", "does not match pattern"]),
    (["--set", "stack.timetable.sessions[0].kind=Lecture", "--set", "stack.timetable.sessions[0].name=x",
      "--set-string", "stack.timetable.sessions[0].start=2026-09-28T09:00:00",
      "--set", "stack.timetable.sessions[0].duration=1h"],
     ["at '/stack/timetable/sessions/0/kind'", "value must be one of 'Class', 'Exam', 'Event'"]),
    (["--set", "stack.scalingPolicy.gateway.warmup=two minutes"],
     ["at '/stack/scalingPolicy/gateway/warmup'", "does not match pattern"]),
    (["--set", "controller.replikas=2"], ["at '/controller'", "additional properties 'replikas' not allowed"]),
    (["--set", "controller.logFormat=xml"], ["at '/controller/logFormat'", "value must be one of 'json', 'text'"]),
    (["--set", "controller.watchNamespaces={Bad_Namespace}"],
     ["at '/controller/watchNamespaces/0'", "does not match pattern"]),
    (["--set", "controller.metricsPort=70000"], ["at '/controller/metricsPort'", "maximum: got 70,000, want 65,535"]),
    (["--set", "stack.scalingPolicy.media.sessionsPerReplica=0"],
     ["at '/stack/scalingPolicy/media/sessionsPerReplica'", "minimum: got 0, want 1"]),
]


def cmd_bad_values() -> int:
    r = Results()
    for args, needles in BAD_VALUES:
        proc = helm("template", RELEASE, str(CHART), "--namespace", NAMESPACE,
                    "--kube-version", KUBE_VERSION, *args, check=False)
        err = proc.stderr
        missing = [n for n in needles if n not in err]
        r.check(f"rejected: {' '.join(args)}", proc.returncode != 0 and not missing,
                ("rendered!" if proc.returncode == 0 else f"message lacks {missing}") + f"\n      helm said: {err}")
        if proc.returncode != 0 and not missing:
            print("      -> " + " | ".join(l.strip() for l in err.splitlines() if l.startswith("- ")))
    return r.finish()


def documents(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]


def install_prerequisite_crds() -> None:
    proc = subprocess.run([str(HERE / "prometheus_operator_crds.sh")], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"prometheus_operator_crds.sh: {proc.stderr}")
    po = Path(proc.stdout.strip())
    apply_crds(po, [f"{p.name.split('_', 1)[1].removesuffix('.yaml')}.monitoring.coreos.com"
                    for p in sorted(po.glob("monitoring.coreos.com_*.yaml"))])
    apply_crds(CHART / "crds", ["timetables.prebell.io", "scalingpolicies.prebell.io"])


def cmd_dry_run(env_file: str) -> int:
    load_env(env_file)
    r = Results()
    install_prerequisite_crds()
    for case in DRY_RUN_CASES:
        text = render(case)
        docs = documents(text)
        for ns in {NAMESPACE} | {d["metadata"].get("namespace") for d in docs if d["metadata"].get("namespace")}:
            ensure_namespace(ns)
        proc = kubectl("apply", "--dry-run=server", "--server-side", "--field-manager=helm",
                       "-f", "-", stdin=text, check=False)
        lines = [l for l in proc.stdout.splitlines() if l.strip()]
        kinds = sorted({d["kind"] for d in docs})
        r.check(f"{case}: all {len(docs)} objects ({', '.join(kinds)}) accepted by the API server (dry-run)",
                proc.returncode == 0 and len(lines) == len(docs),
                f"{len(lines)} of {len(docs)} applied\n{proc.stdout}{proc.stderr}")
    # A values change that the schema allows but the CRD rejects must not slip through:
    # the API server applies the CRD's CEL rules to the chart's ScalingPolicy.
    text = render("defaults", "--set", "stack.scalingPolicy.gateway.minReplicas=60")
    proc = kubectl("apply", "--dry-run=server", "-f", "-", stdin=text, check=False)
    r.check("chart ScalingPolicy with minReplicas > maxReplicas is rejected by the CRD",
            proc.returncode != 0 and "minReplicas must not exceed maxReplicas" in proc.stderr,
            proc.stderr)
    return r.finish()


def can_i(sa: str, verb: str, resource: str, ns: str | None, name: str | None = None) -> bool:
    """kubectl auth can-i as `sa`; `resource` may name a subresource: deployments.apps/scale."""
    resource, _, subresource = resource.partition("/")
    args = ["auth", "can-i", verb, resource + (f"/{name}" if name else ""), f"--as={sa}"]
    if subresource:
        args.append(f"--subresource={subresource}")
    args += ["-n", ns] if ns else ["--all-namespaces"]
    proc = kubectl(*args, check=False)
    return proc.stdout.strip() == "yes"


def check_rbac(r: Results, label: str, sa: str, watched: list[str] | None, other_ns: str,
               lease_ns: str, lease: str) -> None:
    """Exactly the chart's permissions, as the real API server's RBAC evaluates them."""
    namespaces = watched or [other_ns]
    allowed = [("get", "timetables.prebell.io"), ("list", "timetables.prebell.io"),
               ("watch", "scalingpolicies.prebell.io"), ("patch", "timetables.prebell.io/status"),
               ("update", "scalingpolicies.prebell.io/status"), ("list", "configmaps"),
               ("watch", "deployments.apps"), ("get", "statefulsets.apps"),
               ("patch", "deployments.apps/scale"), ("update", "statefulsets.apps/scale"),
               ("patch", "horizontalpodautoscalers.autoscaling"), ("create", "events")]
    denied = [("get", "secrets"), ("list", "secrets"), ("create", "timetables.prebell.io"),
              ("update", "timetables.prebell.io"), ("delete", "scalingpolicies.prebell.io"),
              ("patch", "scalingpolicies.prebell.io"), ("create", "configmaps"),
              ("patch", "deployments.apps"), ("update", "deployments.apps"),
              ("delete", "horizontalpodautoscalers.autoscaling"),
              ("create", "horizontalpodautoscalers.autoscaling"), ("list", "pods"),
              ("delete", "events"), ("patch", "deployments.apps/status"),
              ("create", "serviceaccounts/token")]
    for ns in namespaces:
        bad = [f"{v} {res}" for v, res in allowed if not can_i(sa, v, res, ns)]
        r.check(f"{label}: allowed in {ns}: {len(allowed)} verbs", not bad, f"denied: {bad}")
        bad = [f"{v} {res}" for v, res in denied if can_i(sa, v, res, ns)]
        r.check(f"{label}: denied in {ns}: secrets, spec writes, deletes, pods, tokens", not bad,
                f"allowed: {bad}")
    if watched:
        bad = [f"{v} {res}" for v, res in allowed if can_i(sa, v, res, other_ns)]
        r.check(f"{label}: nothing in unlisted namespace {other_ns}", not bad, f"allowed: {bad}")
        r.check(f"{label}: no cluster-wide list of timetables",
                not can_i(sa, "list", "timetables.prebell.io", None))
    else:
        r.check(f"{label}: cluster-wide list/watch of timetables",
                can_i(sa, "list", "timetables.prebell.io", None) and can_i(sa, "watch", "timetables.prebell.io", None))
    r.check(f"{label}: lease create/get/update of {lease_ns}/{lease}",
            can_i(sa, "create", "leases.coordination.k8s.io", lease_ns) and
            can_i(sa, "get", "leases.coordination.k8s.io", lease_ns, lease) and
            can_i(sa, "update", "leases.coordination.k8s.io", lease_ns, lease))
    r.check(f"{label}: no other lease, no lease delete",
            not can_i(sa, "update", "leases.coordination.k8s.io", lease_ns, "kube-scheduler") and
            not can_i(sa, "delete", "leases.coordination.k8s.io", lease_ns, lease) and
            not can_i(sa, "create", "leases.coordination.k8s.io", "default"))
    r.check(f"{label}: nothing on secrets anywhere", not can_i(sa, "get", "secrets", None) and
            not can_i(sa, "list", "secrets", None))


def cmd_install(env_file: str) -> int:
    load_env(env_file)
    r = Results()
    install_prerequisite_crds()
    suffix = secrets.token_hex(3)
    # Cluster-scoped objects (ClusterRole...) are named after the release:
    # unique per run on the shared control plane.
    release = f"prebell-{suffix}"

    # Defaults: cluster-wide RBAC, the whole stack.
    ns = f"chart-install-{suffix}"
    proc = helm("install", release, str(CHART), "--namespace", ns, "--create-namespace", check=False)
    r.check("helm install (defaults) succeeds", proc.returncode == 0, proc.stdout + proc.stderr)
    r.check("NOTES.txt tells what to do next",
            "kubectl get timetables,scalingpolicies" in proc.stdout and f"rollout status deployment/{release}" in proc.stdout
            and "create secret generic prebell-alerting" in proc.stdout,
            proc.stdout)
    if proc.returncode == 0:
        sp = kubectl_json("get", "scalingpolicy", f"{release}-stack", "-n", ns)
        r.check("the stack's ScalingPolicy exists with three targets",
                [t["name"] for t in sp["spec"]["targets"]] == ["gateway", "redis", "media"],
                json.dumps(sp["spec"]))
        tt = kubectl_json("get", "timetable", f"{release}-example", "-n", ns)
        r.check("the example Timetable exists and carries the policy's label",
                tt["metadata"]["labels"].get("prebell.io/stack") == release, json.dumps(tt["metadata"]))
        dep = kubectl_json("get", "deployment", release, "-n", ns)
        r.check("controller Deployment has 2 replicas", dep["spec"]["replicas"] == 2)
        sa = f"system:serviceaccount:{ns}:{release}"
        check_rbac(r, "cluster RBAC", sa, None, ns, ns, release)
        proc = helm("uninstall", release, "--namespace", ns, check=False)
        r.check("helm uninstall succeeds", proc.returncode == 0, proc.stdout + proc.stderr)
        left = kubectl("get", "clusterrole,clusterrolebinding", "-l", f"app.kubernetes.io/instance={release}",
                       "-o", "name").stdout.strip()
        r.check("uninstall leaves no ClusterRole/ClusterRoleBinding", not left, left)
        r.check("uninstall keeps the CRDs (helm never deletes crds/)",
                kubectl("get", "crd", "timetables.prebell.io", check=False).returncode == 0)

    # Namespaced RBAC: Roles only in the listed namespaces and the lease namespace.
    watched = [f"campus-{suffix}", f"exams-{suffix}"]
    lease_ns = f"leases-{suffix}"
    for n in watched + [lease_ns]:
        ensure_namespace(n)
    ns2 = f"chart-ns-{suffix}"
    proc = helm("install", release, str(CHART), "--namespace", ns2, "--create-namespace",
                "--set", f"controller.watchNamespaces={{{','.join(watched)}}}",
                "--set", f"controller.leaderElection.namespace={lease_ns}",
                "--set", "stack.centrifugo.enabled=false", "--set", "stack.livekit.enabled=false",
                "--set", "stack.redis.enabled=false", check=False)
    r.check("helm install (namespaced RBAC) succeeds", proc.returncode == 0, proc.stdout + proc.stderr)
    if proc.returncode == 0:
        dep = kubectl_json("get", "deployment", release, "-n", ns2)
        args = dep["spec"]["template"]["spec"]["containers"][0]["args"]
        r.check("controller args name the namespaces and the lease namespace",
                f"--namespaces={','.join(watched)}" in args and f"--lease-namespace={lease_ns}" in args, str(args))
        check_rbac(r, "namespaced RBAC", f"system:serviceaccount:{ns2}:{release}", watched, ns2,
                   lease_ns, release)
        helm("uninstall", release, "--namespace", ns2, check=False)

    # Bad values fail at install, before anything is created.
    ns3 = f"chart-bad-{suffix}"
    for args, needle in [(["--set", "controller.replicas=-1"], "at '/controller/replicas': minimum: got -1, want 0"),
                         (["--set", "stack.scalingPolicy.mode=Dry"],
                          "at '/stack/scalingPolicy/mode': value must be one of 'Active', 'Shadow'"),
                         (["--set", "stack.timetable.timeZone=Mars/Olympus Mons"],
                          "at '/stack/timetable/timeZone': 'Mars/Olympus Mons' does not match pattern")]:
        proc = helm("install", "bad", str(CHART), "--namespace", ns3, "--create-namespace", *args, check=False)
        r.check(f"helm install {' '.join(args)} fails with the schema's message",
                proc.returncode != 0 and needle in proc.stderr, proc.stderr)
    listed = helm("list", "--namespace", ns3, "-q", check=False).stdout.strip()
    r.check("nothing was installed by the bad installs", not listed, listed)

    for n in [ns, ns2, ns3, lease_ns] + watched:
        kubectl("delete", "namespace", n, "--wait=false", check=False)
    return r.finish()


def main() -> int:
    args = sys.argv[1:]
    if args == ["lint"]:
        return cmd_lint()
    if args in (["golden"], ["golden", "--update"]):
        return cmd_golden(update=len(args) == 2)
    if args == ["bad-values"]:
        return cmd_bad_values()
    if len(args) == 2 and args[0] == "dry-run":
        return cmd_dry_run(args[1])
    if len(args) == 2 and args[0] == "install":
        return cmd_install(args[1])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
