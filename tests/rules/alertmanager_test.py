#!/usr/bin/env python3
"""Tests of examples/alertmanager/alertmanager.yml with the real Alertmanager.

  alertmanager_test.py check-config   amtool check-config accepts it
  alertmanager_test.py routes         amtool config routes test: every copy
                                      of every rule in prebell.rules.yaml
                                      reaches its receiver (warning -> chat,
                                      critical -> pager, exam -> exam-room)
  alertmanager_test.py inhibition     a real Alertmanager on a free loopback
                                      port: alerts posted to its API, the
                                      warning copy is inhibited while its
                                      critical copy fires (and only then),
                                      notifications reach the right webhook

The inhibition test runs the example's route tree and inhibit rules as they
are; it only swaps the receivers' integrations for webhooks served by this
test and shortens group_wait/group_interval so that it takes seconds.
"""

import argparse
import copy
import datetime
import http.server
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
CONFIG = REPO / "examples" / "alertmanager" / "alertmanager.yml"
RULES = REPO / "dashboards" / "rules" / "prebell.rules.yaml"


class Failure(Exception):
    pass


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kw)


def expected_receiver(labels):
    """The documented mapping (docs/alerting.md), independent of the config."""
    if labels.get("audience") == "exam-room":
        return "exam-room"
    if labels.get("severity") == "critical":
        return "pager"
    return "chat"


# ---------------------------------------------------------------- check-config


def test_check_config(args):
    r = run([args.amtool, "check-config", str(args.config)])
    if r.returncode != 0:
        raise Failure(f"amtool check-config {args.config} failed:\n{r.stdout}{r.stderr}")
    if "SUCCESS" not in r.stdout or "1 inhibit rules" not in r.stdout or "3 receivers" not in r.stdout:
        raise Failure(f"unexpected amtool check-config output:\n{r.stdout}")
    print(r.stdout.strip())


# ---------------------------------------------------------------------- routes


def route_cases():
    rules = yaml.safe_load(RULES.read_text())
    cases = []
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "alert" not in rule:
                continue
            labels = {"alertname": rule["alert"], "namespace": "lms", **rule["labels"]}
            cases.append(labels)
    if len(cases) < 10:
        raise Failure(f"{RULES}: expected the generated alerts, found {len(cases)}")
    # Alerts that are not prebell's fall through to chat.
    cases.append({"alertname": "Watchdog"})
    cases.append({"alertname": "KubePodCrashLooping", "severity": "info"})
    return cases


def amtool_route(args, labels, verify=None):
    cmd = [args.amtool, "config", "routes", "test", f"--config.file={args.config}"]
    if verify:
        cmd.append(f"--verify.receivers={verify}")
    cmd += [f"{k}={v}" for k, v in sorted(labels.items())]
    return run(cmd)


def test_routes(args):
    seen = {"chat": 0, "pager": 0, "exam-room": 0}
    for labels in route_cases():
        want = expected_receiver(labels)
        r = amtool_route(args, labels, verify=want)
        got = r.stdout.strip()
        if r.returncode != 0 or got != want:
            raise Failure(f"labels {labels}: routed to {got!r} (rc {r.returncode}), want {want!r}\n{r.stderr}")
        seen[want] += 1
    for receiver, n in seen.items():
        if n == 0:
            raise Failure(f"no case reached receiver {receiver}")
    # amtool's verification can fail (so the checks above mean something).
    r = amtool_route(args, {"alertname": "RedisMemoryHigh", "severity": "warning"}, verify="pager")
    if r.returncode == 0:
        raise Failure("amtool --verify.receivers accepted a warning routed to the pager")
    print(f"routes: {sum(seen.values())} label sets, per receiver {seen}")


# ------------------------------------------------------------------ inhibition


class Webhooks:
    """An HTTP server that records Alertmanager webhook notifications per path."""

    def __init__(self):
        self.lock = threading.Lock()
        self.received = []  # (receiver, payload)
        hooks = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with hooks.lock:
                    hooks.received.append((self.path.strip("/"), json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def alerts(self, receiver):
        with self.lock:
            return [(p["status"], a) for r, p in self.received if r == receiver for a in p["alerts"]]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_json(method, url, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        text = resp.read()
        return json.loads(text) if text else None


def now_utc(offset_s=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset_s)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def wait_for(what, fn, timeout=30):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.2)
    raise Failure(f"timed out after {timeout}s waiting for {what}")


def test_config_for(config, webhook_port):
    """The example with webhooks instead of Slack/PagerDuty and short timers."""
    conf = copy.deepcopy(config)
    conf.get("global", {}).pop("slack_api_url_file", None)
    for receiver in conf["receivers"]:
        name = receiver["name"]
        for key in [k for k in receiver if k.endswith("_configs")]:
            del receiver[key]
        receiver["webhook_configs"] = [{"url": f"http://127.0.0.1:{webhook_port}/{name}", "send_resolved": True}]

    def shorten(route):
        for key, value in (("group_wait", "1s"), ("group_interval", "1s")):
            if key in route or route is conf["route"]:
                route[key] = value
        for child in route.get("routes", []):
            shorten(child)

    shorten(conf["route"])
    return conf


class Alertmanager:
    def __init__(self, binary, config_text, workdir):
        self.workdir = workdir
        cfg = workdir / "alertmanager.yml"
        cfg.write_text(config_text)
        last_log = ""
        for _ in range(3):  # the free port may be taken between probe and bind
            self.port = free_port()
            self.log = open(workdir / "alertmanager.log", "w+")
            self.proc = subprocess.Popen(
                [
                    binary,
                    f"--config.file={cfg}",
                    f"--storage.path={workdir / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--cluster.listen-address=",
                    "--log.level=debug",
                ],
                stdout=self.log,
                stderr=subprocess.STDOUT,
            )
            self.url = f"http://127.0.0.1:{self.port}"
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    urllib.request.urlopen(self.url + "/-/ready", timeout=1).read()
                    return
                except (urllib.error.URLError, ConnectionError, OSError):
                    time.sleep(0.1)
            self.stop()
            self.log.seek(0)
            last_log = self.log.read()
        raise Failure(f"Alertmanager did not start:\n{last_log[-3000:]}")

    def post(self, *alerts):
        http_json("POST", self.url + "/api/v2/alerts", list(alerts))

    def alerts(self, **filters):
        query = "&".join(f"{k}={str(v).lower()}" for k, v in filters.items())
        return http_json("GET", self.url + "/api/v2/alerts" + (f"?{query}" if query else ""))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def dump_log(self):
        self.log.seek(0)
        return self.log.read()[-4000:]


def alert(annotated_labels, ends_at=None):
    body = {
        "labels": annotated_labels,
        "annotations": {"summary": f"{annotated_labels['alertname']} test"},
        "startsAt": now_utc(-60),
        "generatorURL": "http://prometheus.test/graph",
    }
    if ends_at:
        body["endsAt"] = ends_at
    return body


def find(alerts, **labels):
    return [a for a in alerts if a["labels"] == labels]


def only(alerts, what, **labels):
    found = find(alerts, **labels)
    if len(found) != 1:
        raise Failure(f"expected exactly one {what} alert {labels}, found {len(found)}: {json.dumps(alerts, indent=1)}")
    return found[0]


def test_inhibition(args):
    config = yaml.safe_load(args.config.read_text())
    hooks = Webhooks()
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="prebell-am-"))
    am = None
    try:
        am = Alertmanager(args.alertmanager, yaml.safe_dump(test_config_for(config, hooks.port)), workdir)
        lms_warning = {"alertname": "RedisMemoryHigh", "namespace": "lms", "component": "redis",
                       "instance": "10.0.1.5:9121", "severity": "warning"}
        lms_critical = {**lms_warning, "severity": "critical"}
        lms_exam = {**lms_warning, "severity": "critical", "audience": "exam-room"}
        # Same alertname, other namespace (not escalated there).
        idle_warning = {**lms_warning, "namespace": "idle", "instance": "10.0.9.9:9121"}
        # Same namespace, other alertname.
        other_warning = {"alertname": "GatewayConnectionErrors", "namespace": "lms", "component": "gateway",
                         "severity": "warning"}

        # 1. Before the lead time: warnings only, all active, all to chat.
        am.post(alert(lms_warning), alert(idle_warning), alert(other_warning))
        wait_for("three warnings in chat", lambda: len(hooks.alerts("chat")) >= 3)
        states = {a["labels"]["alertname"] + "/" + a["labels"]["namespace"]: a["status"]["state"] for a in am.alerts()}
        if set(states.values()) != {"active"} or len(states) != 3:
            raise Failure(f"before escalation every warning must be active: {states}")

        # 2. The class is near: Prometheus adds the critical copy.
        am.post(alert(lms_warning), alert(idle_warning), alert(other_warning), alert(lms_critical))

        def inhibited_now():
            alerts = am.alerts()
            w = only(alerts, "warning", **lms_warning)
            return alerts if w["status"]["state"] == "suppressed" else None

        alerts = wait_for("the warning to be inhibited", inhibited_now)
        crit = only(alerts, "critical", **lms_critical)
        w = only(alerts, "warning", **lms_warning)
        if w["status"]["inhibitedBy"] != [crit["fingerprint"]]:
            raise Failure(f"warning inhibited by {w['status']['inhibitedBy']}, want [{crit['fingerprint']}]")
        if crit["status"]["state"] != "active":
            raise Failure(f"the critical copy must stay active: {crit['status']}")
        for what, labels in (("idle warning", idle_warning), ("other warning", other_warning)):
            a = only(alerts, what, **labels)
            if a["status"]["state"] != "active" or a["status"]["inhibitedBy"]:
                raise Failure(f"{what} must not be inhibited (equal: alertname, namespace): {a['status']}")
        # The API's inhibited filter agrees.
        inhibited = am.alerts(active=False, inhibited=True, silenced=False, unprocessed=False)
        if [a["fingerprint"] for a in inhibited] != [w["fingerprint"]]:
            raise Failure(f"?inhibited=true lists {[a['labels'] for a in inhibited]}, want only the lms warning")
        not_inhibited = am.alerts(active=True, inhibited=False)
        if w["fingerprint"] in [a["fingerprint"] for a in not_inhibited]:
            raise Failure("?inhibited=false still lists the inhibited warning")
        # The pager got the critical copy, and nothing else.
        wait_for("the critical copy at the pager", lambda: hooks.alerts("pager"))
        for status, a in hooks.alerts("pager"):
            if a["labels"].get("severity") != "critical" or "audience" in a["labels"]:
                raise Failure(f"pager received {a['labels']}")

        # 3. An exam: the exam-room copy goes to the exam room only.
        am.post(alert(lms_warning), alert(lms_critical), alert(lms_exam))
        wait_for("the exam copy in the exam room", lambda: hooks.alerts("exam-room"))
        for status, a in hooks.alerts("exam-room"):
            if a["labels"].get("audience") != "exam-room":
                raise Failure(f"exam-room received {a['labels']}")
        for receiver in ("pager", "chat"):
            for status, a in hooks.alerts(receiver):
                if "audience" in a["labels"]:
                    raise Failure(f"{receiver} received the exam copy {a['labels']}")
        if only(am.alerts(), "warning", **lms_warning)["status"]["state"] != "suppressed":
            raise Failure("the warning must stay inhibited during the exam")

        # 4. The window is over: the critical copies resolve, the warning
        #    (still firing in Prometheus) becomes active again.
        ended = now_utc(-1)
        am.post(alert(lms_warning), alert(lms_critical, ends_at=ended), alert(lms_exam, ends_at=ended))

        def released():
            w = only(am.alerts(), "warning", **lms_warning)
            return w if w["status"]["state"] == "active" and not w["status"]["inhibitedBy"] else None

        wait_for("the warning to be released", released)
        wait_for("the pager's resolved notification",
                 lambda: [a for s, a in hooks.alerts("pager") if a["status"] == "resolved"])
        # Chat never got a critical or exam copy.
        for status, a in hooks.alerts("chat"):
            if a["labels"].get("severity") != "warning":
                raise Failure(f"chat received {a['labels']}")
        print(
            "inhibition: warning suppressed while its critical copy fired, released after; "
            f"notifications chat={len(hooks.alerts('chat'))} pager={len(hooks.alerts('pager'))} "
            f"exam-room={len(hooks.alerts('exam-room'))}"
        )
    except Failure:
        if am:
            print("--- alertmanager log ---\n" + am.dump_log(), file=sys.stderr)
        raise
    finally:
        if am:
            am.stop()
        hooks.close()
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("test", choices=["check-config", "routes", "inhibition"])
    parser.add_argument("--config", type=pathlib.Path, default=CONFIG)
    parser.add_argument("--amtool", default=shutil.which("amtool") or "amtool")
    parser.add_argument("--alertmanager", default=shutil.which("prometheus-alertmanager") or shutil.which("alertmanager"))
    args = parser.parse_args(argv)
    for tool in (args.amtool, args.alertmanager):
        if not tool or not shutil.which(tool):
            print(f"alertmanager_test: {tool or 'alertmanager'} not found; install prometheus-alertmanager "
                  "(scripts/install-deps.sh --servers)", file=sys.stderr)
            return 1
    try:
        {"check-config": test_check_config, "routes": test_routes, "inhibition": test_inhibition}[args.test](args)
    except Failure as e:
        print(f"FAIL {args.test}: {e}", file=sys.stderr)
        return 1
    print(f"PASS {args.test}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
