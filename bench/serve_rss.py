#!/usr/bin/env python3
"""RSS of `kinspect serve` over many inspections of the example snapshot
(interval 100 ms, so runs follow each other): the daemon's resident memory
after the first runs and after the last, sampled from /proc. Bounded by
--runs and --seconds.

  bench/serve_rss.py --runs 200 --seconds 55
"""
import argparse
import http.client
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_load import ROOT  # noqa: E402
import subprocess  # noqa: E402
import re  # noqa: E402


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def runs_ok(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/metrics")
    m = re.search(r'kinspect_runs_total\{cluster="example",profile="",result="ok"\} (\S+)', c.getresponse().read().decode())
    return int(float(m.group(1))) if m else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kinspect", default=os.path.join(ROOT, "build/kinspect"))
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=55)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as state:
        log = open(os.path.join(state, "serve.log"), "w+")
        p = subprocess.Popen([a.kinspect, "serve", "--snapshot", os.path.join(ROOT, "examples/cluster"), "--name", "example",
                              "--interval", "100ms", "--listen", "127.0.0.1:0", "--state-dir", state],
                             stderr=log, stdout=subprocess.DEVNULL)
        try:
            port = None
            for _ in range(600):
                log.seek(0)
                m = re.search(r"listening on port (\d+)", log.read())
                if m:
                    port = int(m.group(1))
                    break
                time.sleep(0.05)
            t0, samples = time.monotonic(), []
            while time.monotonic() - t0 < a.seconds:
                n = runs_ok(port)
                samples.append((n, rss_kib(p.pid)))
                if n >= a.runs:
                    break
                time.sleep(0.5)
            early = next(s for s in samples if s[0] >= 20)
            last = samples[-1]
            print("runs %4d: RSS %7.1f MiB" % (early[0], early[1] / 1024))
            for mark in range(50, last[0], 50):
                s = next(s for s in samples if s[0] >= mark)
                print("runs %4d: RSS %7.1f MiB" % (s[0], s[1] / 1024))
            print("runs %4d: RSS %7.1f MiB  (%+.1f%% from run %d, %.0f s)" % (
                last[0], last[1] / 1024, 100.0 * (last[1] - early[1]) / early[1], early[0], time.monotonic() - t0))
        finally:
            p.terminate()
            p.wait(timeout=40)


if __name__ == "__main__":
    main()
