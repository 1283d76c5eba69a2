#!/usr/bin/env python3
"""A local server that answers the Prometheus HTTP API badly, on purpose.

Started by prom_integration_test on 127.0.0.1 with a free port; writes the
port to the file named by its first argument once it listens. The `query`
form field picks the misbehaviour (see ANSWERS below); everything the server
did is appended to the log file named by its second argument, one line per
request ("<query> <bytes sent>"), so the test can check, for example, that a
100 MB answer was not read to the end.
"""
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NOW = time.time()
COUNTS = {}
LOCK = threading.Lock()
LOG_PATH = None


def vector(series, ts=None):
    ts = NOW if ts is None else ts
    return {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [{"metric": m, "value": [ts, v]} for m, v in series],
        },
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep the test output clean
        pass

    def record(self, query, sent):
        with LOCK:
            with open(LOG_PATH, "a") as f:
                f.write(f"{query} {sent}\n")

    def send_json(self, status, obj, extra_headers=()):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra_headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        return len(body)

    def send_raw(self, status, body, content_type="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return len(body)

    def stream(self, total, declare_length):
        """Sends `total` bytes of a JSON-looking body, in 64 KiB pieces."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if declare_length:
            self.send_header("Content-Length", str(total))
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        piece = b'{"status":"success","padding":"' + b"x" * (65536 - 31)
        sent = 0
        try:
            while sent < total:
                n = min(len(piece), total - sent)
                self.wfile.write(piece[:n])
                sent += n
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True
        return sent

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        query = form.get("query", [""])[0]
        with LOCK:
            COUNTS[query] = COUNTS.get(query, 0) + 1
            count = COUNTS[query]
        sent = 0
        if self.path.rstrip("/").endswith("query_range") and query == "range_ok":
            start = float(form["start"][0])
            end = float(form["end"][0])
            step = float(form["step"][0])
            values = []
            t = start
            while t <= end:
                values.append([t, str(t % 7)])
                t += step
            sent = self.send_json(200, {"status": "success", "data": {
                "resultType": "matrix", "result": [{"metric": {}, "values": values}]}})
        elif query == "ok":
            sent = self.send_json(200, vector([({"job": "x"}, "42")]))
        elif query == "malformed":
            sent = self.send_raw(200, b'{"status":"success","data":{"resultType":"vector","res',
                                 "application/json")
        elif query == "not_json":
            sent = self.send_raw(200, b"<html><body>Welcome to nginx</body></html>", "text/html")
        elif query == "bad_query":
            sent = self.send_json(400, {"status": "error", "errorType": "bad_data",
                                        "error": "1:5: parse error: unclosed left parenthesis"})
        elif query == "warnings":
            body = vector([({}, "1")])
            body["warnings"] = ["remote read failed: partial response"]
            sent = self.send_json(200, body)
        elif query == "nan":
            sent = self.send_json(200, vector([({}, "NaN")]))
        elif query == "inf":
            sent = self.send_json(200, vector([({}, "+Inf")]))
        elif query == "multi":
            sent = self.send_json(200, vector([({"pod": "a"}, "1"), ({"pod": "b"}, "2")]))
        elif query == "empty":
            sent = self.send_json(200, vector([]))
        elif query == "stale":
            sent = self.send_json(200, vector([({}, "5")], ts=NOW - 3600))
        elif query == "string":
            sent = self.send_json(200, {"status": "success",
                                        "data": {"resultType": "string", "result": [NOW, "hi"]}})
        elif query == "flaky":
            if count <= 2:
                sent = self.send_raw(503, b"upstream connect error")
            else:
                sent = self.send_json(200, vector([({}, "7")]))
        elif query == "throttled":
            if count <= 1:
                self.send_response(429)
                self.send_header("Retry-After", "1")
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                sent = self.send_json(200, vector([({}, "8")]))
        elif query == "always_503":
            sent = self.send_json(503, {"status": "error", "errorType": "timeout",
                                        "error": "query timed out in expression evaluation"})
        elif query == "forbidden":
            sent = self.send_raw(403, b"Forbidden by RBAC")
        elif query == "slow":
            time.sleep(3)
            sent = self.send_json(200, vector([({}, "1")]))
        elif query == "drip":
            # Headers at once, then a byte every 100 ms: cpprestsdk's own
            # timeout restarts with every byte, so only a whole-exchange
            # deadline ends this.
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    sent += 1
                    time.sleep(0.1)
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True
        elif query == "truncated":
            body = json.dumps(vector([({}, "1")])).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) + 500))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            sent = len(body) // 2
            self.close_connection = True
            # Let the connection drop mid-body.
            self.connection.shutdown(2)
        elif query == "huge_declared":
            sent = self.stream(100 * 1024 * 1024, declare_length=True)
        elif query == "huge_undeclared":
            sent = self.stream(100 * 1024 * 1024, declare_length=False)
        else:
            sent = self.send_raw(404, b"unknown scenario")
        self.record(query, sent)


def main():
    global LOG_PATH
    port_file, LOG_PATH = sys.argv[1], sys.argv[2]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
