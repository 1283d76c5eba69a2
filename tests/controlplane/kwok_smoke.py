#!/usr/bin/env python3
"""Checks `controlplane.py start --kwok`: with the controller-manager, the
scheduler and KWOK's fake node, a Deployment's pods get scheduled onto the
fake node and become Ready after the delay set by the pod annotation
pod-ready.stage.kwok.x-k8s.io/delay, and the Deployment becomes Available;
scaling up yields more Ready pods. Usage: kwok_smoke.py --dir DIR
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONTROLPLANE = REPO / "tools" / "k8s" / "controlplane.py"
NS = "prebell-kwok"
READY_DELAY_S = 3


class CheckFailed(Exception):
    pass


def run(*argv: str, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(list(argv), capture_output=True, text=True, input=stdin)
    if check and proc.returncode != 0:
        raise CheckFailed(f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stderr.strip()}")
    return proc


def load_env(path: Path) -> dict:
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
    directory = Path(parser.parse_args().dir).resolve()
    py = sys.executable
    started = False
    try:
        run(py, str(CONTROLPLANE), "start", "--dir", str(directory), "--controller-manager", "--kwok")
        started = True
        env = load_env(directory / "env")
        kc = [env["KUBECTL"], f"--kubeconfig={env['KUBECONFIG']}"]

        def get_json(*what: str) -> dict:
            return json.loads(run(*kc, "get", *what, "-o", "json").stdout)

        def node_ready():
            node = get_json("node", "kwok-node-0")
            conds = {c["type"]: c["status"] for c in node.get("status", {}).get("conditions", [])}
            return conds.get("Ready") == "True", conds

        wait_for("KWOK to mark kwok-node-0 Ready", node_ready, timeout=60)
        print("kwok: node kwok-node-0 Ready")

        run(*kc, "create", "namespace", NS)
        deployment = {
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "gateway", "namespace": NS},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "gateway"}},
                "template": {
                    "metadata": {"labels": {"app": "gateway"},
                                 "annotations": {"pod-ready.stage.kwok.x-k8s.io/delay": f"{READY_DELAY_S}s",
                                                 "pod-ready.stage.kwok.x-k8s.io/jitter-delay": "0s"}},
                    "spec": {"containers": [{"name": "gateway", "image": "registry.invalid/gateway:1"}]},
                },
            },
        }
        t0 = time.monotonic()
        run(*kc, "apply", "-f", "-", stdin=json.dumps(deployment))

        def available(replicas: int):
            def check():
                s = get_json("-n", NS, "deployment", "gateway").get("status", {})
                return s.get("availableReplicas") == replicas and s.get("readyReplicas") == replicas, s
            return check

        wait_for("deployment/gateway to have 2 available replicas", available(2))
        elapsed = time.monotonic() - t0
        pods = get_json("-n", NS, "pods", "-l", "app=gateway")["items"]
        nodes = {p["spec"].get("nodeName") for p in pods}
        phases = {p["status"].get("phase") for p in pods}
        if nodes != {"kwok-node-0"} or phases != {"Running"}:
            raise CheckFailed(f"pods not Running on kwok-node-0: nodes={nodes} phases={phases}")
        if elapsed < READY_DELAY_S:
            raise CheckFailed(f"pods became Ready after {elapsed:.1f} s, before the {READY_DELAY_S} s stage delay")
        print(f"kwok: 2 pods Running+Ready on kwok-node-0 {elapsed:.1f} s after apply (delay {READY_DELAY_S} s)")

        run(*kc, "-n", NS, "scale", "deployment", "gateway", "--replicas=4")
        wait_for("deployment/gateway to have 4 available replicas", available(4))
        print("kwok: scaled to 4, all Ready")

        run(py, str(CONTROLPLANE), "stop", "--dir", str(directory))
        started = False
    except CheckFailed as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        for log in sorted((directory / "logs").glob("*.log")) if (directory / "logs").exists() else []:
            print(f"--- {log} (tail)", file=sys.stderr)
            print("\n".join(log.read_text(errors="replace").splitlines()[-15:]), file=sys.stderr)
        return 1
    finally:
        if started:
            subprocess.run([py, str(CONTROLPLANE), "stop", "--dir", str(directory)])
    print("kwok smoke: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
