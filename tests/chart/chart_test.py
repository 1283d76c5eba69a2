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
    chart_test.py install-controller ENV_FILE PREBELL WORKDIR
                                       helm install, then `prebell run` with a
                                       token of the installed ServiceAccount
                                       raises a user's HPA and is denied the
                                       rest; both uninstall orders leave (or,
                                       with docs/install.md's line, put back)
                                       the HPA as it was

helm comes from tools/k8s/build.sh (PREBELL_HELM overrides). Renders use a
fixed release (prebell), namespace (prebell-system) and Kubernetes version so
that golden files are reproducible; generated secrets are masked.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "crds"))
from kube import Results, apply_crds, ensure_namespace, kubectl, kubectl_json, load_env  # noqa: E402

sys.path.insert(0, str(REPO / "tests" / "integration" / "controller"))
import e2e  # noqa: E402  (the controller end-to-end machinery: Controller, Api, manifests)

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


# ---- install-controller: the installed chart's ServiceAccount at work, then uninstall

USER_HPA = "gw"
USER_HPA_MIN = 2
USER_POLICY = "live"
INSTALL_DOC = REPO / "docs" / "install.md"


def hpa_state(api: e2e.Api, ns: str, name: str) -> tuple[dict, dict]:
    """(spec, annotations) of an HPA: everything prebell may change on it."""
    obj = api.get(e2e.path("HorizontalPodAutoscaler", ns, name))
    return obj["spec"], obj["metadata"].get("annotations") or {}


def documented_restore_line(ns: str) -> str:
    """The by-hand restore line of docs/install.md ("Uninstalling"), limited
    to namespace `ns`: other tests share this control plane."""
    text = INSTALL_DOC.read_text()
    start = text.index("\n## Uninstalling\n")
    end = text.find("\n## ", start + 1)
    section = text[start:end if end > 0 else len(text)]
    lines = [line for line in section.splitlines()
             if "original-min-replicas" in line and "patch hpa" in line and line.startswith("kubectl ")]
    if len(lines) != 1:
        raise e2e.Failure(f"docs/install.md 'Uninstalling': expected one restore line, found {len(lines)}")
    scoped = lines[0].replace("kubectl get hpa -A ", f"kubectl get hpa -n {ns} ", 1)
    if scoped == lines[0]:
        raise e2e.Failure("docs/install.md's restore line does not start with `kubectl get hpa -A`")
    return scoped


def run_documented_line(line: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{os.environ['PREBELL_K8S_BIN_DIR']}:{os.environ.get('PATH', '')}")
    return subprocess.run(["bash", "-o", "pipefail", "-c", line], capture_output=True, text=True,
                          timeout=120, env=env)


class InstalledRun:
    """One `helm install` with a user's workload next to it, and `prebell run`
    on this machine with a token of the installed ServiceAccount and the
    installed Deployment's flags (only --metrics-address and --prometheus-url
    point at this machine).

    The chart is installed with the bundled stack and with
    controller.watchNamespaces = [the user's namespace, the release's]: the
    controller then runs with exactly the chart's flags and cannot see the
    other tests that share this control plane (a cluster-wide one would act
    on their ScalingPolicies)."""

    def __init__(self, r: Results, cp: e2e.ControlPlane, prebell: str, work: Path, label: str, release: str,
                 release_ns: str, user_ns: str):
        self.r, self.cp, self.api = r, cp, cp.api
        self.prebell, self.work, self.label = prebell, work, label
        self.release, self.release_ns, self.user_ns = release, release_ns, user_ns
        self.installed = False
        self.controller: e2e.Controller | None = None
        self.floor: int | None = None
        self.before: tuple[dict, dict] | None = None

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        return self.r.check(f"{self.label}: {name}", ok, detail)

    def user_workload(self) -> None:
        """The user's own Deployment and HPA, before prebell is installed."""
        self.api.ensure_namespace(self.user_ns)
        self.api.create(e2e.deployment(self.user_ns, USER_HPA, USER_HPA_MIN))
        self.api.create(e2e.hpa(self.user_ns, USER_HPA, USER_HPA, USER_HPA_MIN, 20))
        self.before = hpa_state(self.api, self.user_ns, USER_HPA)

    def install(self) -> bool:
        proc = helm("install", self.release, str(CHART), "--namespace", self.release_ns, "--create-namespace",
                    "--set", f"controller.watchNamespaces={{{self.user_ns},{self.release_ns}}}", check=False)
        self.installed = proc.returncode == 0
        self.check("helm install (bundled stack, watchNamespaces = user's and release's) succeeds",
                   self.installed, proc.stdout + proc.stderr)
        self.check("NOTES.txt says to delete the ScalingPolicies before helm uninstall",
                   "kubectl delete scalingpolicies --all --all-namespaces" in proc.stdout, proc.stdout)
        return self.installed

    def user_schedule(self) -> None:
        """A Timetable with a class a few minutes ahead and a ScalingPolicy on the HPA."""
        now = e2e.utcnow().replace(microsecond=0)
        tt = e2e.timetable(self.user_ns, "term", "Europe/London",
                           [e2e.session("lecture", now + dt.timedelta(minutes=3), "Europe/London", "30m", 300)])
        # A 5-minute warm-up: the class is inside it, so the floor goes up at once and stays.
        sp = e2e.scaling_policy(self.user_ns, USER_POLICY, [
            e2e.target("gateway", "HorizontalPodAutoscaler", USER_HPA, cpr=40, warmup="5m",
                       min_replicas=USER_HPA_MIN, max_replicas=20)])
        self.api.create(tt)
        self.api.create(sp)
        oracle = e2e.PlanOracle(self.prebell, self.work / f"plan-{self.label}", [tt], sp)
        self.floor = oracle.decision(now, "gateway")
        later = oracle.decision(now + dt.timedelta(minutes=4), "gateway")
        if self.floor <= USER_HPA_MIN or later != self.floor:
            raise e2e.Failure(f"test set-up: the plan should raise the floor above {USER_HPA_MIN} now and hold it "
                              f"for 4 minutes, got {self.floor} now and {later} at +4m")

    def start_controller(self) -> None:
        dep = kubectl_json("get", "deployment", self.release, "-n", self.release_ns)
        chart_args = e2e.controller_args_from_chart([dep])
        self.check("the installed Deployment's flags name the watched namespaces",
                   f"--namespaces={self.user_ns},{self.release_ns}" in chart_args, str(chart_args))
        sa = dep["spec"]["template"]["spec"]["serviceAccountName"]
        token = self.cp.token(self.release_ns, sa)
        self.kubeconfig = self.cp.token_kubeconfig(self.work / f"{self.label}.kubeconfig", token)
        self.as_sa = e2e.Api(self.cp.server, self.cp.ca, token=token)
        port = e2e.free_port()
        args = [a for a in chart_args if not a.startswith(("--metrics-address=", "--prometheus-url="))]
        # Nothing listens there: demand comes from the timetable alone, as `prebell plan` computes it.
        args += [f"--metrics-address=127.0.0.1:{port}", f"--prometheus-url=http://127.0.0.1:{e2e.free_port()}"]
        self.controller = e2e.Controller(self.prebell, self.work, f"controller-{self.label}", str(self.kubeconfig),
                                         args=args, port=port).start()
        self.controller.wait_ready(60)

    def check_does_its_job(self) -> None:
        try:
            e2e.wait_for(f"HPA {USER_HPA} floor {self.floor}",
                         lambda: e2e.hpa_floor(self.api, self.user_ns, USER_HPA)[0] == self.floor, 30)
        except e2e.Failure as exc:
            self.check(f"the user's HPA floor raised {USER_HPA_MIN} -> {self.floor}", False, str(exc))
            return
        spec, ann = hpa_state(self.api, self.user_ns, USER_HPA)
        self.check(f"the user's HPA floor raised {USER_HPA_MIN} -> {self.floor}, original and owner recorded",
                   spec["minReplicas"] == self.floor
                   and ann.get("prebell.io/original-min-replicas") == str(USER_HPA_MIN)
                   and ann.get("prebell.io/owner") == f"{self.user_ns}/{USER_POLICY}", json.dumps(ann))
        for ns, name in ((self.user_ns, USER_POLICY), (self.release_ns, f"{self.release}-stack")):
            try:
                e2e.wait_for(f"ScalingPolicy {ns}/{name} status", lambda: (self.api.get(
                    e2e.path("ScalingPolicy", ns, name)).get("status") or {}).get("plannedSummary"), 30)
                self.check(f"status of ScalingPolicy {ns}/{name} written", True)
            except e2e.Failure as exc:
                self.check(f"status of ScalingPolicy {ns}/{name} written", False, str(exc))
        lease = self.api.get(e2e.path("Lease", self.release_ns, self.release), missing_ok=True)
        self.check("it holds the chart's Lease", bool(lease and lease["spec"].get("holderIdentity")), str(lease))

    def check_denied(self) -> None:
        """The same token, refused what the chart does not grant (real requests)."""
        attempts = [
            ("GET", e2e.path("Secret", self.user_ns), None),
            ("GET", e2e.path("Secret", self.release_ns), None),
            ("GET", e2e.path("Secret", None), None),
            ("PATCH", e2e.path("Deployment", self.user_ns, USER_HPA), {"spec": {"replicas": 9}}),
            ("DELETE", e2e.path("HorizontalPodAutoscaler", self.user_ns, USER_HPA), None),
            ("GET", e2e.path("HorizontalPodAutoscaler", "default"), None),
        ]
        got = []
        for method, url, body in attempts:
            status, _ = self.as_sa.request(method, url, body, content_type="application/merge-patch+json")
            got.append((method, url, status))
        self.check("with its token: Secrets (user's, release's, all), a Deployment's spec, deleting the HPA, "
                   "an unwatched namespace: all 403", all(s == 403 for _, _, s in got),
                   str([g for g in got if g[2] != 403]))

    def check_no_refusal(self, when: str) -> None:
        refused = sum(v for _, v in self.controller.series("prebell_kubernetes_requests_total",
                                                            result="unauthorized"))
        ok = self.controller.requests(result="success")
        self.check(f"{when}: no request of the controller refused (unauthorized = {refused:.0f}, "
                   f"success = {ok:.0f})", refused == 0 and ok > 0)

    def stop_controller(self) -> None:
        if self.controller and self.controller.running():
            rc = self.controller.stop()
            self.check("the controller exits 0 on SIGTERM", rc == 0, self.controller.tail(40))

    def uninstall(self) -> None:
        proc = helm("uninstall", self.release, "--namespace", self.release_ns, check=False)
        self.installed = False
        self.check("helm uninstall succeeds", proc.returncode == 0, proc.stdout + proc.stderr)

    def hpa_as_before(self, what: str) -> None:
        spec, ann = hpa_state(self.api, self.user_ns, USER_HPA)
        self.check(f"{what}: the user's HPA spec equals what it was before prebell", spec == self.before[0],
                   f"before {json.dumps(self.before[0])}\n      now    {json.dumps(spec)}")
        self.check(f"{what}: the user's HPA annotations equal what they were before prebell",
                   ann == self.before[1], f"before {self.before[1]}, now {ann}")

    def cleanup(self) -> None:
        if self.controller:
            self.controller.stop()
        if self.installed:
            helm("uninstall", self.release, "--namespace", self.release_ns, check=False)
        for ns in (self.user_ns, self.release_ns):
            kubectl("delete", "namespace", ns, "--wait=false", check=False)


def prepare(run: InstalledRun) -> bool:
    """Install, the user's objects, the controller; the controller's job and refusals."""
    run.user_workload()
    if not run.install():
        return False
    run.user_schedule()
    run.start_controller()
    run.check_does_its_job()
    run.check_denied()
    run.check_no_refusal("while it works")
    return True


def uninstall_documented(run: InstalledRun) -> None:
    """docs/install.md: delete the ScalingPolicies, then helm uninstall."""
    for ns in (run.user_ns, run.release_ns):
        kubectl("delete", "scalingpolicies", "--all", "-n", ns)
    try:
        e2e.wait_for("the user's HPA back as it was",
                     lambda: hpa_state(run.api, run.user_ns, USER_HPA) == run.before, 30)
    except e2e.Failure as exc:
        print(f"      {exc}")
    run.hpa_as_before("ScalingPolicies deleted")
    run.check_no_refusal("after restoring")
    run.stop_controller()
    run.uninstall()
    run.hpa_as_before("after helm uninstall")


def uninstall_directly(run: InstalledRun) -> None:
    """helm uninstall while the policy holds the HPA up: nothing restores it;
    docs/install.md's line does."""
    # helm uninstall stops the chart's pods; here the controller is this machine's.
    run.stop_controller()
    run.uninstall()
    spec, ann = hpa_state(run.api, run.user_ns, USER_HPA)
    want_ann = {"prebell.io/original-min-replicas": str(USER_HPA_MIN),
                "prebell.io/owner": f"{run.user_ns}/{USER_POLICY}"}
    run.check(f"after helm uninstall the HPA keeps minReplicas {run.floor} and prebell's annotations "
              f"(original {USER_HPA_MIN})", spec["minReplicas"] == run.floor and ann == {**run.before[1], **want_ann},
              f"minReplicas {spec['minReplicas']}, annotations {ann}")
    sp = run.api.get(e2e.path("ScalingPolicy", run.user_ns, USER_POLICY), missing_ok=True)
    run.check("the user's ScalingPolicy survives helm uninstall (CRDs stay)", sp is not None)
    kubectl("delete", "scalingpolicy", USER_POLICY, "-n", run.user_ns)
    time.sleep(3)
    run.check("deleting the ScalingPolicy with no controller changes nothing",
              hpa_state(run.api, run.user_ns, USER_HPA) == (spec, ann))
    line = documented_restore_line(run.user_ns)
    proc = run_documented_line(line)
    run.check("docs/install.md's restore line runs", proc.returncode == 0 and "patched" in proc.stdout,
              f"{line}\n      {proc.stdout}{proc.stderr}")
    run.hpa_as_before("restored by hand")


def cmd_install_controller(env_file: str, prebell: str, work: Path) -> int:
    load_env(env_file)
    r = Results()
    started = time.monotonic()
    work.mkdir(parents=True, exist_ok=True)
    for old in work.glob("*.log"):
        old.unlink()
    install_prerequisite_crds()
    cp = e2e.ControlPlane.shared(os.environ["PREBELL_TEST_CONTROLPLANE_DIR"])
    suffix = secrets.token_hex(3)
    cases = [("documented order", uninstall_documented), ("helm uninstall first", uninstall_directly)]
    for i, (label, finish) in enumerate(cases):
        run = InstalledRun(r, cp, prebell, work, label.replace(" ", "-"), f"prebell-{suffix}-{i}",
                           f"chart-ctl-{suffix}-{i}", f"campus-{suffix}-{i}")
        t0 = time.monotonic()
        try:
            if prepare(run):
                finish(run)
        except e2e.Failure as exc:
            run.check("ran to the end", False, str(exc))
        finally:
            if run.controller and r.failures:
                print(f"--- controller log (tail) {run.controller.log_path}\n{run.controller.tail(60)}")
            run.cleanup()
        print(f"      ({label}: {time.monotonic() - t0:.1f} s)")
    print(f"      (total {time.monotonic() - started:.1f} s)")
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
    if len(args) == 4 and args[0] == "install-controller":
        return cmd_install_controller(args[1], args[2], Path(args[3]))
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
