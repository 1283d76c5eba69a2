#!/usr/bin/env python3
"""The rules and the routing together, in real servers, as time goes by.

A small exporter in this test serves a schedule signal (what the controller
will export, docs/metrics.md) and Redis memory at 90% of maxmemory for two
namespaces: lms (timetable) and idle (nothing scheduled). A real Prometheus on
a free loopback port scrapes it every second and evaluates the rules; a real
Alertmanager with the routes and inhibit rule of
examples/alertmanager/alertmanager.yml delivers to webhooks of this test.

The rules are generated from dashboards/rules/source.yaml with two settings
shortened so the test takes seconds, not hours: every alert's `for` becomes
2s, the signal smoothing 5s. The expressions, labels and escalation logic are
the generated ones.

  1. lms's next class is an hour away: RedisMemoryHigh fires as a warning in
     both namespaces and reaches chat.
  2. The class is 10 minutes away: the critical copy fires for lms only and
     reaches the pager; Alertmanager inhibits lms's warning; the warning never
     stops firing in Prometheus.
  3. An exam is 10 minutes away: the exam-room copy reaches the exam room.
  4. Nothing is near any more: the copies resolve, the pager is told, the
     warning is released.
"""

import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import http.server
import urllib.parse

import yaml

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import alertmanager_test as amt  # noqa: E402
import dashboards_test as dt  # noqa: E402

REPO = HERE.parents[1]
SOURCE = REPO / "dashboards" / "rules" / "source.yaml"
GENERATOR = REPO / "dashboards" / "generate_rules.py"
Failure = amt.Failure


class Exporter:
    """Serves /metrics computed from `state` at every scrape."""

    def __init__(self):
        self.lock = threading.Lock()
        self.state = {"class_in": 3600, "exam_in": None}
        exporter = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = exporter.render().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def set(self, **kw):
        with self.lock:
            self.state.update(kw)

    def render(self):
        now = time.time()
        with self.lock:
            state = dict(self.state)
        lines = ["# TYPE prebell_schedule_window_active gauge"]
        for ns in ("lms", "idle"):
            for kind in ("class", "exam"):
                lines.append(f'prebell_schedule_window_active{{namespace="{ns}",kind="{kind}"}} 0')
        lines.append("# TYPE prebell_schedule_next_start_timestamp_seconds gauge")
        for kind in ("class", "exam"):
            delay = state[f"{kind}_in"]
            if delay is not None:
                lines.append(f'prebell_schedule_next_start_timestamp_seconds{{namespace="lms",kind="{kind}"}} {now + delay:.3f}')
        lines.append("# TYPE prebell_schedule_signal_timestamp_seconds gauge")
        for ns in ("lms", "idle"):
            lines.append(f'prebell_schedule_signal_timestamp_seconds{{namespace="{ns}"}} {now:.3f}')
        lines.append("# TYPE redis_memory_used_bytes gauge")
        lines.append("# TYPE redis_memory_max_bytes gauge")
        for ns, inst in (("lms", "10.0.1.5:9121"), ("idle", "10.0.9.9:9121")):
            lines.append(f'redis_memory_used_bytes{{namespace="{ns}",instance="{inst}"}} 943718400')
            lines.append(f'redis_memory_max_bytes{{namespace="{ns}",instance="{inst}"}} 1048576000')
        return "\n".join(lines) + "\n"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def fast_rules(tmp):
    source = yaml.safe_load(SOURCE.read_text())
    source["settings"]["signal_smoothing"] = "5s"
    for alert in source.get("alerts", []) + source.get("signal_alerts", []):
        alert["for"] = "2s"
    src = tmp / "source.yaml"
    src.write_text(yaml.safe_dump(source, sort_keys=False))
    out = tmp / "prebell.rules.yaml"
    r = subprocess.run([sys.executable, str(GENERATOR), "--source", str(src), "--output", str(out)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise Failure(f"generator: {r.stderr}")
    return out


class PrometheusServer(dt.Prometheus):
    def __init__(self, binary, workdir, rules, exporter_port, am_port):
        cfg = workdir / "prometheus.yml"
        cfg.write_text(yaml.safe_dump({
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(rules)],
            "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{am_port}"]}]}]},
            "scrape_configs": [{
                "job_name": "prebell", "honor_labels": True,
                "static_configs": [{"targets": [f"127.0.0.1:{exporter_port}"], "labels": {"namespace": "prebell-system"}}],
            }],
        }))
        self.port = dt.free_port()
        self.log = open(workdir / "prometheus.log", "w+")
        self.proc = subprocess.Popen(
            [binary, f"--config.file={cfg}", f"--storage.tsdb.path={workdir / 'prom-data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--rules.alert.resend-delay=1s", "--log.level=warn"],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if self.get("/-/ready") is not None:
                    return
            except Exception:
                time.sleep(0.1)
        self.log.seek(0)
        raise Failure(f"Prometheus did not start:\n{self.log.read()[-3000:]}")

    def get(self, path, **params):
        import json
        import urllib.request
        url = f"{self.url}{path}" + (f"?{urllib.parse.urlencode(params)}" if params else "")
        with urllib.request.urlopen(url, timeout=5) as r:
            text = r.read()
        try:
            return json.loads(text)
        except ValueError:
            return text

    def firing(self, alertname):
        alerts = self.get("/api/v1/alerts")["data"]["alerts"]
        out = set()
        for a in alerts:
            l = a["labels"]
            if l.get("alertname") == alertname and a["state"] == "firing":
                out.add((l.get("namespace"), l.get("severity"), l.get("audience")))
        return out


def main():
    prometheus = shutil.which("prometheus")
    alertmanager = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if not prometheus or not alertmanager:
        print("FAIL: prometheus and prometheus-alertmanager are needed (scripts/install-deps.sh --servers)", file=sys.stderr)
        return 1
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="prebell-pipeline-"))
    hooks, exporter, am, prom = amt.Webhooks(), Exporter(), None, None
    history = []  # RedisMemoryHigh copies firing in Prometheus, per poll, from phase 1 on
    try:
        rules = fast_rules(tmp)
        config = amt.test_config_for(yaml.safe_load(amt.CONFIG.read_text()), hooks.port)
        (tmp / "am").mkdir()
        am = amt.Alertmanager(alertmanager, yaml.safe_dump(config), tmp / "am")
        prom = PrometheusServer(prometheus, tmp, rules, exporter.port, am.port)

        def wait(what, cond, timeout=60):
            def poll():
                f = prom.firing("RedisMemoryHigh")
                if ("lms", "warning", None) in f or history:
                    history.append(f)
                return cond(f)
            return amt.wait_for(what, poll, timeout)

        W_LMS, W_IDLE = ("lms", "warning", None), ("idle", "warning", None)
        C_LMS, E_LMS = ("lms", "critical", None), ("lms", "critical", "exam-room")

        # 1. An hour before the class: warnings only.
        wait("warnings in both namespaces", lambda f: f == {W_LMS, W_IDLE})
        amt.wait_for("the lms warning in chat", lambda: [a for s, a in hooks.alerts("chat")
                                                          if a["labels"].get("namespace") == "lms"])
        if hooks.alerts("pager") or hooks.alerts("exam-room"):
            raise Failure("before any window only chat may be notified")
        print("phase 1: warning in chat, nothing paged")

        # 2. Ten minutes before: critical for lms only; its warning inhibited.
        exporter.set(class_in=600)
        wait("the critical copy for lms", lambda f: f == {W_LMS, W_IDLE, C_LMS})
        amt.wait_for("the critical copy at the pager", lambda: [a for s, a in hooks.alerts("pager")
                                                                 if a["labels"].get("namespace") == "lms"])

        def lms_warning_inhibited():
            for a in am.alerts():
                l = a["labels"]
                if l.get("alertname") == "RedisMemoryHigh" and l.get("namespace") == "lms" and l.get("severity") == "warning":
                    return a["status"]["state"] == "suppressed" and a["status"]["inhibitedBy"]
            return False

        amt.wait_for("Alertmanager to inhibit the lms warning", lms_warning_inhibited)
        print("phase 2: critical paged, warning inhibited")

        # 3. An exam ten minutes away.
        exporter.set(exam_in=600)
        wait("the exam copy", lambda f: f == {W_LMS, W_IDLE, C_LMS, E_LMS})
        amt.wait_for("the exam copy in the exam room", lambda: hooks.alerts("exam-room"))
        print("phase 3: exam copy in the exam room")

        # 4. Nothing near any more.
        exporter.set(class_in=3600, exam_in=None)
        wait("the copies to resolve", lambda f: f == {W_LMS, W_IDLE})
        amt.wait_for("the pager's resolved notification",
                     lambda: [a for s, a in hooks.alerts("pager") if a["status"] == "resolved"])
        amt.wait_for("the warning to be released", lambda: not lms_warning_inhibited())
        print("phase 4: copies resolved, warning released")

        lost = [f for f in history if W_LMS not in f]
        if lost:
            raise Failure(f"the lms warning stopped firing at some point: {lost[:3]}")
        for receiver, ok in (("chat", lambda l: l.get("severity") == "warning"),
                             ("pager", lambda l: l.get("severity") == "critical" and "audience" not in l),
                             ("exam-room", lambda l: l.get("audience") == "exam-room")):
            for status, a in hooks.alerts(receiver):
                if not ok(a["labels"]):
                    raise Failure(f"{receiver} received {a['labels']}")
            if any(a["labels"].get("namespace") == "idle" and a["labels"].get("severity") == "critical"
                   for s, a in hooks.alerts(receiver)):
                raise Failure(f"{receiver}: idle (nothing scheduled) was escalated")
        print(f"{len(history)} polls, the lms warning fired throughout; "
              f"chat={len(hooks.alerts('chat'))} pager={len(hooks.alerts('pager'))} exam-room={len(hooks.alerts('exam-room'))}")
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        for name, server in (("prometheus", prom), ("alertmanager", am)):
            if server:
                server.log.seek(0)
                print(f"--- {name} log ---\n{server.log.read()[-3000:]}", file=sys.stderr)
        return 1
    finally:
        for server in (prom, am):
            if server:
                server.stop()
        exporter.close()
        hooks.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
