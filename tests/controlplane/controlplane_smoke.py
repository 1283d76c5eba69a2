#!/usr/bin/env python3
"""End-to-end check of tools/k8s/controlplane.py against the real binaries.

Starts its own control plane (etcd, kube-apiserver, kube-controller-manager) in
--dir, then checks what prebell's tests rely on:
  1. a Deployment created with kubectl gets a ReplicaSet from the real
     deployment controller and its .status is updated;
  2. RBAC is enforced: a fresh ServiceAccount token authenticates but is denied
     listing Secrets, and is allowed once a Role grants it;
  3. restart-apiserver (graceful, then --kill) keeps the data (same UIDs,
     from etcd) and the controllers keep working afterwards (a scale-up is
     reconciled);
  4. stop ends every process and keeps the logs.
Exits non-zero with the reason on the first failed check.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONTROLPLANE = REPO / "tools" / "k8s" / "controlplane.py"
NS = "prebell-smoke"


class CheckFailed(Exception):
    pass


def run(*argv: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(list(argv), capture_output=True, text=True, env=env)
    if check and proc.returncode != 0:
        raise CheckFailed(f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stderr.strip()}")
    return proc


def load_env(path: Path) -> dict:
    """The exports of DIR/env, read the way a shell would (via sh)."""
    out = run("sh", "-c", f'. "{path}" && env -0').stdout
    return dict(item.split("=", 1) for item in out.split("\0") if "=" in item)


def wait_for(what: str, predicate, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        ok, last = predicate()
        if ok:
            return last
        time.sleep(0.5)
    raise CheckFailed(f"timed out after {timeout:.0f} s waiting for {what}; last seen: {last}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()
    directory = Path(args.dir).resolve()

    py = sys.executable
    started = False
    try:
        t0 = time.monotonic()
        run(py, str(CONTROLPLANE), "start", "--dir", str(directory), "--controller-manager")
        started = True
        print(f"start: {time.monotonic() - t0:.1f} s")
        env = load_env(directory / "env")
        kubectl = env["KUBECTL"]
        kc = [kubectl, f"--kubeconfig={env['KUBECONFIG']}"]

        def get_json(*what: str) -> dict:
            return json.loads(run(*kc, "get", *what, "-o", "json").stdout)

        version = json.loads(run(*kc, "version", "-o", "json").stdout)
        print(f"client {version['clientVersion']['gitVersion']}, server {version['serverVersion']['gitVersion']}")
        if version["serverVersion"]["gitVersion"] != version["clientVersion"]["gitVersion"]:
            raise CheckFailed(f"client/server versions differ: {version}")

        # 1. Deployment -> ReplicaSet, status updated by the controller.
        run(*kc, "create", "namespace", NS)
        run(*kc, "-n", NS, "create", "deployment", "gateway", "--image=registry.invalid/gateway:1", "--replicas=2")

        def replicaset_of(dep_uid: str):
            rs = get_json("-n", NS, "replicasets")["items"]
            owned = [r for r in rs if any(o["uid"] == dep_uid for o in r["metadata"].get("ownerReferences", []))]
            return bool(owned), [r["metadata"]["name"] for r in owned]

        dep = get_json("-n", NS, "deployment", "gateway")
        dep_uid = dep["metadata"]["uid"]
        rs_names = wait_for("a ReplicaSet owned by deployment/gateway", lambda: replicaset_of(dep_uid))
        print(f"replicaset: {rs_names}")

        def status_reconciled(replicas: int):
            def check():
                d = get_json("-n", NS, "deployment", "gateway")
                s = d.get("status", {})
                ok = (s.get("observedGeneration") == d["metadata"]["generation"]
                      and s.get("replicas") == replicas)
                return ok, s
            return check

        status = wait_for("deployment/gateway .status (2 replicas observed)", status_reconciled(2))
        print(f"deployment status: {json.dumps(status, sort_keys=True)}")

        # 2. RBAC: authenticated but not authorized, then authorized by a Role.
        token = run(py, str(CONTROLPLANE), "token", "--dir", str(directory),
                    "--namespace", NS, "--serviceaccount", "limited").stdout.strip()
        as_sa = [kubectl, f"--server={env['PREBELL_TEST_APISERVER']}",
                 f"--certificate-authority={env['PREBELL_TEST_CA']}", f"--token={token}",
                 "--kubeconfig=/dev/null"]
        who = json.loads(run(*as_sa, "auth", "whoami", "-o", "json").stdout)
        user = who["status"]["userInfo"]["username"]
        if user != f"system:serviceaccount:{NS}:limited":
            raise CheckFailed(f"token authenticated as {user!r}")
        denied = run(*as_sa, "-n", NS, "get", "secrets", check=False)
        if denied.returncode == 0 or "forbidden" not in denied.stderr.lower():
            raise CheckFailed(f"listing secrets with a fresh ServiceAccount token was not forbidden: "
                              f"rc={denied.returncode} stderr={denied.stderr.strip()}")
        print("rbac: fresh ServiceAccount token denied listing secrets")
        run(*kc, "-n", NS, "create", "role", "secret-reader", "--verb=list", "--resource=secrets")
        run(*kc, "-n", NS, "create", "rolebinding", "limited-reads-secrets", "--role=secret-reader",
            f"--serviceaccount={NS}:limited")
        wait_for("the Role to allow listing secrets",
                 lambda: (run(*as_sa, "-n", NS, "get", "secrets", check=False).returncode == 0, "still denied"),
                 timeout=30)
        other_ns = run(*as_sa, "-n", "default", "get", "secrets", check=False)
        if other_ns.returncode == 0:
            raise CheckFailed("the namespaced Role also allowed listing secrets in namespace default")
        print("rbac: allowed after RoleBinding, still denied in another namespace")

        # 3. Restart the apiserver on the same port and etcd.
        old_pid = env["PREBELL_TEST_APISERVER_PID"]
        t1 = time.monotonic()
        run(py, str(CONTROLPLANE), "restart-apiserver", "--dir", str(directory))
        print(f"restart-apiserver: {time.monotonic() - t1:.1f} s")
        env = load_env(directory / "env")
        if env["PREBELL_TEST_APISERVER_PID"] == old_pid:
            raise CheckFailed(f"apiserver pid unchanged ({old_pid}) after restart")
        after = get_json("-n", NS, "deployment", "gateway")
        if after["metadata"]["uid"] != dep_uid:
            raise CheckFailed(f"deployment uid changed across restart: {dep_uid} -> {after['metadata']['uid']}")
        print("restart: deployment survived with the same uid")
        # The controller-manager must reconnect to the restarted apiserver.
        run(*kc, "-n", NS, "scale", "deployment", "gateway", "--replicas=3")
        wait_for("deployment/gateway .status (3 replicas observed) after the restart", status_reconciled(3))
        print("restart: controller-manager reconciled a scale-up after the restart")
        # A crash (SIGKILL) rather than a graceful stop: etcd still has it all.
        run(py, str(CONTROLPLANE), "restart-apiserver", "--dir", str(directory), "--kill")
        env = load_env(directory / "env")
        if get_json("-n", NS, "deployment", "gateway")["spec"]["replicas"] != 3:
            raise CheckFailed("deployment/gateway lost its scale-up across a killed apiserver")
        print("restart --kill: deployment kept spec.replicas=3")

        # 4. Stop.
        pids = [int(v) for k, v in env.items() if k.startswith("PREBELL_TEST_") and k.endswith("_PID")]
        run(py, str(CONTROLPLANE), "stop", "--dir", str(directory))
        started = False
        for pid in pids:
            stat = Path(f"/proc/{pid}/stat")
            if stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z":
                raise CheckFailed(f"pid {pid} still running after stop")
        logs = sorted(p.name for p in (directory / "logs").iterdir())
        if "kube-apiserver.log" not in logs:
            raise CheckFailed(f"logs not kept after stop: {logs}")
        print(f"stop: all {len(pids)} processes gone; logs kept: {logs}")
    except CheckFailed as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        for log in sorted((directory / "logs").glob("*.log")) if (directory / "logs").exists() else []:
            tail = log.read_text(errors="replace").splitlines()[-15:]
            print(f"--- {log} (tail)", file=sys.stderr)
            print("\n".join(tail), file=sys.stderr)
        return 1
    finally:
        if started:
            subprocess.run([py, str(CONTROLPLANE), "stop", "--dir", str(directory)])
    print("controlplane smoke: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
