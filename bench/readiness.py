#!/usr/bin/env python3
"""Readiness benchmark (issue 7): services that become ready at a known
instant (they record it), and the time lab's `service_ready` event follows
it, per probe kind (tcp, http, log, file). Median over several suites.
The baseline is the instant itself: the target is "detected within 50 ms".

    python3 bench/readiness.py [--suites 10]
"""

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

from common import build_lab

SERVICE = r'''{py} -c "
import socket, time, http.server, socketserver, threading, sys, os
time.sleep(0.3)
kind = '{kind}'
stamp = lambda: open('{stamp}', 'w').write(repr(time.time()))
if kind == 'log':
    stamp(); print('ready now', flush=True); time.sleep(60)
elif kind == 'file':
    stamp(); open('{{state.data}}/ready', 'w').close(); time.sleep(60)
else:
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200); self.end_headers()
        def log_message(self, *a): pass
    server = socketserver.TCPServer(('127.0.0.1', {{port}}), H)
    stamp()
    server.serve_forever()
"'''

PROBES = {
    "tcp": 'ready = { tcp = "127.0.0.1:{port}" }',
    "http": 'ready = { http = "http://127.0.0.1:{port}/" }',
    "log": 'ready = { log = "ready now" }',
    "file": 'ready = { file = "{state.data}/ready" }',
}


def parse_ts(ts):
    # 2026-11-22T10:15:00.123456789Z → seconds since the epoch.
    head, _, frac = ts.rstrip("Z").partition(".")
    dt = datetime.datetime.fromisoformat(head).replace(tzinfo=datetime.timezone.utc)
    return dt.timestamp() + (float("0." + frac) if frac else 0.0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--suites", type=int, default=10)
    args = parser.parse_args()
    lab = build_lab()
    py = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    root = tempfile.mkdtemp(prefix="lab-bench-ready-")
    try:
        with open(os.path.join(root, "suites.toml"), "w") as f:
            for kind, probe in PROBES.items():
                for i in range(args.suites):
                    sid = f"{kind}{i}"
                    stamp = os.path.join(root, f"{sid}.t")
                    cmd = SERVICE.format(py=py, kind=kind, stamp=stamp)
                    f.write(f"[service.{sid}]\ncommand = '''{cmd}'''\nport = true\n{probe}\n\n")
                    f.write(f'[suite.{sid}]\nservices = ["{sid}"]\ncommand = "true"\ntags = ["r"]\n\n')
        env = dict(os.environ, NO_COLOR="1")
        out = subprocess.run([lab, "verify", "--tag", "r", "--jobs", "2"], cwd=root, env=env, capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(out.stderr)
        run = os.path.realpath(os.path.join(root, "target/lab/runs/latest"))
        latency = {k: [] for k in PROBES}
        with open(os.path.join(run, "lab.log.jsonl")) as events:
            for line in events:
                e = json.loads(line)
                if e["event"] != "service_ready":
                    continue
                sid = e["service"].removeprefix("service.")
                with open(os.path.join(root, f"{sid}.t")) as t:
                    became_ready = float(t.read())
                kind = sid.rstrip("0123456789")
                latency[kind].append((parse_ts(e["ts"]) - became_ready) * 1000)
        print(f"readiness detection after the service became ready, median of {args.suites} services each (target <= 50 ms)")
        for kind, values in latency.items():
            m = statistics.median(values)
            print(f"  {kind:<5} {m:6.1f} ms   (max {max(values):.1f} ms){'  ok' if m <= 50 else '  OVER'}")
    finally:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
