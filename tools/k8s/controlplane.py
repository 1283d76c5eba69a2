#!/usr/bin/env python3
"""A real, local Kubernetes control plane for prebell's tests and demo.

Runs etcd and kube-apiserver (and optionally kube-controller-manager,
kube-scheduler and KWOK) built by tools/k8s/build.sh, on free 127.0.0.1 ports,
with real TLS, client-certificate and token authentication and Node,RBAC
authorization, so least-privilege tests mean something.

    controlplane.py start --dir DIR [--controller-manager] [--scheduler] [--kwok]
    controlplane.py stop --dir DIR
    controlplane.py restart-apiserver --dir DIR
    controlplane.py token --dir DIR --namespace NS --serviceaccount SA
    controlplane.py status --dir DIR

`start` leaves, in DIR:
    kubeconfig      admin (system:masters) by client certificate
    admin-token     bearer token of the same admin (token auth file)
    env             shell-sourceable: KUBECONFIG, PREBELL_TEST_APISERVER, CA,
                    etcd endpoint, pids, KUBECTL
    state.json      what stop/restart-apiserver need (ports, pids, commands)
    pki/            CA, serving and client certificates, service-account keys
    logs/           one log per component; kept after stop

Only the Python 3 standard library and the openssl command-line tool are used.
Every failure exits non-zero with a message naming the component, and for a
process that died, the tail of its log.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_SH = REPO_ROOT / "tools" / "k8s" / "build.sh"
SERVICE_CIDR = "10.0.0.0/24"
SERVICE_FIRST_IP = "10.0.0.1"
ISSUER = "https://kubernetes.default.svc.cluster.local"
ADMIN_USER = "prebell-admin"
# Order matters: stop goes through it backwards.
COMPONENTS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"]
LOG_TAIL_LINES = 40


class Failure(Exception):
    """A start/stop step failed; the message is what the user sees."""


class PortTaken(Failure):
    """A component could not listen: another process took a port between
    free_ports() choosing it and the component binding it. start retries."""


START_ATTEMPTS = 3


def info(msg: str) -> None:
    print(f"controlplane: {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# binaries


def locate(component: str, override: str | None) -> Path:
    """The bin dir of a tools/k8s/build.sh component, without building it."""
    if override:
        path = Path(override).resolve()
        if not path.is_dir():
            raise Failure(f"--{component}-bin {override}: not a directory")
        return path
    proc = subprocess.run([str(BUILD_SH), "--check", component], capture_output=True, text=True)
    if proc.returncode != 0:
        raise Failure(
            f"{component} binaries not built: {proc.stderr.strip()}\n"
            f"  build them first: {BUILD_SH} {'all' if component in ('kube', 'etcd') else component}"
        )
    return Path(proc.stdout.strip().splitlines()[-1])


def need_binary(bin_dir: Path, name: str) -> str:
    path = bin_dir / name
    if not os.access(path, os.X_OK):
        raise Failure(f"{path}: missing or not executable")
    return str(path)


# --------------------------------------------------------------------------
# ports and PKI


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (held open together so they differ)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def openssl(*args: str, cwd: Path) -> None:
    proc = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise Failure(f"openssl {' '.join(args)} failed in {cwd}:\n{proc.stderr.strip()}")


def genkey(pki: Path, name: str) -> None:
    # ECDSA P-256: generating seven RSA keys takes tens of seconds on a busy
    # 2-core machine; every component (and service-account signing, ES256)
    # accepts EC keys.
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name, cwd=pki)


def make_cert(pki: Path, name: str, subject: str, ext: str) -> None:
    """A key + certificate signed by pki/ca, with the given v3 extensions."""
    genkey(pki, f"{name}.key")
    openssl("req", "-new", "-key", f"{name}.key", "-subj", subject, "-out", f"{name}.csr", cwd=pki)
    (pki / f"{name}.ext").write_text(ext)
    openssl(
        "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "3650", "-sha256", "-extfile", f"{name}.ext",
        "-out", f"{name}.crt", cwd=pki,
    )
    (pki / f"{name}.csr").unlink()
    (pki / f"{name}.ext").unlink()


def make_pki(pki: Path) -> None:
    pki.mkdir(parents=True)
    genkey(pki, "ca.key")
    openssl(
        "req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=prebell-test-ca",
        "-days", "3650", "-sha256",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
        "-out", "ca.crt", cwd=pki,
    )
    client = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n"
    server_sans = ",".join([
        "IP:127.0.0.1", "DNS:localhost", f"IP:{SERVICE_FIRST_IP}", "DNS:kubernetes",
        "DNS:kubernetes.default", "DNS:kubernetes.default.svc",
        "DNS:kubernetes.default.svc.cluster.local",
    ])
    make_cert(pki, "apiserver", "/CN=kube-apiserver",
              "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
              f"extendedKeyUsage=serverAuth\nsubjectAltName={server_sans}\n")
    make_cert(pki, "admin", f"/O=system:masters/CN={ADMIN_USER}", client)
    make_cert(pki, "controller-manager", "/CN=system:kube-controller-manager", client)
    make_cert(pki, "scheduler", "/CN=system:kube-scheduler", client)
    make_cert(pki, "kwok", "/O=system:masters/CN=prebell-kwok", client)
    # Service-account token signing pair.
    genkey(pki, "sa.key")
    openssl("pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=pki)
    for key in pki.glob("*.key"):
        key.chmod(0o600)


def write_kubeconfig(path: Path, server: str, pki: Path, user: str, cert: str) -> None:
    # JSON is valid kubeconfig YAML and needs no YAML writer.
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "prebell-test", "cluster": {
            "server": server, "certificate-authority": str(pki / "ca.crt")}}],
        "users": [{"name": user, "user": {
            "client-certificate": str(pki / f"{cert}.crt"),
            "client-key": str(pki / f"{cert}.key")}}],
        "contexts": [{"name": "prebell-test", "context": {"cluster": "prebell-test", "user": user}}],
        "current-context": "prebell-test",
    }
    path.write_text(json.dumps(config, indent=2) + "\n")
    path.chmod(0o600)


# --------------------------------------------------------------------------
# processes


def proc_start_time(pid: int) -> str | None:
    """Kernel start time of pid (field 22 of /proc/pid/stat), None if gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    if fields[0] == "Z":
        return None
    return fields[19]


def alive(entry: dict) -> bool:
    """True if the recorded process is still the one we started (guards pid reuse)."""
    return proc_start_time(entry["pid"]) == entry["start_time"]


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError as exc:
        return f"(no log: {exc})"
    return "\n".join("    " + line for line in text[-lines:])


_spawned: list[subprocess.Popen] = []


def spawn(name: str, argv: list[str], logs: Path) -> dict:
    """Starts argv in its own session (so stop can kill the process group),
    with stdio on logs/<name>.log, detached from whoever runs this script."""
    log_path = logs / f"{name}.log"
    with open(log_path, "ab") as log:
        log.write(f"\n==== {time.strftime('%Y-%m-%dT%H:%M:%S')} {shlex.join(argv)}\n".encode())
        log.flush()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, close_fds=True)
    start_time = proc_start_time(proc.pid)
    entry = {"pid": proc.pid, "start_time": start_time, "argv": argv, "log": str(log_path)}
    if start_time is None:
        raise Failure(f"{name} exited immediately; log {log_path}:\n{log_tail(log_path)}")
    _spawned.append(proc)  # the process outlives this script; init reaps it then
    return entry


def terminate(name: str, entry: dict, grace: float = 20.0) -> None:
    if not alive(entry):
        return
    pgid = entry["pid"]  # start_new_session: pid == pgid
    if grace > 0:
        try:
            os.killpg(pgid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            reap()
            if not alive(entry):
                return
            time.sleep(0.1)
        info(f"{name} (pid {pgid}) still running {grace:.0f} s after SIGTERM; SIGKILL")
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and alive(entry):
        reap()
        time.sleep(0.1)


def reap() -> None:
    """Collects exited children of this script (restart-apiserver's own)."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


# --------------------------------------------------------------------------
# readiness


def tls_context(state: dict) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=state["pki"] + "/ca.crt")
    ctx.load_cert_chain(state["pki"] + "/admin.crt", state["pki"] + "/admin.key")
    return ctx


def wait_ready(name: str, entry: dict, url: str, timeout: float, ctx: ssl.SSLContext | None,
               want_body: str | None = None) -> None:
    """Polls url until 200 (and want_body in the body); fails early if the process dies."""
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        reap()
        if not alive(entry):
            tail = log_tail(Path(entry["log"]))
            kind = PortTaken if "address already in use" in tail else Failure
            raise kind(f"{name} died during start (last check of {url}: {last}); "
                       f"log {entry['log']}:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=5, context=ctx) as resp:
                body = resp.read().decode(errors="replace")
                if resp.status == 200 and (want_body is None or want_body in body):
                    return
                last = f"HTTP {resp.status}: {body[:200]}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}: {exc.read()[:300].decode(errors='replace')}"
        except (urllib.error.URLError, OSError) as exc:
            last = str(getattr(exc, "reason", exc))
        time.sleep(0.5)
    raise Failure(f"{name} not ready after {timeout:.0f} s ({url}: {last}); "
                  f"log {entry['log']}:\n{log_tail(Path(entry['log']))}")


# --------------------------------------------------------------------------
# command lines


def etcd_argv(state: dict) -> list[str]:
    client = f"http://127.0.0.1:{state['ports']['etcd_client']}"
    peer = f"http://127.0.0.1:{state['ports']['etcd_peer']}"
    return [
        state["bin"]["etcd"], "--name=prebell-test", f"--data-dir={state['dir']}/etcd",
        f"--listen-client-urls={client}", f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}", f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=prebell-test={peer}", "--initial-cluster-state=new",
        # A throwaway test store: durability across power loss is not needed,
        # and fsync on a shared disk dominates apiserver latency otherwise.
        "--unsafe-no-fsync=true", "--log-level=warn",
    ]


def apiserver_argv(state: dict, extra: list[str]) -> list[str]:
    pki = state["pki"]
    return [
        state["bin"]["kube-apiserver"],
        f"--etcd-servers=http://127.0.0.1:{state['ports']['etcd_client']}",
        "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
        f"--secure-port={state['ports']['apiserver']}",
        f"--cert-dir={state['dir']}/apiserver-certs",
        f"--tls-cert-file={pki}/apiserver.crt", f"--tls-private-key-file={pki}/apiserver.key",
        f"--client-ca-file={pki}/ca.crt",
        f"--token-auth-file={state['dir']}/token-auth.csv",
        f"--service-account-issuer={ISSUER}",
        f"--service-account-key-file={pki}/sa.pub",
        f"--service-account-signing-key-file={pki}/sa.key",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        "--authorization-mode=Node,RBAC",
        "--allow-privileged=true",
        # The "kubernetes" Service cannot point at a loopback address (the
        # apiserver rejects it every 10 s otherwise); nothing in-cluster uses it.
        "--endpoint-reconciler-type=none",
        "--profiling=false",
        "--v=1",
        *extra,
    ]


def controller_manager_argv(state: dict, controllers: str, extra: list[str]) -> list[str]:
    pki = state["pki"]
    kubeconfig = f"{state['dir']}/controller-manager.kubeconfig"
    return [
        state["bin"]["kube-controller-manager"],
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        "--bind-address=127.0.0.1",
        f"--secure-port={state['ports']['controller_manager']}",
        "--leader-elect=false",
        # Each controller acts as its own ServiceAccount (as kubeadm runs it),
        # so RBAC applies to the controllers too.
        "--use-service-account-credentials=true",
        f"--service-account-private-key-file={pki}/sa.key",
        f"--root-ca-file={pki}/ca.crt",
        f"--cluster-signing-cert-file={pki}/ca.crt",
        f"--cluster-signing-key-file={pki}/ca.key",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        f"--controllers={controllers}",
        "--profiling=false",
        "--v=1",
        *extra,
    ]


def scheduler_argv(state: dict, extra: list[str]) -> list[str]:
    kubeconfig = f"{state['dir']}/scheduler.kubeconfig"
    return [
        state["bin"]["kube-scheduler"],
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        "--bind-address=127.0.0.1",
        f"--secure-port={state['ports']['scheduler']}",
        "--leader-elect=false",
        "--profiling=false",
        "--v=1",
        *extra,
    ]


KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node"


def kwok_argv(state: dict, extra: list[str]) -> list[str]:
    # stages.yaml is written next to bin/ by tools/k8s/build.sh kwok, from the
    # same KWOK version.
    stages = str(Path(state["bin"]["kwok"]).parent.parent / "stages.yaml")
    return [
        state["bin"]["kwok"],
        f"--kubeconfig={state['dir']}/kwok.kubeconfig",
        f"--config={stages}",
        "--manage-all-nodes=false",
        f"--manage-nodes-with-annotation-selector={KWOK_NODE_ANNOTATION}=fake",
        "--node-ip=127.0.0.1",
        "--server-address=127.0.0.1:" + str(state["ports"]["kwok"]),
        # KWOK renews node Leases only with a duration; else ~50 s in, the node and its pods go NotReady.
        "--node-lease-duration-seconds=40",
        *extra,
    ]


def create_kwok_nodes(state: dict, count: int) -> None:
    """Fake nodes that KWOK keeps Ready; pods scheduled there become Ready
    after the delay of the pod stages (default 1 s + up to 5 s jitter; a pod
    annotation pod-ready.stage.kwok.x-k8s.io/delay overrides it)."""
    items = []
    for i in range(count):
        items.append({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": f"kwok-node-{i}",
                         "annotations": {KWOK_NODE_ANNOTATION: "fake"},
                         "labels": {"type": "kwok", "kubernetes.io/hostname": f"kwok-node-{i}",
                                    "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}},
        })
    manifest = json.dumps({"apiVersion": "v1", "kind": "List", "items": items})
    cmd = [state["bin"]["kubectl"], f"--kubeconfig={state['dir']}/kubeconfig", "apply", "-f", "-"]
    proc = subprocess.run(cmd, input=manifest, capture_output=True, text=True)
    if proc.returncode != 0:
        raise Failure(f"creating {count} KWOK node(s) failed:\n{proc.stderr.strip()}")


# --------------------------------------------------------------------------
# state files


def state_path(directory: Path) -> Path:
    return directory / "state.json"


def load_state(directory: Path) -> dict:
    path = state_path(directory)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise Failure(f"{path}: no control plane state (was `start --dir {directory}` run?)") from None
    except json.JSONDecodeError as exc:
        raise Failure(f"{path}: not valid JSON: {exc}") from None


def save_state(state: dict) -> None:
    directory = Path(state["dir"])
    tmp = directory / "state.json.tmp"
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    tmp.replace(state_path(directory))
    write_env(state)


def write_env(state: dict) -> None:
    d = state["dir"]
    values = {
        "KUBECONFIG": f"{d}/kubeconfig",
        "PREBELL_TEST_APISERVER": f"https://127.0.0.1:{state['ports']['apiserver']}",
        "PREBELL_TEST_CA": f"{state['pki']}/ca.crt",
        "PREBELL_TEST_ADMIN_TOKEN_FILE": f"{d}/admin-token",
        "PREBELL_TEST_CLIENT_CERT": f"{state['pki']}/admin.crt",
        "PREBELL_TEST_CLIENT_KEY": f"{state['pki']}/admin.key",
        "PREBELL_TEST_ETCD": f"http://127.0.0.1:{state['ports']['etcd_client']}",
        "PREBELL_TEST_CONTROLPLANE_DIR": d,
        "PREBELL_K8S_BIN_DIR": state["bin_dir"],
        "KUBECTL": state["bin"]["kubectl"],
    }
    for name in COMPONENTS:
        if name in state["procs"]:
            key = "PREBELL_TEST_" + name.upper().replace("KUBE-", "").replace("-", "_") + "_PID"
            values[key] = str(state["procs"][name]["pid"])
    lines = ["# Written by tools/k8s/controlplane.py; source it: . DIR/env"]
    lines += [f"export {k}={shlex.quote(v)}" for k, v in values.items()]
    tmp = Path(d) / "env.tmp"
    tmp.write_text("\n".join(lines) + "\n")
    tmp.replace(Path(d) / "env")


# --------------------------------------------------------------------------
# commands


def stop_all(state: dict) -> None:
    for name in reversed(COMPONENTS):
        entry = state["procs"].get(name)
        if entry:
            terminate(name, entry)


def cmd_start(args: argparse.Namespace) -> None:
    directory = Path(args.dir).resolve()
    if state_path(directory).exists():
        try:
            old = load_state(directory)
            if any(alive(e) for e in old.get("procs", {}).values()):
                info(f"stopping the control plane already running from {directory}")
            stop_all(old)
        except Failure as exc:
            info(f"ignoring unreadable previous state: {exc}")
    for sub in ("etcd", "pki", "logs", "apiserver-certs"):
        shutil.rmtree(directory / sub, ignore_errors=True)
    for f in ("state.json", "env", "kubeconfig", "admin-token"):
        (directory / f).unlink(missing_ok=True)
    directory.mkdir(parents=True, exist_ok=True)
    logs = directory / "logs"
    logs.mkdir()

    if args.kwok:
        args.scheduler = True
    if args.kwok_nodes < 0:
        raise Failure(f"--kwok-nodes {args.kwok_nodes}: must be >= 0")
    kube_bin = locate("kube", args.k8s_bin)
    etcd_bin = locate("etcd", args.etcd_bin)
    binaries = {
        "etcd": need_binary(etcd_bin, "etcd"),
        "kube-apiserver": need_binary(kube_bin, "kube-apiserver"),
        "kube-controller-manager": need_binary(kube_bin, "kube-controller-manager"),
        "kube-scheduler": need_binary(kube_bin, "kube-scheduler"),
        "kubectl": need_binary(kube_bin, "kubectl"),
    }
    if args.kwok:
        binaries["kwok"] = need_binary(locate("kwok", args.kwok_bin), "kwok")

    pki = directory / "pki"
    make_pki(pki)
    admin_token = secrets.token_hex(24)
    (directory / "admin-token").write_text(admin_token + "\n")
    (directory / "admin-token").chmod(0o600)
    (directory / "token-auth.csv").write_text(f'{admin_token},{ADMIN_USER},{ADMIN_USER},"system:masters"\n')
    (directory / "token-auth.csv").chmod(0o600)

    t0 = time.monotonic()
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            launch(args, directory, binaries, str(kube_bin))
            break
        except PortTaken as exc:
            if attempt == START_ATTEMPTS:
                raise
            info(f"a port was taken meanwhile ({str(exc).splitlines()[0]}); retrying with new ports")
            shutil.rmtree(directory / "etcd", ignore_errors=True)
    info(f"control plane up in {time.monotonic() - t0:.1f} s; source {directory}/env")
    print(directory / "env")


def launch(args: argparse.Namespace, directory: Path, binaries: dict, kube_bin: str) -> dict:
    """Starts the components on fresh free ports; on failure stops what it
    started (logs stay) and raises."""
    pki = directory / "pki"
    logs = directory / "logs"
    port_names = ["etcd_client", "etcd_peer", "apiserver", "controller_manager", "scheduler", "kwok"]
    state = {
        "dir": str(directory),
        "pki": str(pki),
        "bin_dir": kube_bin,
        "bin": binaries,
        "ports": dict(zip(port_names, free_ports(len(port_names)))),
        "procs": {},
        "timeout": args.timeout,
    }
    server = f"https://127.0.0.1:{state['ports']['apiserver']}"
    write_kubeconfig(directory / "kubeconfig", server, pki, ADMIN_USER, "admin")
    write_kubeconfig(directory / "controller-manager.kubeconfig", server, pki,
                     "system:kube-controller-manager", "controller-manager")
    write_kubeconfig(directory / "scheduler.kubeconfig", server, pki, "system:kube-scheduler", "scheduler")
    write_kubeconfig(directory / "kwok.kubeconfig", server, pki, "prebell-kwok", "kwok")

    try:
        entry = state["procs"]["etcd"] = spawn("etcd", etcd_argv(state), logs)
        save_state(state)
        wait_ready("etcd", entry, f"http://127.0.0.1:{state['ports']['etcd_client']}/health",
                   args.timeout, None, want_body='"health":"true"')
        info(f"etcd ready on 127.0.0.1:{state['ports']['etcd_client']} (pid {entry['pid']})")

        state["apiserver_extra"] = args.apiserver_arg
        entry = state["procs"]["kube-apiserver"] = spawn(
            "kube-apiserver", apiserver_argv(state, args.apiserver_arg), logs)
        save_state(state)
        ctx = tls_context(state)
        wait_ready("kube-apiserver", entry, f"{server}/readyz", args.timeout, ctx)
        info(f"kube-apiserver ready on {server} (pid {entry['pid']})")

        if args.controller_manager:
            entry = state["procs"]["kube-controller-manager"] = spawn(
                "kube-controller-manager",
                controller_manager_argv(state, args.controllers, args.controller_manager_arg), logs)
            save_state(state)
            wait_ready("kube-controller-manager", entry,
                       f"https://127.0.0.1:{state['ports']['controller_manager']}/healthz",
                       args.timeout, ssl_no_verify())
            info(f"kube-controller-manager healthy (pid {entry['pid']})")

        if args.scheduler:
            entry = state["procs"]["kube-scheduler"] = spawn(
                "kube-scheduler", scheduler_argv(state, args.scheduler_arg), logs)
            save_state(state)
            wait_ready("kube-scheduler", entry, f"https://127.0.0.1:{state['ports']['scheduler']}/healthz",
                       args.timeout, ssl_no_verify())
            info(f"kube-scheduler healthy (pid {entry['pid']})")

        if args.kwok:
            entry = state["procs"]["kwok"] = spawn("kwok", kwok_argv(state, args.kwok_arg), logs)
            save_state(state)
            wait_ready("kwok", entry, f"http://127.0.0.1:{state['ports']['kwok']}/healthz", args.timeout, None)
            create_kwok_nodes(state, args.kwok_nodes)
            info(f"kwok healthy (pid {entry['pid']}), {args.kwok_nodes} fake node(s)")
    except BaseException:
        info("start failed; stopping what was started (logs kept in " + str(logs) + ")")
        stop_all(state)
        raise
    save_state(state)
    return state


def ssl_no_verify() -> ssl.SSLContext:
    # kube-controller-manager and kube-scheduler serve /healthz with a
    # self-signed certificate they generate; only liveness is checked here.
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def cmd_stop(args: argparse.Namespace) -> None:
    directory = Path(args.dir).resolve()
    state = load_state(directory)
    stop_all(state)
    left = [n for n, e in state["procs"].items() if alive(e)]
    if left:
        raise Failure(f"still running after stop: {', '.join(left)}")
    state_path(directory).unlink()
    info(f"stopped; logs kept in {directory}/logs")


def cmd_restart_apiserver(args: argparse.Namespace) -> None:
    directory = Path(args.dir).resolve()
    state = load_state(directory)
    entry = state["procs"].get("kube-apiserver")
    if entry is None:
        raise Failure(f"{state_path(directory)}: no kube-apiserver recorded")
    if not alive(state["procs"]["etcd"]):
        raise Failure(f"etcd (pid {state['procs']['etcd']['pid']}) is not running; cannot restart the apiserver on it")
    t0 = time.monotonic()
    # A SIGTERMed apiserver drains requests at once but then waits up to
    # --request-timeout (60 s) for open watch connections (controllers' and
    # the scheduler's) to close; --grace bounds that before SIGKILL, --kill
    # simulates a crash.
    terminate("kube-apiserver", entry, grace=0.0 if args.kill else args.grace)
    info(f"kube-apiserver (pid {entry['pid']}) stopped")
    server = f"https://127.0.0.1:{state['ports']['apiserver']}"
    # The same port and etcd, so clients' kubeconfigs stay valid; a socket in
    # TIME_WAIT is no obstacle (Go listens with SO_REUSEADDR).
    new = spawn("kube-apiserver", entry["argv"], directory / "logs")
    state["procs"]["kube-apiserver"] = new
    save_state(state)
    wait_ready("kube-apiserver", new, f"{server}/readyz", args.timeout or state["timeout"], tls_context(state))
    info(f"kube-apiserver restarted on {server} (pid {new['pid']}) in {time.monotonic() - t0:.1f} s")


def kubectl(state: dict, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [state["bin"]["kubectl"], f"--kubeconfig={state['dir']}/kubeconfig", *argv]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise Failure(f"{shlex.join(cmd)} failed:\n{proc.stderr.strip()}")
    return proc


def cmd_token(args: argparse.Namespace) -> None:
    state = load_state(Path(args.dir).resolve())
    ns, sa = args.namespace, args.serviceaccount
    if kubectl(state, "get", "namespace", ns, check=False).returncode != 0:
        kubectl(state, "create", "namespace", ns)
    if kubectl(state, "-n", ns, "get", "serviceaccount", sa, check=False).returncode != 0:
        kubectl(state, "-n", ns, "create", "serviceaccount", sa)
    token = kubectl(state, "-n", ns, "create", "token", sa, f"--duration={args.duration}").stdout.strip()
    if not token:
        raise Failure(f"kubectl create token {sa} -n {ns} printed no token")
    print(token)


def cmd_status(args: argparse.Namespace) -> None:
    state = load_state(Path(args.dir).resolve())
    down = []
    for name, entry in state["procs"].items():
        up = alive(entry)
        print(f"{name}: {'running' if up else 'NOT running'} (pid {entry['pid']}, log {entry['log']})")
        if not up:
            down.append(name)
    if down:
        raise Failure(f"not running: {', '.join(down)}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("start", help="start etcd + kube-apiserver (+ optional components)")
    p.add_argument("--dir", required=True, help="state directory (certificates, kubeconfig, env, logs)")
    p.add_argument("--controller-manager", action="store_true", help="also run kube-controller-manager")
    p.add_argument("--scheduler", action="store_true", help="also run kube-scheduler")
    p.add_argument("--kwok", action="store_true",
                   help="also run KWOK (tools/k8s/build.sh kwok) with fake nodes; implies --scheduler")
    p.add_argument("--kwok-nodes", type=int, default=1, help="number of KWOK fake nodes (default 1)")
    p.add_argument("--controllers", default="*",
                   help="kube-controller-manager --controllers (default: its default set, '*')")
    p.add_argument("--k8s-bin", help="bin dir of the Kubernetes binaries (default: tools/k8s/build.sh --check kube)")
    p.add_argument("--etcd-bin", help="bin dir of etcd (default: tools/k8s/build.sh --check etcd)")
    p.add_argument("--kwok-bin", help="bin dir of kwok (default: tools/k8s/build.sh --check kwok)")
    for comp in ("apiserver", "controller-manager", "scheduler", "kwok"):
        p.add_argument(f"--{comp}-arg", action="append", default=[], metavar="FLAG",
                       help=f"extra flag for {comp} (repeatable), e.g. --{comp}-arg=--v=4")
    p.add_argument("--timeout", type=float, default=180.0, help="seconds each component may take to get ready")
    p.set_defaults(func=cmd_start)

    p = sub.add_parser("stop", help="stop every component (process groups); logs are kept")
    p.add_argument("--dir", required=True)
    p.set_defaults(func=cmd_stop)

    p = sub.add_parser("restart-apiserver", help="stop and start kube-apiserver on the same port and etcd")
    p.add_argument("--dir", required=True)
    p.add_argument("--timeout", type=float, default=None, help="seconds to get ready again (default: start's)")
    p.add_argument("--grace", type=float, default=5.0,
                   help="seconds between SIGTERM and SIGKILL (default 5; open watches hold it up to 60 s)")
    p.add_argument("--kill", action="store_true", help="SIGKILL at once (a crash) instead of SIGTERM")
    p.set_defaults(func=cmd_restart_apiserver)

    p = sub.add_parser("token", help="print a token for a ServiceAccount (created, with its namespace, if missing)")
    p.add_argument("--dir", required=True)
    p.add_argument("--namespace", required=True)
    p.add_argument("--serviceaccount", required=True)
    p.add_argument("--duration", default="1h")
    p.set_defaults(func=cmd_token)

    p = sub.add_parser("status", help="show whether each recorded component runs")
    p.add_argument("--dir", required=True)
    p.set_defaults(func=cmd_status)

    args = parser.parse_args(argv)
    try:
        args.func(args)
    except Failure as exc:
        print(f"controlplane {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
