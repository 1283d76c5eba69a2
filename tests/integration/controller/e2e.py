"""Shared machinery of prebell's end-to-end tests: `prebell run` against a real
kube-apiserver (tools/k8s/controlplane.py), observed from the outside.

Only the Python 3 standard library (and PyYAML where Helm output is parsed).
Everything here talks to real servers: the API server through its REST API
(admin client certificate, or a ServiceAccount token), etcd through its v3
JSON gateway, the controller through its /metrics, /healthz and /readyz and its
JSON logs on stderr.

The pieces:
  ControlPlane    the shared CTest fixture (`controlplane`, its env file) or one
                  of the test's own (start/stop/restart-apiserver/token)
  Api             REST calls, with paths for the kinds the tests use
  Controller      one `prebell run` process: flags, readiness, metrics, logs
  Poller          samples a value (an HPA's floor, a Deployment's replicas)
                  every half second and keeps the changes with their times
  plan_oracle     `prebell plan` on the same manifests: the replica timeline
                  the controller is expected to write (the same Planner)
  TcpProxy        a TCP forwarder the controller can be pointed at, to cut its
                  connections and partition it from the API server
  Checks          named checks that keep going after a failure and summarise
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import json
import os
import random
import re
import select
import shlex
import signal
import socket
import ssl
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zoneinfo
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
CONTROLPLANE_PY = REPO / "tools" / "k8s" / "controlplane.py"
BUILD_SH = REPO / "tools" / "k8s" / "build.sh"
CRDS = REPO / "crds"
CHART = REPO / "charts" / "prebell"
GROUP_VERSION = "prebell.io/v1alpha1"

T_START = time.monotonic()


class Failure(Exception):
    """A test step that cannot go on; the message says what was expected and seen."""


def log(msg: str) -> None:
    print(f"[{time.monotonic() - T_START:7.1f}s] {msg}", flush=True)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def rfc3339(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def local_start(t: dt.datetime, zone: str) -> str:
    """`t` as a Timetable's local `start` in `zone` (whole seconds)."""
    return t.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M:%S")


def suffix(n: int = 5) -> str:
    return "".join(random.choices(string.ascii_lowercase + string.digits, k=n))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, fn, timeout: float, interval: float = 0.5):
    """Calls fn until it returns something truthy; Failure naming `what` (and
    the last value or exception) after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = fn()
            if last:
                return last
        except (Failure, OSError, http.client.HTTPException) as exc:
            last = f"{type(exc).__name__}: {exc}"
        if time.monotonic() >= deadline:
            raise Failure(f"timed out after {timeout:.0f} s waiting for {what} (last: {str(last)[:600]})")
        time.sleep(interval)


# --------------------------------------------------------------------------
# checks


class Checks:
    """Named checks; a failed one is recorded and the test goes on, so one run
    shows every problem. finish() prints the summary and gives the exit code."""

    def __init__(self) -> None:
        self.failed: list[str] = []
        self.passed = 0
        self.notes: list[str] = []

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        if ok:
            self.passed += 1
            log(f"PASS {name}")
        else:
            self.failed.append(name)
            log(f"FAIL {name}" + (f"\n        {detail}" if detail else ""))
        return ok

    def equal(self, name: str, got, want) -> bool:
        return self.check(name, got == want, f"expected {want!r}, got {got!r}")

    def note(self, text: str) -> None:
        self.notes.append(text)
        log(f"NOTE {text}")

    def fail(self, name: str, detail: str) -> None:
        self.check(name, False, detail)

    def finish(self) -> int:
        for n in self.notes:
            print(f"note: {n}")
        total = self.passed + len(self.failed)
        if self.failed:
            print(f"\nFAILED {len(self.failed)} of {total} checks:")
            for name in self.failed:
                print(f"  - {name}")
            return 1
        print(f"\nPASS: all {total} checks")
        return 0


# --------------------------------------------------------------------------
# the API server


KINDS = {
    # kind: (api prefix, plural, namespaced)
    "Namespace": ("/api/v1", "namespaces", False),
    "ConfigMap": ("/api/v1", "configmaps", True),
    "Secret": ("/api/v1", "secrets", True),
    "Event": ("/api/v1", "events", True),
    "ServiceAccount": ("/api/v1", "serviceaccounts", True),
    "Pod": ("/api/v1", "pods", True),
    "Deployment": ("/apis/apps/v1", "deployments", True),
    "StatefulSet": ("/apis/apps/v1", "statefulsets", True),
    "HorizontalPodAutoscaler": ("/apis/autoscaling/v2", "horizontalpodautoscalers", True),
    "Lease": ("/apis/coordination.k8s.io/v1", "leases", True),
    "Timetable": (f"/apis/{GROUP_VERSION}", "timetables", True),
    "ScalingPolicy": (f"/apis/{GROUP_VERSION}", "scalingpolicies", True),
    "ClusterRole": ("/apis/rbac.authorization.k8s.io/v1", "clusterroles", False),
    "ClusterRoleBinding": ("/apis/rbac.authorization.k8s.io/v1", "clusterrolebindings", False),
    "Role": ("/apis/rbac.authorization.k8s.io/v1", "roles", True),
    "RoleBinding": ("/apis/rbac.authorization.k8s.io/v1", "rolebindings", True),
}


def path(kind: str, ns: str | None = None, name: str | None = None, sub: str | None = None) -> str:
    prefix, plural, namespaced = KINDS[kind]
    p = prefix
    if namespaced and ns is not None:
        p += f"/namespaces/{ns}"
    p += f"/{plural}"
    if name:
        p += f"/{name}"
    if sub:
        p += f"/{sub}"
    return p


def object_path(obj: dict, sub: str | None = None) -> str:
    md = obj["metadata"]
    return path(obj["kind"], md.get("namespace"), md["name"], sub)


class ApiError(Failure):
    def __init__(self, method: str, url: str, status: int, body):
        self.status = status
        self.body = body
        msg = body.get("message") if isinstance(body, dict) else str(body)[:400]
        super().__init__(f"{method} {url}: HTTP {status}: {msg}")


class Api:
    """The Kubernetes REST API with a client certificate or a bearer token."""

    def __init__(self, server: str, ca: str, cert: str | None = None, key: str | None = None,
                 token: str | None = None, timeout: float = 30):
        u = urllib.parse.urlparse(server)
        self.host, self.port = u.hostname, u.port or 443
        self.ctx = ssl.create_default_context(cafile=ca)
        if cert:
            self.ctx.load_cert_chain(cert, key)
        self.token = token
        self.timeout = timeout
        self._local = threading.local()

    def _conn(self) -> http.client.HTTPSConnection:
        c = getattr(self._local, "conn", None)
        if c is None:
            c = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=self.timeout)
            self._local.conn = c
        return c

    def request(self, method: str, url: str, body=None, content_type: str = "application/json",
                query: dict | None = None) -> tuple[int, object]:
        if query:
            url += "?" + urllib.parse.urlencode(query)
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = content_type
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        for attempt in range(2):
            conn = self._conn()
            try:
                conn.request(method, url, body=data, headers=headers)
                resp = conn.getresponse()
                text = resp.read()
                break
            except (http.client.HTTPException, OSError):
                conn.close()
                self._local.conn = None
                if attempt == 1:
                    raise
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text.decode(errors="replace")
        return resp.status, parsed

    def call(self, method: str, url: str, body=None, ok=(200, 201, 202), **kw):
        status, parsed = self.request(method, url, body, **kw)
        if status not in ok:
            raise ApiError(method, url, status, parsed)
        return parsed

    def get(self, url: str, missing_ok: bool = False):
        status, parsed = self.request("GET", url)
        if status == 404 and missing_ok:
            return None
        if status != 200:
            raise ApiError("GET", url, status, parsed)
        return parsed

    def create(self, obj: dict) -> dict:
        md = obj["metadata"]
        return self.call("POST", path(obj["kind"], md.get("namespace")), obj)

    def apply(self, obj: dict) -> dict:
        """Creates, or replaces the spec/metadata of an existing object."""
        status, parsed = self.request("POST", path(obj["kind"], obj["metadata"].get("namespace")), obj)
        if status in (200, 201):
            return parsed
        if status != 409:
            raise ApiError("POST", object_path(obj), status, parsed)
        current = self.get(object_path(obj))
        obj = json.loads(json.dumps(obj))
        obj["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        return self.call("PUT", object_path(obj), obj)

    def merge_patch(self, url: str, patch: dict) -> dict:
        return self.call("PATCH", url, patch, content_type="application/merge-patch+json")

    def delete(self, url: str, missing_ok: bool = True) -> None:
        status, parsed = self.request("DELETE", url)
        if status in (200, 202) or (status == 404 and missing_ok):
            return
        raise ApiError("DELETE", url, status, parsed)

    def ensure_namespace(self, name: str, labels: dict | None = None) -> None:
        obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}}
        status, parsed = self.request("POST", path("Namespace"), obj)
        if status not in (200, 201, 409):
            raise ApiError("POST", path("Namespace"), status, parsed)

    def events_for(self, ns: str, kind: str, name: str) -> list[dict]:
        sel = f"involvedObject.kind={kind},involvedObject.name={name}"
        items = self.get(path("Event", ns) + "?" + urllib.parse.urlencode({"fieldSelector": sel}))["items"]
        return items


# --------------------------------------------------------------------------
# control planes


def load_env_file(env_file: Path) -> dict:
    out = subprocess.run(["bash", "-c", f"set -a; . {shlex.quote(str(env_file))}; env -0"],
                         check=True, capture_output=True).stdout
    env = {}
    for item in out.split(b"\0"):
        if b"=" in item:
            k, v = item.split(b"=", 1)
            env[k.decode()] = v.decode()
    return env


class ControlPlane:
    """A running control plane: the shared fixture, or one this test owns."""

    def __init__(self, directory: Path, owned: bool):
        self.dir = Path(directory).resolve()
        self.owned = owned
        self.reload()

    def reload(self) -> None:
        env_file = self.dir / "env"
        if not env_file.exists():
            raise Failure(f"{env_file}: missing (is the `controlplane` fixture up? "
                          f"run ctest with -L integration, which runs controlplane_start first)")
        self.env = load_env_file(env_file)
        self.server = self.env["PREBELL_TEST_APISERVER"]
        self.ca = self.env["PREBELL_TEST_CA"]
        self.kubeconfig = self.env["KUBECONFIG"]
        self.kubectl_bin = self.env["KUBECTL"]
        self.etcd = self.env["PREBELL_TEST_ETCD"]
        self.api = Api(self.server, self.ca, self.env["PREBELL_TEST_CLIENT_CERT"], self.env["PREBELL_TEST_CLIENT_KEY"])

    @classmethod
    def shared(cls, directory: str) -> "ControlPlane":
        cp = cls(Path(directory), owned=False)
        wait_for("the shared control plane's /readyz", lambda: cp.api.request("GET", "/readyz")[0] == 200, 60)
        return cp

    @classmethod
    def start(cls, directory: Path, *args: str, timeout: float = 420) -> "ControlPlane":
        log(f"starting a control plane of our own in {directory} {' '.join(args)}")
        t0 = time.monotonic()
        proc = subprocess.run([sys.executable, str(CONTROLPLANE_PY), "start", "--dir", str(directory), *args],
                              capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise Failure(f"controlplane.py start failed:\n{proc.stderr[-4000:]}")
        log(f"control plane up in {time.monotonic() - t0:.1f} s")
        return cls(directory, owned=True)

    def stop(self) -> None:
        if not self.owned:
            return
        proc = subprocess.run([sys.executable, str(CONTROLPLANE_PY), "stop", "--dir", str(self.dir)],
                              capture_output=True, text=True, timeout=180)
        if proc.returncode != 0:
            log(f"controlplane.py stop: {proc.stderr.strip()}")

    def restart_apiserver(self) -> float:
        t0 = time.monotonic()
        proc = subprocess.run([sys.executable, str(CONTROLPLANE_PY), "restart-apiserver", "--dir", str(self.dir)],
                              capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            raise Failure(f"controlplane.py restart-apiserver failed:\n{proc.stderr[-3000:]}")
        self.api = Api(self.server, self.ca, self.env["PREBELL_TEST_CLIENT_CERT"], self.env["PREBELL_TEST_CLIENT_KEY"])
        return time.monotonic() - t0

    def state(self) -> dict:
        return json.loads((self.dir / "state.json").read_text())

    def token(self, ns: str, sa: str, duration: str = "2h") -> str:
        proc = subprocess.run([sys.executable, str(CONTROLPLANE_PY), "token", "--dir", str(self.dir),
                               "--namespace", ns, "--serviceaccount", sa, "--duration", duration],
                              capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise Failure(f"controlplane.py token failed:\n{proc.stderr}")
        return proc.stdout.strip()

    def kubectl(self, *args: str, stdin: str | None = None, check: bool = True, kubeconfig: str | None = None,
                timeout: float = 120) -> subprocess.CompletedProcess:
        cmd = [self.kubectl_bin, f"--kubeconfig={kubeconfig or self.kubeconfig}", *args]
        proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise Failure(f"{shlex.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
        return proc

    def apply_crds(self) -> None:
        for f in sorted(CRDS.glob("*.yaml")):
            self.kubectl("apply", "--server-side", "--force-conflicts", f"--field-manager=e2e-{os.getpid()}", "-f", str(f))
        self.kubectl("wait", "--for=condition=Established", "--timeout=120s",
                     "crd/timetables.prebell.io", "crd/scalingpolicies.prebell.io")

    def token_kubeconfig(self, dest: Path, token: str, server: str | None = None) -> Path:
        """A kubeconfig that authenticates with `token` (a ServiceAccount's)."""
        config = {
            "apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": "e2e", "cluster": {"server": server or self.server, "certificate-authority": self.ca}}],
            "users": [{"name": "e2e", "user": {"token": token}}],
            "contexts": [{"name": "e2e", "context": {"cluster": "e2e", "user": "e2e"}}],
            "current-context": "e2e",
        }
        dest.write_text(json.dumps(config, indent=2) + "\n")
        dest.chmod(0o600)
        return dest

    def admin_kubeconfig(self, dest: Path, server: str) -> Path:
        """The admin kubeconfig pointed at another address (a proxy)."""
        config = json.loads(Path(self.kubeconfig).read_text())
        for c in config["clusters"]:
            c["cluster"]["server"] = server
        dest.write_text(json.dumps(config, indent=2) + "\n")
        dest.chmod(0o600)
        return dest

    # etcd through its JSON gateway (no etcdctl needed)
    def etcd_call(self, method: str, body: dict) -> dict:
        req = urllib.request.Request(f"{self.etcd}/v3/{method}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def etcd_revision(self) -> int:
        reply = self.etcd_call("kv/range", {"key": base64.b64encode(b"/registry/namespaces/default").decode()})
        return int(reply["header"]["revision"])

    def etcd_compact(self, revision: int) -> None:
        self.etcd_call("kv/compaction", {"revision": str(revision), "physical": True})


# --------------------------------------------------------------------------
# the controller under test


def prometheus_text(text: str) -> list[tuple[str, dict, float]]:
    """Parses the Prometheus text format into (name, labels, value)."""
    out = []
    label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if "{" in line:
            name, rest = line.split("{", 1)
            labels_text, value_text = rest.rsplit("}", 1)
            labels = {k: bytes(v, "utf-8").decode("unicode_escape") for k, v in label_re.findall(labels_text)}
        else:
            name, value_text = line.split(None, 1)
            labels = {}
        value_text = value_text.strip().split()[0]
        try:
            value = float(value_text)
        except ValueError:
            continue
        out.append((name.strip(), labels, value))
    return out


class Controller:
    """One `prebell run` process. Logs (stderr, JSON) go to WORKDIR/NAME.log."""

    def __init__(self, prebell: str, workdir: Path, name: str, kubeconfig: str, *,
                 namespaces: list[str] | None = None, leader_elect: bool = True,
                 lease_name: str | None = None, lease_namespace: str | None = None,
                 identity: str | None = None, prometheus_url: str | None = None,
                 lead_time: str | None = None, replan_interval: str | None = None,
                 workers: int | None = None, extra: list[str] | None = None,
                 args: list[str] | None = None, port: int | None = None):
        """`args` replaces the generated flags (then it must hold
        --metrics-address=127.0.0.1:`port`)."""
        self.prebell = prebell
        self.name = name
        self.workdir = Path(workdir)
        self.log_path = self.workdir / f"{name}.log"
        self.port = port or free_port()
        self.identity = identity or name
        if args is None:
            args = [f"--metrics-address=127.0.0.1:{self.port}", f"--leader-elect={'true' if leader_elect else 'false'}",
                    "--log-format=json", f"--identity={self.identity}"]
            if lease_name:
                args.append(f"--lease-name={lease_name}")
            if lease_namespace:
                args.append(f"--lease-namespace={lease_namespace}")
            if namespaces:
                args.append(f"--namespaces={','.join(namespaces)}")
            if prometheus_url:
                args.append(f"--prometheus-url={prometheus_url}")
            if lead_time:
                args.append(f"--lead-time={lead_time}")
            if replan_interval:
                args.append(f"--replan-interval={replan_interval}")
            if workers:
                args.append(f"--workers={workers}")
        self.argv = [prebell, "run", f"--kubeconfig={kubeconfig}", *args, *(extra or [])]
        self.proc: subprocess.Popen | None = None
        self.started_at: float | None = None
        self.base = f"http://127.0.0.1:{self.port}"

    def start(self) -> "Controller":
        self.workdir.mkdir(parents=True, exist_ok=True)
        logf = open(self.log_path, "ab")
        logf.write(f"==== {time.strftime('%H:%M:%S')} {shlex.join(self.argv)}\n".encode())
        logf.flush()
        log(f"starting {self.name}: {shlex.join(self.argv)}")
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        logf.close()
        self.started_at = time.monotonic()
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def http(self, p: str, timeout: float = 5) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.base + p, timeout=timeout) as r:
                return r.status, r.read().decode(errors="replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")

    def wait_ready(self, timeout: float = 90) -> float:
        """Waits for /readyz 200; returns seconds since start. Failure (with the
        log tail) if the process exits first."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if not self.running():
                raise Failure(f"{self.name} exited with {self.proc.returncode} before it was ready:\n{self.tail()}")
            try:
                status, body = self.http("/readyz", timeout=2)
                if status == 200:
                    took = time.monotonic() - self.started_at
                    log(f"{self.name} ready after {took:.1f} s")
                    return took
                last = f"HTTP {status}: {body[:200]}"
            except OSError as exc:
                last = str(exc)
            time.sleep(0.3)
        raise Failure(f"{self.name} not ready after {timeout:.0f} s (/readyz: {last}):\n{self.tail()}")

    def metrics(self) -> list[tuple[str, dict, float]]:
        status, body = self.http("/metrics")
        if status != 200:
            raise Failure(f"{self.name} /metrics: HTTP {status}")
        return prometheus_text(body)

    def series(self, name: str, **labels) -> list[tuple[dict, float]]:
        return [(l, v) for n, l, v in self.metrics() if n == name and all(l.get(k) == str(w) for k, w in labels.items())]

    def value(self, name: str, **labels) -> float | None:
        s = self.series(name, **labels)
        return sum(v for _, v in s) if s else None

    def requests(self, **labels) -> float:
        return self.value("prebell_kubernetes_requests_total", **labels) or 0.0

    def log_records(self) -> list[dict]:
        out = []
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return out
        for line in text.splitlines():
            if line.startswith("===="):
                continue
            try:
                rec = json.loads(line)
                if isinstance(rec, dict):
                    out.append(rec)
                    continue
            except ValueError:
                pass
            out.append({"raw": line})
        return out

    def tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError as exc:
            return f"(no log: {exc})"
        return "\n".join("    | " + line[:600] for line in text[-lines:])

    def signal(self, sig: int) -> None:
        if self.running():
            os.kill(self.proc.pid, sig)

    def wait_exit(self, timeout: float) -> int | None:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout: float = 35) -> int | None:
        """SIGTERM, then SIGKILL after `timeout`; returns the exit status."""
        if self.proc is None:
            return None
        if self.running():
            self.signal(signal.SIGTERM)
            rc = self.wait_exit(timeout)
            if rc is None:
                log(f"{self.name} ignored SIGTERM for {timeout:.0f} s; SIGKILL")
                self.proc.kill()
                rc = self.proc.wait(10)
            return rc
        return self.proc.returncode


def find_prebell(arg: str | None) -> str:
    p = arg or os.environ.get("PREBELL_BIN")
    if not p or not os.access(p, os.X_OK):
        raise Failure(f"prebell binary not found ({p!r}); pass --prebell (CTest passes $<TARGET_FILE:prebell>)")
    return p


# --------------------------------------------------------------------------
# manifests


def timetable(ns: str, name: str, zone: str, sessions: list[dict], labels: dict | None = None,
              exclusions: list[dict] | None = None, calendars: list[dict] | None = None) -> dict:
    spec = {"timeZone": zone, "sessions": sessions}
    if exclusions:
        spec["exclusions"] = exclusions
    if calendars:
        spec["calendars"] = calendars
    return {"apiVersion": GROUP_VERSION, "kind": "Timetable",
            "metadata": {"name": name, "namespace": ns, "labels": labels or {}}, "spec": spec}


def session(name: str, start: dt.datetime, zone: str, duration: str, attendance: int, kind: str = "Class",
            course: str = "cs101", recurrence: str | None = None) -> dict:
    s = {"name": name, "kind": kind, "course": course, "start": local_start(start, zone),
         "duration": duration, "expectedAttendance": attendance}
    if recurrence:
        s["recurrence"] = recurrence
    return s


def target(name: str, kind: str, ref: str, *, cpr: float | None = 40, spr: float | None = None,
           warmup: str = "30s", min_replicas: int = 2, max_replicas: int = 20, **extra) -> dict:
    api_version = {"HorizontalPodAutoscaler": "autoscaling/v2"}.get(kind, "apps/v1")
    t = {"name": name, "scaleTargetRef": {"apiVersion": api_version, "kind": kind, "name": ref},
         "warmup": warmup, "minReplicas": min_replicas, "maxReplicas": max_replicas}
    if spr is not None:
        t["sessionsPerReplica"] = spr
    else:
        t["connectionsPerReplica"] = cpr
    t.update(extra)
    return t


def scaling_policy(ns: str, name: str, targets: list[dict], selector: dict | None = None, mode: str = "Active",
                   query: str | None = None) -> dict:
    spec = {"mode": mode, "targets": targets,
            "demand": {"connectionsQuery": query or f'sum(centrifugo_node_num_clients{{namespace="{ns}"}})'}}
    if selector is not None:
        spec["timetableSelector"] = selector
    return {"apiVersion": GROUP_VERSION, "kind": "ScalingPolicy", "metadata": {"name": name, "namespace": ns},
            "spec": spec}


def deployment(ns: str, name: str, replicas: int) -> dict:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "app", "image": "registry.k8s.io/pause:3.10",
                                                           "resources": {"requests": {"cpu": "10m"}}}]}}}}


def stateful_set(ns: str, name: str, replicas: int) -> dict:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": replicas, "serviceName": name, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "app", "image": "registry.k8s.io/pause:3.10"}]}}}}


def hpa(ns: str, name: str, deployment_name: str, min_replicas: int, max_replicas: int) -> dict:
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment_name},
                     "minReplicas": min_replicas, "maxReplicas": max_replicas,
                     "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                                                                   "target": {"type": "Utilization",
                                                                              "averageUtilization": 80}}}]}}


# --------------------------------------------------------------------------
# the plan the controller should follow: `prebell plan` on the same manifests


class Timeline:
    """A replica step function: `now_value` from `now`, then each change."""

    def __init__(self, now: dt.datetime, now_value: int, changes: list[tuple[dt.datetime, int]]):
        self.now = now
        self.now_value = now_value
        self.changes = changes

    def value_at(self, t: dt.datetime) -> int:
        v = self.now_value
        for at, r in self.changes:
            if at <= t:
                v = r
        return v

    def __repr__(self) -> str:
        steps = ", ".join(f"+{(a - self.now).total_seconds():.0f}s->{r}" for a, r in self.changes)
        return f"[{self.now_value} at {rfc3339(self.now)}; {steps}]"


class PlanOracle:
    """`prebell plan --output json` (the same Planner as the controller) on the
    manifests as applied, at any `now`; answers cached per whole second."""

    def __init__(self, prebell: str, workdir: Path, timetables: list[dict], policy: dict, horizon: str = "2h"):
        self.prebell = prebell
        self.horizon = horizon
        workdir.mkdir(parents=True, exist_ok=True)
        self.files = []
        for i, tt in enumerate(timetables):
            f = workdir / f"plan-tt-{tt['metadata']['name']}-{i}.yaml"
            f.write_text(json.dumps(tt))
            self.files.append(str(f))
        self.policy_file = workdir / f"plan-sp-{policy['metadata']['name']}.yaml"
        self.policy_file.write_text(json.dumps(policy))
        self._cache: dict[int, dict[str, Timeline]] = {}

    def at(self, now: dt.datetime) -> dict[str, Timeline]:
        key = int(now.timestamp())
        if key not in self._cache:
            t = dt.datetime.fromtimestamp(key, dt.timezone.utc)
            cmd = [self.prebell, "plan", "--policy", str(self.policy_file), "--now", rfc3339(t), "--output", "json",
                   "--horizon", self.horizon]
            for f in self.files:
                cmd += ["--timetable", f]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            if proc.returncode != 0:
                raise Failure(f"{shlex.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
            plan = json.loads(proc.stdout)
            self._cache[key] = {
                tg["name"]: Timeline(t, int(tg["replicasNow"]),
                                     [(parse_time(c["at"]), int(c["replicas"])) for c in tg["timeline"]])
                for tg in plan["targets"]}
        return self._cache[key]

    def decision(self, now: dt.datetime, target: str) -> int:
        return self.at(now)[target].now_value


def plan_oracle(prebell: str, workdir: Path, timetables: list[dict], policy: dict, now: dt.datetime,
                horizon: str = "2h") -> dict[str, Timeline]:
    """Each target's timeline as `prebell plan` sees it at `now`."""
    return PlanOracle(prebell, workdir, timetables, policy, horizon).at(now)


def check_follows_planner(checks: Checks, what: str, oracle: PlanOracle, target: str,
                          observed: list[tuple[dt.datetime, object]], initial: int, t_start: dt.datetime,
                          t_end: dt.datetime, startup: float = 15, stale: float = 17, every: float = 5) -> None:
    """The values a workload took (first sample: before the controller started,
    `initial`) against the planner's decision for the moment:
      - every change is to the value the planner decides at that moment (from
        3 s before it was seen to 1 s after): no early, made-up or stale value;
      - at every `every` s from t_start + startup to t_end the value in place
        is one the planner decided at most `stale` s before (the controller
        re-plans every --replan-interval, 15 s, and at each change its plan
        foresees): nothing missed or late."""
    problems = []
    changes = []
    prev = initial
    for t, v in observed:
        if v != prev and t_start <= t <= t_end:
            changes.append((t, v))
        prev = v
    for t, v in changes:
        window = [t + dt.timedelta(seconds=s) for s in (-3, -2, -1, 0, 1)]
        decided = [oracle.decision(u, target) for u in window]
        if v not in decided:
            problems.append(f"+{(t - t_start).total_seconds():.1f}s: wrote {v}, the planner decides {decided} "
                            f"from 3 s before to 1 s after")

    def value_at(u):
        val = initial
        for t, v in observed:
            if t <= u:
                val = v
        return val

    u = t_start + dt.timedelta(seconds=startup)
    while u <= t_end:
        have = value_at(u)
        recent = {oracle.decision(u - dt.timedelta(seconds=s), target) for s in range(0, int(stale) + 1)}
        if have not in recent:
            problems.append(f"+{(u - t_start).total_seconds():.0f}s: {have} in place, the planner decided "
                            f"{sorted(recent)} in the {stale:.0f} s before")
        u += dt.timedelta(seconds=every)
    shown = ", ".join(f"+{(t - t_start).total_seconds():.1f}s->{v}" for t, v in changes)
    checks.check(f"{what} follows the planner's decisions", not problems,
                 "; ".join(problems[:8]) + f"\n        observed from {initial}: [{shown}]\n"
                 f"        plan at start {oracle.at(t_start)[target]}")


def plan_offsets(prebell: str, workdir: Path, tgt: dict, kind: str = "Class", duration: str = "2m",
                 attendance: int = 300, zone: str = "UTC") -> dict:
    """How the planner treats one session of `kind` for target `tgt`, from a
    probe plan an hour ahead: `raise_lead` (s from the first raise to the
    start), `release_lag` (s from the end to the first step down),
    `down_steps` ([(s after the end, replicas)] from there on), `peak` (the
    most replicas asked for) and the timeline."""
    now = utcnow().replace(microsecond=0)
    start = now + dt.timedelta(hours=1)
    tt = timetable("probe", "probe", zone, [session("probe", start, zone, duration, attendance, kind=kind)])
    sp = scaling_policy("probe", "probe", [tgt])
    tl = plan_oracle(prebell, workdir / "probe", [tt], sp, now)[tgt["name"]]
    if tl.now_value != tgt.get("minReplicas", 1) or not tl.changes:
        raise Failure(f"probe plan: expected the floor now and a raise before the session, got {tl}")
    first_up = tl.changes[0][0]
    end = start + dt.timedelta(seconds=parse_duration(duration))
    peak = max(r for _, r in tl.changes)
    downs = [a for a, r in tl.changes if a > end and r < peak]
    if not downs:
        raise Failure(f"probe plan: no step down after the session: {tl}")
    return {"raise_lead": (start - first_up).total_seconds(), "release_lag": (downs[0] - end).total_seconds(),
            "down_steps": [((a - end).total_seconds(), r) for a, r in tl.changes if a > end and a >= downs[0]],
            "peak": peak, "timeline": tl, "start": start}


def parse_duration(text: str) -> float:
    m = re.fullmatch(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", text)
    if not m or not text:
        raise ValueError(f"not a duration: {text!r}")
    d, h, mi, s = (int(g) if g else 0 for g in m.groups())
    return ((d * 24 + h) * 60 + mi) * 60 + s


# --------------------------------------------------------------------------
# observing values over time


class Poller(threading.Thread):
    """Samples fn() every `period` s (errors skipped, e.g. while the API server
    restarts) and keeps (utc time, value) for the first sample and each change."""

    def __init__(self, name: str, fn, period: float = 0.5):
        super().__init__(daemon=True, name=name)
        self.fn = fn
        self.period = period
        self.changes: list[tuple[dt.datetime, object]] = []
        self.samples = 0
        self.errors = 0
        self._halt = threading.Event()  # not `_stop`: threading.Thread has a method of that name
        self._lock = threading.Lock()

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                v = self.fn()
                with self._lock:
                    self.samples += 1
                    if not self.changes or self.changes[-1][1] != v:
                        self.changes.append((utcnow(), v))
            except Exception:  # noqa: BLE001 - an unreachable API server is expected in fault tests
                self.errors += 1
            self._halt.wait(self.period)

    def stop(self) -> None:
        self._halt.set()
        self.join(5)

    def history(self) -> list[tuple[dt.datetime, object]]:
        with self._lock:
            return list(self.changes)

    def current(self):
        with self._lock:
            return self.changes[-1][1] if self.changes else None

    def wait_value(self, what: str, pred, timeout: float):
        return wait_for(what, lambda: pred(self.current()), timeout, interval=0.2)

    def first_time(self, pred, after: dt.datetime | None = None) -> dt.datetime | None:
        for t, v in self.history():
            if (after is None or t >= after) and pred(v):
                return t
        return None


def hpa_floor(api: Api, ns: str, name: str):
    """(minReplicas, original-min-replicas annotation, owner annotation)."""
    obj = api.get(path("HorizontalPodAutoscaler", ns, name))
    ann = obj["metadata"].get("annotations") or {}
    return (obj["spec"].get("minReplicas"), ann.get("prebell.io/original-min-replicas"), ann.get("prebell.io/owner"))


def replicas_of(api: Api, kind: str, ns: str, name: str) -> int:
    return api.get(path(kind, ns, name))["spec"].get("replicas")


def condition(obj: dict, ctype: str) -> dict | None:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return c
    return None


def kubectl_table(cp: ControlPlane, *args: str) -> tuple[list[str], list[list[str]]]:
    """`kubectl get ...` as (header, rows), columns split on 2+ spaces."""
    out = cp.kubectl("get", *args).stdout
    lines = [l for l in out.splitlines() if l.strip()]
    if not lines:
        return [], []
    split = lambda l: re.split(r"\s{2,}", l.strip())  # noqa: E731
    return split(lines[0]), [split(l) for l in lines[1:]]


# --------------------------------------------------------------------------
# a TCP forwarder between the controller and the API server


class TcpProxy:
    """Forwards 127.0.0.1:port to the API server, byte for byte (TLS passes
    through: the serving certificate names 127.0.0.1). partition() closes every
    connection and refuses new ones until heal()."""

    def __init__(self, upstream: str):
        u = urllib.parse.urlparse(upstream)
        self.upstream = (u.hostname, u.port)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._conns: list[tuple[socket.socket, socket.socket]] = []
        self._open = True
        self._closed = False
        self.accepted = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                if not self._open:
                    client.close()
                    continue
            try:
                server = socket.create_connection(self.upstream, timeout=10)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns.append((client, server))
                self.accepted += 1
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        socks = [a, b]
        try:
            while True:
                ready, _, _ = select.select(socks, [], [], 1.0)
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    (b if s is a else a).sendall(data)
        except OSError:
            return
        finally:
            for s in socks:
                try:
                    s.close()
                except OSError:
                    pass
            with self._lock:
                self._conns = [c for c in self._conns if c[0] is not a]

    def partition(self) -> int:
        with self._lock:
            self._open = False
            conns = list(self._conns)
            self._conns.clear()
        for a, b in conns:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass
        return len(conns)

    def heal(self) -> None:
        with self._lock:
            self._open = True

    def close(self) -> None:
        self._closed = True
        self.partition()
        self.sock.close()


# --------------------------------------------------------------------------
# the chart's RBAC objects


def chart_objects(cp: "ControlPlane", release: str, namespace: str, *sets: str) -> list[dict]:
    """`helm template` of charts/prebell for the control plane's Kubernetes
    version; every rendered object."""
    import yaml  # python3-yaml (scripts/install-deps.sh)

    version = json.loads(cp.kubectl("version", "-o", "json").stdout)["serverVersion"]["gitVersion"]

    helm = subprocess.run([str(BUILD_SH), "--check", "helm"], capture_output=True, text=True)
    if helm.returncode != 0:
        raise Failure(f"helm is not built ({helm.stderr.strip()}); run tools/k8s/build.sh helm")
    helm_bin = Path(helm.stdout.strip().splitlines()[-1]) / "helm"
    cmd = [str(helm_bin), "template", release, str(CHART), "--namespace", namespace,
           "--kube-version", version.lstrip("v")]
    for s in sets:
        cmd += ["--set", s]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise Failure(f"{shlex.join(cmd)} failed:\n{proc.stderr}")
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def controller_args_from_chart(objects: list[dict]) -> list[str]:
    """The `prebell run` arguments of the chart's controller Deployment."""
    for obj in objects:
        if obj.get("kind") == "Deployment":
            for c in obj["spec"]["template"]["spec"]["containers"]:
                args = list(c.get("command", [])[1:]) + list(c.get("args", []))
                if "run" in args or any(a.startswith("--leader-elect") for a in args):
                    return [a for a in args if a != "run"]
    raise Failure("the chart renders no controller Deployment with `prebell run` arguments")


def cleanup_namespace(api: Api, ns: str) -> None:
    try:
        api.delete(path("Namespace", None, ns))
    except Exception as exc:  # noqa: BLE001 - best effort at the end of a test
        log(f"deleting namespace {ns}: {exc}")


def common_args(description: str):
    import argparse

    p = argparse.ArgumentParser(description=description)
    p.add_argument("--prebell", help="the prebell binary (default $PREBELL_BIN)")
    p.add_argument("--controlplane", help="state dir of the shared `controlplane` fixture")
    p.add_argument("--workdir", help="where logs and the test's own control plane go (default: a temp dir)")
    p.add_argument("--keep", action="store_true", help="keep the work dir (and its logs) on success")
    return p


def workdir_for(args, name: str) -> Path:
    if args.workdir:
        d = Path(args.workdir).resolve()
        d.mkdir(parents=True, exist_ok=True)
        for old in list(d.glob("*.log")) + list(d.glob("plan-*.yaml")):
            old.unlink()
        return d
    return Path(tempfile.mkdtemp(prefix=f"prebell-e2e-{name}-"))
