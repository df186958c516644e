#!/usr/bin/env python3
"""Load on `kinspect serve` from a second process, on loopback, while it
inspects: requests per second and latency (p50, p99, max) of /metrics and
/api/v1/reports/latest. The daemon inspects the example snapshot every
second, so runs are in flight throughout. Bounded: --seconds per endpoint.

  bench/serve_load.py --kinspect build/kinspect --seconds 10 --clients 4
"""
import argparse
import http.client
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start(kinspect, state):
    log = open(os.path.join(state, "serve.log"), "w+")
    p = subprocess.Popen([kinspect, "serve", "--snapshot", os.path.join(ROOT, "examples/cluster"), "--name", "example",
                          "--interval", "1s", "--listen", "127.0.0.1:0", "--state-dir", state],
                         stderr=log, stdout=subprocess.DEVNULL)
    for _ in range(600):
        log.seek(0)
        m = re.search(r"listening on port (\d+)", log.read())
        if m:
            return p, int(m.group(1))
        time.sleep(0.05)
    p.kill()
    sys.exit("kinspect serve did not start; see " + log.name)


def hammer(port, path, seconds, clients):
    latencies, lock = [], threading.Lock()
    deadline = time.monotonic() + seconds

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)  # keep-alive
        mine = []
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            conn.request("GET", path)
            r = conn.getresponse()
            r.read()
            mine.append(time.perf_counter() - t0)
            if r.status != 200:
                sys.exit("%s answered %d" % (path, r.status))
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    q = lambda f: latencies[min(len(latencies) - 1, int(f * len(latencies)))] * 1000
    print("%-40s %7.0f req/s  p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms  (%d requests, %d clients)" % (
        path, len(latencies) / seconds, q(0.5), q(0.99), latencies[-1] * 1000, len(latencies), clients))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kinspect", default=os.path.join(ROOT, "build/kinspect"))
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--clients", type=int, default=4)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as state:
        p, port = start(a.kinspect, state)
        try:
            while True:  # the first report, so the pages have content
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                c.request("GET", "/api/v1/reports/latest?cluster=example")
                if c.getresponse().status == 200:
                    break
                time.sleep(0.1)
            for path in ("/metrics", "/api/v1/reports/latest?cluster=example"):
                hammer(port, path, a.seconds, a.clients)
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", "/api/v1/reports?cluster=example")
            print("inspections finished meanwhile (kept in history): %d" % c.getresponse().read().count(b'"id"'))
        finally:
            p.terminate()
            p.wait(timeout=40)


if __name__ == "__main__":
    main()
