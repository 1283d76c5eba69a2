"""A local monitoring stack for prebell's end-to-end runs: a replaying
exporter, its history backfilled into Prometheus' TSDB, the generated rules
with a short lead time, a real Prometheus and Alertmanager, and webhooks that
record what Alertmanager delivers.

Shared by tests/integration/alerting/alerting_test.py and
tools/demo/cluster_demo.py. Everything a caller varies is a parameter: what
the exporter serves (`series`), the gateway's connections over time
(`recording`), the lead time of the rules, log levels and the namespace label
of the controller's scrape. Nothing here is meant to be changed from outside
the module.

Contracts of the callers' pieces:
  recording   has connections(t: float) -> float, t in unix seconds
  series      series(ns, t, conns, started) -> [(name, type, labels, value)],
              type "gauge" or "counter"; `started` is when the exporter (or,
              for the history, its first sample) started, for counters

Only the standard library and python3-yaml; e2e (tests/integration/controller)
for Failure and free_port.
"""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Callable, Protocol

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "controller"))
import e2e  # noqa: E402
from e2e import Failure  # noqa: E402

import yaml  # noqa: E402  (python3-yaml)

SOURCE = e2e.REPO / "dashboards" / "rules" / "source.yaml"
GENERATOR = e2e.REPO / "dashboards" / "generate_rules.py"
AM_EXAMPLE = e2e.REPO / "examples" / "alertmanager" / "alertmanager.yml"
# The job of the exporter's scrape; backfill() gives the history the same one,
# so live samples and history are one series.
EXPORTER_JOB = "gateway"
# Every alert's `for` in fast_rules(): short enough for a run of minutes.
FAST_FOR = "10s"

Sample = tuple[str, str, dict, float]  # (name, type, labels, value)
SeriesFn = Callable[[str, float, float, float], list[Sample]]


class Recording(Protocol):
    def connections(self, t: float) -> float: ...


def fmt_labels(labels: dict) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


# ------------------------------------------------------------- the exporter


class Exporter:
    """Serves series(ns, now, recording.connections(now), started) in the
    Prometheus text format on a free loopback port."""

    def __init__(self, ns: str, recording: Recording, series: SeriesFn):
        self.ns = ns
        self.recording = recording
        self.series = series
        self.started = time.time()
        exporter = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = exporter.render(time.time()).encode()
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

    def render(self, t: float) -> str:
        lines, typed = [], set()
        for name, mtype, labels, value in self.series(self.ns, t, self.recording.connections(t), self.started):
            if name not in typed:
                lines.append(f"# TYPE {name} {mtype}")
                typed.add(name)
            lines.append(f"{name}{fmt_labels(labels)} {value}")
        return "\n".join(lines) + "\n"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def backfill(promtool: str, data_dir: Path, work: Path, exporter: Exporter, t_from: float, t_to: float,
             step: int = 15) -> int:
    """Writes what `exporter` would have served over [t_from, t_to) (its
    namespace, recording and series; the labels its live scrape will give the
    same series) as OpenMetrics and turns it into TSDB blocks in data_dir.
    Gauges only. Returns the number of samples."""
    target = {"job": EXPORTER_JOB, "instance": f"127.0.0.1:{exporter.port}"}
    by_series: dict[tuple[str, str], list[str]] = {}
    types = {}
    t = t_from
    n = 0
    while t < t_to:
        for name, mtype, labels, value in exporter.series(exporter.ns, t, exporter.recording.connections(t), t_from):
            if mtype == "counter":
                continue  # counters start with the exporter; history of the gauges is enough
            key = (name, fmt_labels({**labels, **target}))
            by_series.setdefault(key, []).append(f"{name}{key[1]} {value} {t:.0f}")
            types[name] = mtype
            n += 1
        t += step
    om = work / "history.om"
    with om.open("w") as f:
        for name in sorted(types):
            f.write(f"# TYPE {name} {types[name]}\n")
            for key in sorted(k for k in by_series if k[0] == name):
                f.write("\n".join(by_series[key]) + "\n")
        f.write("# EOF\n")
    data_dir.mkdir(parents=True, exist_ok=True)
    r = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(om), str(data_dir)],
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise Failure(f"promtool tsdb create-blocks-from openmetrics failed:\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
    om.unlink()
    return n


# ---------------------------------------------------------------- the rules


def fast_rules(work: Path, lead_s: int) -> Path:
    """The rules generated from dashboards/rules/source.yaml with lead_time
    `lead_s` seconds and every `for` cut to FAST_FOR; expressions, labels and
    escalation logic are the generated ones. Written to work/prebell.rules.yaml."""
    source = yaml.safe_load(SOURCE.read_text())
    source["settings"]["lead_time"] = f"{lead_s}s"
    for alert in source.get("alerts", []) + source.get("signal_alerts", []):
        alert["for"] = FAST_FOR
    src = work / "source.yaml"
    src.write_text(yaml.safe_dump(source, sort_keys=False))
    out = work / "prebell.rules.yaml"
    r = subprocess.run([sys.executable, str(GENERATOR), "--source", str(src), "--output", str(out)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise Failure(f"generate_rules.py with lead_time {lead_s}s: {r.stderr}")
    return out


# -------------------------------------------------------------- the servers


class Server:
    """A process on a free loopback port with its log in the work dir."""

    def __init__(self, name: str, argv_for_port, work: Path, ready_path: str):
        self.name = name
        self.log_path = work / f"{name}.log"
        for _ in range(3):
            self.port = e2e.free_port()
            self.log = open(self.log_path, "w+")
            self.proc = subprocess.Popen(argv_for_port(self.port), stdout=self.log, stderr=subprocess.STDOUT)
            self.url = f"http://127.0.0.1:{self.port}"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    with urllib.request.urlopen(self.url + ready_path, timeout=2) as r:
                        if r.status == 200:
                            return
                except OSError:
                    time.sleep(0.2)
            self.stop()
        raise Failure(f"{name} did not start:\n{self.log_path.read_text()[-3000:]}")

    def get(self, p: str, **params):
        url = self.url + p + ("?" + urllib.parse.urlencode(params) if params else "")
        with urllib.request.urlopen(url, timeout=15) as r:
            return json.loads(r.read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


class Webhooks:
    """Receives Alertmanager's webhook deliveries on a free loopback port, one
    path per receiver; `received` holds (time, receiver, payload)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.received: list[tuple[float, str, dict]] = []
        hooks = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with hooks.lock:
                    hooks.received.append((time.time(), self.path.strip("/"), json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def alerts(self, receiver: str, alertname: str, ns: str) -> list[tuple[float, str, dict]]:
        with self.lock:
            return [(t, a["status"], a["labels"]) for t, r, p in self.received if r == receiver
                    for a in p["alerts"] if a["labels"].get("alertname") == alertname
                    and a["labels"].get("namespace") == ns]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def am_config(port: int) -> str:
    """The example with webhooks instead of Slack/PagerDuty and short timers."""
    conf = yaml.safe_load(AM_EXAMPLE.read_text())
    conf.get("global", {}).pop("slack_api_url_file", None)
    for receiver in conf["receivers"]:
        for key in [k for k in receiver if k.endswith("_configs")]:
            del receiver[key]
        receiver["webhook_configs"] = [{"url": f"http://127.0.0.1:{port}/{receiver['name']}", "send_resolved": True}]

    def shorten(route, top=False):
        for key in ("group_wait", "group_interval"):
            if key in route or top:
                route[key] = "1s"
        for child in route.get("routes", []):
            shorten(child)

    shorten(conf["route"], top=True)
    return yaml.safe_dump(conf)


def start_alertmanager(binary: str, work: Path, hooks: Webhooks, log_level: str) -> Server:
    """Alertmanager with am_config() delivering to `hooks`, its config and
    data in work/am, without clustering."""
    am_dir = work / "am"
    am_dir.mkdir(exist_ok=True)
    (am_dir / "alertmanager.yml").write_text(am_config(hooks.port))
    return Server("alertmanager", lambda port: [
        binary, f"--config.file={am_dir / 'alertmanager.yml'}", f"--storage.path={am_dir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", f"--log.level={log_level}"],
        work, "/-/ready")


def start_prometheus(binary: str, work: Path, data: Path, rules: Path, alertmanager: Server, controller_port: int,
                     controller_namespace: str, exporter: Exporter) -> Server:
    """Prometheus scraping and evaluating every 2 s: the controller's /metrics
    (job `prebell`) on controller_port and the exporter (job EXPORTER_JOB),
    evaluating `rules` and alerting `alertmanager` (resent every second).
    Config in work/prometheus.yml, TSDB in `data` (where backfill() wrote)."""

    def argv(port):
        cfg = work / "prometheus.yml"
        cfg.write_text(yaml.safe_dump({
            "global": {"scrape_interval": "2s", "evaluation_interval": "2s"},
            "rule_files": [str(rules)],
            "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{alertmanager.port}"]}]}]},
            "scrape_configs": [
                # As the chart's ServiceMonitor would: the controller's own
                # series keep their labels, the target gets its namespace.
                {"job_name": "prebell", "honor_labels": True,
                 "static_configs": [{"targets": [f"127.0.0.1:{controller_port}"],
                                     "labels": {"namespace": controller_namespace}}]},
                {"job_name": EXPORTER_JOB, "honor_labels": True,
                 "static_configs": [{"targets": [f"127.0.0.1:{exporter.port}"]}]},
            ]}))
        return [binary, f"--config.file={cfg}", f"--storage.tsdb.path={data}",
                f"--web.listen-address=127.0.0.1:{port}", "--rules.alert.resend-delay=1s", "--log.level=warn"]

    return Server("prometheus", argv, work, "/-/ready")
