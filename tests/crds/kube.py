"""kubectl against the shared control-plane fixture, for the CRD and chart tests.

The fixture's env file (tests/controlplane/README.md) gives KUBECONFIG and
KUBECTL; every call here goes through that kubectl to the real API server.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def load_env(env_file: str) -> None:
    """Exports the variables of the fixture's shell-sourceable env file."""
    out = subprocess.run(
        ["bash", "-c", f"set -a; . {shlex.quote(env_file)}; env -0"],
        check=True, capture_output=True).stdout
    for item in out.split(b"\0"):
        if b"=" in item:
            k, v = item.split(b"=", 1)
            os.environ[k.decode()] = v.decode()
    for var in ("KUBECONFIG", "KUBECTL"):
        if var not in os.environ:
            sys.exit(f"{env_file}: does not export {var}")


def kubectl(*args: str, stdin: str | None = None, check: bool = True,
            timeout: float = 120) -> subprocess.CompletedProcess:
    cmd = [os.environ["KUBECTL"], *args]
    proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError(f"kubectl {' '.join(args)} failed ({proc.returncode}):\n"
                           f"{proc.stdout}{proc.stderr}")
    return proc


def kubectl_json(*args: str) -> dict:
    return json.loads(kubectl(*args, "-o", "json").stdout)


def apply_crds(directory: Path, names: list[str]) -> None:
    """Server-side applies every CRD in `directory` and waits until `names` are Established."""
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise RuntimeError(f"no CRDs in {directory}")
    for f in files:
        kubectl("apply", "--server-side", "--force-conflicts", "-f", str(f))
    kubectl("wait", "--for=condition=Established", "--timeout=120s",
            *[f"crd/{n}" for n in names])


def ensure_namespace(name: str) -> None:
    proc = kubectl("create", "namespace", name, check=False)
    if proc.returncode != 0 and "AlreadyExists" not in proc.stderr:
        raise RuntimeError(f"kubectl create namespace {name}: {proc.stderr}")


class Results:
    """Collects named checks; a failing check never stops the others."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.count = 0

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.count += 1
        print(f"{'PASS' if ok else 'FAIL'}: {name}" + (f"\n      {detail}" if detail and not ok else ""),
              flush=True)
        if not ok:
            self.failures.append(name)
        return ok

    def finish(self) -> int:
        print(f"\n{self.count - len(self.failures)}/{self.count} checks passed")
        for f in self.failures:
            print(f"  failed: {f}")
        return 1 if self.failures else 0
